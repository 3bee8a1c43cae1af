"""The duty roster as attendance's duty provider (``attendance.duty.register_duty_provider``).

Attendance escalates unanswered absence alerts and unreleased children to "the duty teachers
of the day". With a roster, those are the people on it that day (duty teachers, then the
leader on duty); a day without a roster answers None, so attendance falls back to the granted
值日教师 roles.
"""

from __future__ import annotations

import datetime as dt


def rostered_duty_staff(school_id: int, day: dt.date) -> list | None:
    """The logins on duty at ``school_id`` on ``day`` by the roster; None without one."""
    from .selectors import on_duty

    users, seen = [], set()
    for assignment in on_duty(school_id, day):
        user = assignment.staff.user
        if user is not None and user.pk not in seen and assignment.staff.is_active:
            seen.add(user.pk)
            users.append(user)
    return users or None
