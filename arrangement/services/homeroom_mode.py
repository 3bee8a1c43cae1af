"""Homeroom mode (按班级开展): date ranges in which mixed clubs pause and each homeroom is a group.

A range is never deleted: ending it early keeps the row with the day the school returned to
normal, who decided and the end that had been planned, so the term's history shows when the
service ran by homeroom. Switching the mode on or off tells the families whose children are in
the published arrangement and the teachers whose week changes (:func:`_notify_mode_change`).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor
from afterschool.formatting import short_date_text
from afterschool.models import Homeroom, Staff, Student, StudentGuardian, Term
from afterschool.notifications import NoticeSpec, notices_send
from courses.models import Section
from enrollment.models import Application

from ..exceptions import (
    HOMEROOM_MODE_BACKWARDS,
    HOMEROOM_MODE_OUTSIDE_TERM,
    HOMEROOM_MODE_OVERLAP,
    HomeroomModeInvalid,
)
from ..models import HomeroomModePeriod
from ..selectors import published_arrangement
from .common import require_school


@transaction.atomic
def homeroom_mode_start(*, term: Term, actor: Actor, start_date: dt.date, end_date: dt.date,
                        reason: str) -> HomeroomModePeriod:
    """Suspend mixed clubs for a date range: each homeroom becomes its own group.

    The arrangement is untouched, so the school returns to it when the range ends. The
    families and teachers concerned are told after commit (``period.notice_summary``).
    """
    require_school(actor, term)
    Term.objects.select_for_update().filter(pk=term.pk).first()  # overlapping ranges race
    if start_date > end_date:
        raise HomeroomModeInvalid(HOMEROOM_MODE_BACKWARDS)
    period = HomeroomModePeriod(term=term, start_date=start_date, end_date=end_date,
                                reason=reason.strip(), created_by=actor.user)
    period.full_clean()
    if not (term.start_date <= start_date and end_date <= term.end_date):
        raise HomeroomModeInvalid(HOMEROOM_MODE_OUTSIDE_TERM)
    # A range that never ran (ended before its first day) has end_date < start_date and
    # overlaps nothing.
    overlapping = HomeroomModePeriod.objects.filter(term=term, start_date__lte=end_date,
                                                    end_date__gte=start_date).first()
    if overlapping is not None:
        raise HomeroomModeInvalid(HOMEROOM_MODE_OVERLAP.format(period=overlapping))
    period.save()
    span = f"{short_date_text(start_date)}至{short_date_text(end_date)}"
    after = short_date_text(end_date + dt.timedelta(days=1))
    period.notice_summary = _notify_mode_change(
        period, title=f"{span}课后服务按班级开展",
        family=(f"{period.reason}。{span}走班社团暂停，孩子在本班参加“特色课程+作业辅导”，"
                f"由班主任负责；{after}起恢复原有课表。"),
        staff=(f"{period.reason}。{span}走班社团暂停，各班在本班开展“特色课程+作业辅导”，"
               f"由班主任负责；{after}起恢复原有安排。请查看您这几天的安排。"))
    return period


@transaction.atomic
def homeroom_mode_end(*, period: HomeroomModePeriod, actor: Actor,
                      on: dt.date | None = None) -> HomeroomModePeriod:
    """Back to normal from ``on`` (today by default).

    The range is closed at that day, not deleted: ``ended_on`` is the first normal day,
    ``planned_end_date`` the end that had been set, ``end_date`` the last day actually run by
    homeroom (before ``start_date`` when it never began). A range already over, or already
    ended, is returned as it is and nobody is told again.
    """
    require_school(actor, period.term)
    period = HomeroomModePeriod.objects.select_for_update().select_related("term").get(
        pk=period.pk)
    on = on or timezone.localdate()
    period.notice_summary = ""
    if period.ended_on is not None or on > period.end_date:
        return period
    period.planned_end_date = period.end_date
    period.end_date = on - dt.timedelta(days=1)
    period.ended_on = on
    period.ended_by = actor.user
    period.ended_at = timezone.now()
    period.full_clean()
    period.save(update_fields=["planned_end_date", "end_date", "ended_on", "ended_by",
                               "ended_at"])
    planned = (f"{short_date_text(period.start_date)}至"
               f"{short_date_text(period.planned_end_date)}")
    if period.never_ran:
        title = f"取消{planned}按班级开展"
        family = f"原定{planned}按班级开展的安排已取消，孩子的课表不变。"
        staff = f"原定{planned}按班级开展的安排已取消，您的课后服务安排不变。"
    else:
        title = f"{short_date_text(on)}起课后服务恢复正常"
        family = (f"原定{planned}按班级开展，现提前结束：{short_date_text(on)}起走班社团恢复，"
                  f"孩子按原有课表参加。")
        staff = (f"原定{planned}按班级开展，现提前结束：{short_date_text(on)}起恢复走班，"
                 f"请按原有安排带教学班和作业辅导组。")
    period.notice_summary = _notify_mode_change(period, title=title, family=family,
                                                staff=staff)
    return period


def _notify_mode_change(period: HomeroomModePeriod, *, title: str, family: str,
                        staff: str) -> str:
    """Tell the families of the children in the published arrangement (in-app and by SMS)
    and the teachers whose week changes: the tutors of its sections and homework groups, the
    班主任 of its children's homerooms and the tutors of those homerooms' own sections.

    Bulk and after commit (:func:`afterschool.notifications.notices_send`); returns what was
    sent, e.g. "已通知 46 位家长（站内 46，短信 40 条发送中）；已通知 12 位教师（站内 12）".
    """
    term = period.term
    run = published_arrangement(term)
    if run is None:
        return "尚未发布统筹安排，没有需要通知的家长和教师"
    children = Application.objects.filter(term=term).filter(
        Q(status=Application.Status.PLACED)
        | Q(status=Application.Status.WITHDRAWN, withdrawn_on__gt=period.start_date)
    ).values("student_id")
    links = (StudentGuardian.objects.filter(student_id__in=children,
                                            guardian__user__isnull=False)
             .select_related("guardian__user").order_by("guardian_id", "pk"))
    guardians = {}
    for link in links:
        guardians.setdefault(link.guardian.user_id, link.guardian)
    homerooms = Student.objects.filter(pk__in=children).values("homeroom_id")
    # Four narrow reads rather than one join of all four (which multiplies rows).
    teacher_ids = set(Section.tutors.through.objects.filter(
        section__placements__arrangement=run).values_list("staff_id", flat=True))
    teacher_ids |= set(run.homework_groups.filter(tutor__isnull=False)
                       .values_list("tutor_id", flat=True))
    teacher_ids |= set(Homeroom.objects.filter(pk__in=homerooms, head_teacher__isnull=False)
                       .values_list("head_teacher_id", flat=True))
    teacher_ids |= set(Section.tutors.through.objects.filter(
        section__course__term=term, section__homeroom_id__in=homerooms)
        .values_list("staff_id", flat=True))
    teachers = (Staff.objects.filter(pk__in=teacher_ids, user__isnull=False, is_active=True)
                .select_related("user").order_by("pk"))
    school = term.school
    families = notices_send(school=school, specs=[NoticeSpec(
        user=guardian.user, title=title, body=family, url=reverse("arrangement:my_schedule"),
        email=guardian.email, sms=True) for guardian in guardians.values()])
    tutors = notices_send(school=school, specs=[NoticeSpec(
        user=teacher.user, title=title, body=staff, url=reverse("arrangement:my_sections"))
        for teacher in teachers])
    return f"{families.text('家长')}；{tutors.text('教师')}"
