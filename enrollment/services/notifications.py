"""Telling the guardians what happened to their child's form (in-app, e-mail, SMS), catching
up on what a broker outage held back, and reminding families who have not answered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from afterschool.access import require
from afterschool.formatting import date_text, short_moment_text
from afterschool.models import Role, StudentGuardian
from afterschool.notifications import NoticeReport, NoticeSpec, notices_send

from .. import exceptions
from ..models import Application, ApplicationTransition

Status = Application.Status

NOTICE_TEXT = {
    Status.SUBMITTED: ("{student}的课后服务意向书已提交", "意向书已提交，等待班主任审核。"),
    Status.CLASS_APPROVED: ("{student}的课后服务意向书：班主任已审核通过",
                            "班主任已审核通过，等待学校复核。"),
    Status.RETURNED: ("{student}的课后服务意向书被退回修改",
                      "请登录系统按意见修改后重新提交。"),
    Status.CLASS_REJECTED: ("{student}的课后服务意向书：班主任审核未通过", ""),
    Status.SCHOOL_APPROVED: ("{student}的课后服务意向书：学校已复核通过",
                             "学校已复核通过，等待统筹安排，安排结果将另行通知。"),
    Status.SCHOOL_REJECTED: ("{student}的课后服务意向书：学校复核未通过", ""),
    Status.PLACED: ("{student}的课后服务已统筹安排", "请登录系统查看课程与时间安排。"),
    Status.WITHDRAWN: ("{student}已退出课后服务", "退出自{withdrawn_on}起生效。"),
}


# Decisions a family must see even if they never open the site: a text message as well.
SMS_STATUSES = {Status.RETURNED, Status.CLASS_REJECTED, Status.SCHOOL_REJECTED, Status.PLACED}
# The sweep catches transitions committed while the broker was down; older ones (history from
# before the sweep existed) are not worth a late notice.
SWEEP_WINDOW = dt.timedelta(days=2)
SWEEP_GRACE = dt.timedelta(seconds=10)


def transitions_notify(*, transition_ids: Sequence[int]) -> int:
    """Tell each guardian with a login (but the one who acted) about these moves, once.

    An in-app notice for each, an e-mail where an address is known and an SMS for the decisions
    in ``SMS_STATUSES`` (deliveries sent after commit). Safe to run twice: a transition is
    notified once (its row is locked and ``notified_at`` stamped in the same transaction).
    """
    specs_by_school: dict = {}
    with transaction.atomic():
        transitions = list(
            ApplicationTransition.objects.select_for_update(of=("self",))
            .filter(pk__in=list(transition_ids), notified_at__isnull=True)
            .select_related("application__student", "application__school"))
        if not transitions:
            return 0
        links = (StudentGuardian.objects
                 .filter(student_id__in={t.application.student_id for t in transitions},
                         guardian__user__isnull=False)
                 .select_related("guardian__user").order_by("pk"))
        guardians_of: dict[int, list] = {}
        for link in links:
            guardians_of.setdefault(link.student_id, []).append(link.guardian)
        for transition in transitions:
            application = transition.application
            title, body = NOTICE_TEXT.get(transition.to_status, ("", ""))
            if not title:
                continue
            student = application.student.name
            body = body.format(withdrawn_on=date_text(application.withdrawn_on))
            if transition.comment:
                refusals = (Status.RETURNED, Status.CLASS_REJECTED, Status.SCHOOL_REJECTED,
                            Status.WITHDRAWN)
                label = "原因" if transition.to_status in refusals else "意见"
                body = f"{label}：{transition.comment}。{body}"
            url = reverse("enrollment:detail", args=[application.pk])
            for guardian in guardians_of.get(application.student_id, []):
                if guardian.user_id == transition.actor_id:
                    continue
                specs_by_school.setdefault(application.school, []).append(NoticeSpec(
                    user=guardian.user, title=title.format(student=student), body=body,
                    url=url, email=guardian.email,
                    sms=transition.to_status in SMS_STATUSES))
        sent = sum(len(notices_send(school=school, specs=specs).notices)
                   for school, specs in specs_by_school.items())
        ApplicationTransition.objects.filter(pk__in=[t.pk for t in transitions]).update(
            notified_at=timezone.now())
    return sent


def transitions_pending(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Transitions whose guardians were not told yet: their task never reached the broker.

    Moves that notify nobody are stamped when they are made (``mark_not_notified``), so an
    empty ``notified_at`` here means a notice is still owed.
    """
    now = now or timezone.now()
    return list(ApplicationTransition.objects
                .filter(notified_at__isnull=True, at__lte=now - SWEEP_GRACE,
                        at__gte=now - SWEEP_WINDOW)
                .order_by("pk").values_list("pk", flat=True)[:limit])


def mark_not_notified(transition_ids: Sequence[int]) -> None:
    """Moves that tell nobody (the arrangement sends its own notice; the demo's history): done."""
    ApplicationTransition.objects.filter(pk__in=list(transition_ids),
                                         notified_at__isnull=True).update(
        notified_at=timezone.now())


@transaction.atomic
def families_remind(*, actor, term, students) -> NoticeReport:
    """提醒未填写的家庭: one notice (in-app and SMS) to each family of ``students`` that has not
    handed in this term's form, at most once a day per family, while the window is open.

    ``students`` is the actor's own scope (the homeroom teacher's class, the office's school);
    the view passes ``reviewable_students(actor)``.
    """
    require(actor, Role.HOMEROOM_TEACHER, Role.COORDINATOR)
    if not term.window_is_open(timezone.now()):
        raise exceptions.ApplicationInvalid(exceptions.REMIND_WINDOW_CLOSED)
    unanswered = (students.filter(is_active=True)
                  .exclude(Exists(Application.objects.filter(term=term, student=OuterRef("pk"))
                                  .exclude(status=Status.DRAFT))))
    links = (StudentGuardian.objects.filter(student__in=unanswered, guardian__user__isnull=False)
             .select_related("guardian__user", "student").order_by("pk"))
    today = timezone.localdate()
    closes = term.application_closes_at
    deadline = f"，{short_moment_text(closes)}截止" if closes else ""
    url = reverse("enrollment:my")
    specs = [NoticeSpec(
        user=link.guardian.user, title=f"请为{link.student.name}填写课后服务意向书",
        body=f"{term.name}课后服务意向书正在填报{deadline}。不参加也请填写并选择“不参加”。",
        url=url, email=link.guardian.email, sms=True,
        key=f"remind:{term.pk}:{link.student_id}:{today.isoformat()}") for link in links]
    return notices_send(school=term.school, specs=specs)

