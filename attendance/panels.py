"""Home-page panels of attendance (registered in ``AttendanceConfig.ready``)."""

from __future__ import annotations

from django.utils import timezone

from afterschool.access import Actor, own_children
from afterschool.models import Role

# ---------------------------------------------------------------------------- leave and alerts


def guardian_attendance_panel(actor: Actor) -> dict | None:
    """家长: each child's state today, leave waiting for a decision, open absence alerts."""
    if not actor.has(Role.GUARDIAN):
        return None
    from . import selectors
    from .models import AbsenceAlert, LeaveRequest

    children = own_children(actor)  # read once per request for every panel
    if not children:
        return None
    ids = [c.pk for c in children]
    today = timezone.localdate()
    records = selectors.records_on(student_ids=ids, day=today)
    pending = dict.fromkeys(ids, 0)
    for student_id in LeaveRequest.objects.filter(
            student_id__in=ids, status=LeaveRequest.Status.PENDING).values_list("student_id",
                                                                                flat=True):
        pending[student_id] += 1
    alerts = list(AbsenceAlert.objects.filter(
        student_id__in=ids, status__in=(AbsenceAlert.Status.OPEN, AbsenceAlert.Status.ESCALATED))
        .select_related("lesson").order_by("-raised_at"))
    from .display import dismissal_text

    released = selectors.releases_on(ids, today)
    rows = [{"student": c, "records": records.get(c.pk, []), "pending": pending[c.pk],
             "alerts": [a for a in alerts if a.student_id == c.pk],
             "released": dismissal_text(released[c.pk]) if c.pk in released else ""}
            for c in children]
    return {"template": "attendance/_panel_guardian.html", "order": 5 if alerts else 12,
            "rows": rows}


def homeroom_leave_panel(actor: Actor) -> dict | None:
    """班主任: 待审批请假 N, 缺勤提醒 N (their homeroom)."""
    if not actor.has(Role.HOMEROOM_TEACHER) or actor.staff is None:
        return None
    from .models import AbsenceAlert, LeaveRequest

    pending = LeaveRequest.objects.filter(student__homeroom__head_teacher=actor.staff,
                                          status=LeaveRequest.Status.PENDING).count()
    alerts = AbsenceAlert.objects.filter(
        student__homeroom__head_teacher=actor.staff,
        status__in=(AbsenceAlert.Status.OPEN, AbsenceAlert.Status.ESCALATED)).count()
    return {"template": "attendance/_panel_homeroom.html", "order": 4 if alerts else 18,
            "pending": pending, "alerts": alerts}


def office_alerts_panel(actor: Actor) -> dict | None:
    """The office and the duty teachers: the school's absence alerts nobody has answered."""
    if not (actor.is_school_wide or actor.has(Role.DUTY_TEACHER)) or actor.school is None:
        return None
    from .models import AbsenceAlert

    counts = dict.fromkeys(AbsenceAlert.Status.values, 0)
    for status in AbsenceAlert.objects.filter(
            student__school=actor.school,
            status__in=(AbsenceAlert.Status.OPEN, AbsenceAlert.Status.ESCALATED)).values_list(
            "status", flat=True):
        counts[status] += 1
    total = counts[AbsenceAlert.Status.OPEN] + counts[AbsenceAlert.Status.ESCALATED]
    if not total:
        return None
    return {"template": "attendance/_panel_alerts.html", "order": 3, "total": total,
            "escalated": counts[AbsenceAlert.Status.ESCALATED]}


# ---------------------------------------------------------------------------- lessons (part A)


def tutor_today_panel(actor: Actor) -> dict | None:
    """辅导教师、代课教师、班主任: today's lessons with their state (未开始/待点名/已点名/迟交).

    Not for the office and the principal: their home page stays within its query budget, and
    the board (今日点名看板) is where they follow the roll calls."""
    if actor.staff is None or actor.school is None or actor.is_school_wide:
        return None
    from . import selectors
    from .access import lessons_visible_to
    from .policy import STATE_LABELS, lesson_state, policy_for

    now = timezone.now()
    lessons = list(selectors.staff_lessons_on(lessons_visible_to(actor), actor.staff,
                                              timezone.localdate(now)))
    if not lessons:
        return None
    policy = policy_for(actor.school.pk)
    for lesson in lessons:
        lesson.state = lesson_state(lesson, policy, now)
        lesson.state_label = STATE_LABELS[lesson.state]
    return {"template": "attendance/_panel_tutor_today.html", "order": 2, "lessons": lessons}


# ---------------------------------------------------------------------------- dismissal


def dismissal_panel(actor: Actor) -> dict | None:
    """The office, the principal and the day's duty teachers: today's dismissal — children
    still in school (handed to the duty teacher), or the time the day closed (全员离校)."""
    if actor.school is None or not (actor.is_school_wide or actor.has(Role.DUTY_TEACHER)):
        return None
    from . import selectors
    from .access import on_duty

    today = timezone.localdate()
    duty = actor.is_coordinator or (not actor.is_school_wide and on_duty(actor, today))
    if not (actor.is_school_wide or duty):
        return None
    summary = selectors.dismissal_day_summary(actor.school.pk, today)
    if summary is None:
        return None
    late = summary["with_duty"] > 0
    return {"template": "attendance/_panel_dismissal.html", "order": 3 if late else 16,
            "summary": summary, "duty": duty}
