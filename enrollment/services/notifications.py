"""Telling the guardians what happened to their child's form: a notice, and an e-mail."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from afterschool.models import StudentGuardian
from afterschool.services import notice_create

from ..models import Application, ApplicationTransition

S = Application.Status

NOTICE_TEXT = {
    S.SUBMITTED: ("{student}的课后服务意向书已提交", "意向书已提交，等待班主任审核。"),
    S.CLASS_APPROVED: ("{student}的课后服务意向书：班主任已审核通过",
                       "班主任已审核通过，等待学校复核。"),
    S.RETURNED: ("{student}的课后服务意向书被退回修改",
                 "请登录系统按意见修改后重新提交。"),
    S.CLASS_REJECTED: ("{student}的课后服务意向书：班主任审核未通过", ""),
    S.SCHOOL_APPROVED: ("{student}的课后服务意向书：学校已复核通过",
                        "学校已复核通过，等待统筹安排，安排结果将另行通知。"),
    S.SCHOOL_REJECTED: ("{student}的课后服务意向书：学校复核未通过", ""),
    S.PLACED: ("{student}的课后服务已统筹安排", "请登录系统查看课程与时间安排。"),
    S.WITHDRAWN: ("{student}已退出课后服务", "退出自{withdrawn_on}起生效。"),
}


def transitions_notify(*, transition_ids: Sequence[int]) -> int:
    """Tell each guardian with a login (but the one who acted) about these moves, once.

    An in-app notice for each, and an e-mail where an address is known (queued by
    ``notice_create`` after commit). Safe to run twice: a transition is notified once.
    """
    sent = 0
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
            withdrawn_on = application.withdrawn_on
            body = body.format(withdrawn_on=(f"{withdrawn_on.year}年{withdrawn_on.month}月"
                                             f"{withdrawn_on.day}日" if withdrawn_on else ""))
            if transition.comment:
                label = "原因" if transition.to_status in (S.RETURNED, S.CLASS_REJECTED,
                                                          S.SCHOOL_REJECTED, S.WITHDRAWN) else "意见"
                body = f"{label}：{transition.comment}。{body}"
            url = reverse("enrollment:detail", args=[application.pk])
            for guardian in guardians_of.get(application.student_id, []):
                if guardian.user_id == transition.actor_id:
                    continue
                notice_create(user=guardian.user, school=application.school,
                              title=title.format(student=student), body=body, url=url,
                              email=guardian.email)
                sent += 1
        ApplicationTransition.objects.filter(pk__in=[t.pk for t in transitions]).update(
            notified_at=timezone.now())
    return sent

