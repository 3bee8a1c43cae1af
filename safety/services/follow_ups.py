"""Follow-ups (整改) of patrol findings: the office assigns a person and a due date, the person
reports what was done, the office closes it with a note (or sends it back).

One service moves a follow-up, along ``safety.transitions.FOLLOW_UP_TRANSITIONS``, on a
locked row; the people concerned are told.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Staff
from afterschool.notifications import NoticeSpec, notices_send
from attendance.display import day_label
from attendance.duty import office_staff_of

from .. import exceptions as e
from ..models import FollowUp
from ..transitions import FOLLOW_UP_MACHINE

F = FollowUp.Status


def _in_scope(actor: Actor, follow_up: FollowUp, to_status: str):
    def check(role: str) -> bool:
        if actor.school is None or follow_up.school_id != actor.school.pk:
            return False
        if to_status == F.RECTIFIED and follow_up.status == F.ASSIGNED:
            return actor.staff is not None and follow_up.assignee_id == actor.staff.pk
        return True
    return check


@transaction.atomic
def follow_up_transition(*, follow_up: FollowUp, to_status: str, actor: Actor,
                         comment: str = "", assignee: Staff | None = None,
                         due_date: dt.date | None = None, expected_status: str | None = None,
                         now: dt.datetime | None = None) -> FollowUp:
    """Assign (or reassign) with ``assignee`` and ``due_date``, report, return or close.
    ``expected_status``: the status the person saw (a follow-up moved since is refused)."""
    now = now or timezone.now()
    follow_up = (FollowUp.objects.select_for_update(of=("self",))
                 .select_related("patrol__lesson", "assignee__user", "school")
                 .get(pk=follow_up.pk))
    if expected_status and follow_up.status != expected_status:
        raise e.SafetyError(e.FOLLOW_UP_ALREADY_MOVED.format(
            status=follow_up.get_status_display()))
    move = FOLLOW_UP_MACHINE.check(follow_up.status, to_status)
    role = FOLLOW_UP_MACHINE.authorise(move, actor,
                                       in_scope=_in_scope(actor, follow_up, to_status))
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise e.SafetyError(e.FOLLOW_UP_TEXT_TOO_LONG.format(length=len(comment)),
                            field="comment")
    FOLLOW_UP_MACHINE.require_comment(move, comment)
    values: dict = {}
    if to_status == F.ASSIGNED and move.name in ("assign", "reassign"):
        if assignee is None:
            raise e.SafetyError(e.FOLLOW_UP_ASSIGNEE_REQUIRED, field="assignee")
        if assignee.school_id != follow_up.school_id or not assignee.is_active:
            raise e.SafetyError(e.STAFF_OTHER_SCHOOL.format(name=assignee.name),
                                field="assignee")
        if due_date is None:
            raise e.SafetyError(e.FOLLOW_UP_DUE_REQUIRED, field="due_date")
        today = timezone.localdate(now)
        if due_date < today:
            raise e.SafetyError(e.FOLLOW_UP_DUE_PAST.format(due=day_label(due_date),
                                                            today=day_label(today)),
                                field="due_date")
        values = {"assignee": assignee, "due_date": due_date}
        if not comment:
            comment = f"指派给{assignee.name}，期限{day_label(due_date)}"
    elif to_status == F.RECTIFIED:
        values = {"rectification": comment}
    elif to_status == F.CLOSED:
        values = {"close_note": comment, "closed_at": now, "closed_by": actor.user}
    FOLLOW_UP_MACHINE.apply(follow_up, to_status, actor=actor, role=role, comment=comment,
                            values=values, at=now)
    _tell(follow_up, to_status, comment)
    return follow_up


def _tell(follow_up: FollowUp, to_status: str, comment: str) -> None:
    lesson = follow_up.patrol.lesson
    url = reverse("safety:follow_up", args=[follow_up.pk])
    subject = f"{day_label(lesson.date)}“{lesson.title}”"
    specs = []
    if to_status == F.ASSIGNED and follow_up.assignee and follow_up.assignee.user_id:
        specs.append(NoticeSpec(
            user=follow_up.assignee.user, title=f"整改任务：{lesson.title}",
            body=f"{subject}巡查发现的问题请在{day_label(follow_up.due_date)}前整改，"
                 f"完成后在系统中提交整改情况。{comment}", url=url))
    elif to_status == F.RECTIFIED:
        specs += [NoticeSpec(user=u, title=f"整改待验收：{lesson.title}",
                             body=f"{subject}：{comment}", url=url)
                  for u in office_staff_of(follow_up.school_id)]
    elif to_status == F.CLOSED and follow_up.assignee and follow_up.assignee.user_id:
        specs.append(NoticeSpec(user=follow_up.assignee.user, title=f"整改已验收：{lesson.title}",
                                body=f"{subject}：{comment}", url=url))
    notices_send(school=follow_up.school, specs=specs)
