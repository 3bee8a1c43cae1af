"""The demo's duty roster and patrols: the demo term's past weeks, as a school lives them.

A demo step (``afterschool.demo.register_demo_step``, joined in ``SafetyConfig.ready``), after
attendance's (lessons and roll calls). For the demo school's current term:

- a few teachers declared days they cannot be on duty; the office generated the whole term's
  roster through the service (one duty teacher and one leader a day), and the demo's duty
  teacher (吴敏) is on duty today when today is a service day, exchanged with whoever the
  roster had there (both keep their number of duties);
- on each past service day whose roll calls were taken, the day's duty teacher and leader
  visited two or three lessons, with the head count the roll call gave;
- two findings, once: a tutor late, followed up and closed by the office with a note; and a
  lesson used to teach new content (讲授新课), assigned to its tutor and still open.

The patrols of past days are written as rows (the patrol service records today's lessons
only, as a patrol is made while walking the building); the roster and the follow-ups' moves go
through their services. Idempotent: the roster is generated once, a day with patrols is
skipped, the findings are made once. Deterministic: one seed per day.
"""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from afterschool import demo as core_demo
from afterschool.access import actor_for
from afterschool.models import Staff, User
from afterschool.selectors import current_term
from attendance.models import AttendanceRecord, Lesson

from .models import (
    DutyAssignment,
    DutyKind,
    DutyRoster,
    DutyUnavailability,
    FollowUp,
    PatrolReport,
    SafetyPolicy,
)
from .services import follow_up_transition, roster_generate, service_days

SEED = 20261212
LATE_NOTE = "16:45 到班时辅导教师尚未到岗，学生在教室自习，秩序尚可。"
MISUSE_NOTE = "辅导教师在讲授下一单元新课，未按计划开展作业辅导。"
CLOSE_NOTE = "已与辅导教师谈话，提醒提前 5 分钟到岗；此后巡查均按时到岗。"


def safety_demo(demo: dict, stdout=None) -> None:
    school = demo.get("school")
    term = current_term(school) if school is not None else None
    if term is None:
        return
    office = User.objects.filter(phone=core_demo.COORDINATOR.phone).first()
    if office is None:
        return
    actor = actor_for(office, school)
    SafetyPolicy.objects.get_or_create(school=school)
    made = False
    if not DutyRoster.objects.filter(term=term).exists():
        _declare_some_days(term)
        roster_generate(term=term, actor=actor, from_date=term.start_date)
        _duty_teacher_on_duty_today(term)
        made = True
    patrolled = _past_patrols(term)
    findings = _findings(term, actor)
    if stdout is not None and (made or patrolled or findings):
        stdout.write(f"{school.name}：值日表" + ("已生成" if made else "已存在")
                     + f"；演示巡查 {patrolled} 次" + ("，发现问题 2 个（1 个已整改关闭）"
                                                  if findings else "") + "。")


def _declare_some_days(term) -> None:
    """A handful of teachers declared days away (training, invigilation) ahead of the term."""
    rng = random.Random(SEED)
    days = service_days(term)
    staff = list(Staff.objects.filter(school=term.school, is_external=False, is_active=True)
                 .order_by("pk")[:40])
    rows = []
    for person in rng.sample(staff, min(6, len(staff))):
        for day in rng.sample(days, min(3, len(days))):
            rows.append(DutyUnavailability(term=term, staff=person, date=day,
                                           reason=rng.choice(["外出培训", "监考", "教研活动"])))
    DutyUnavailability.objects.bulk_create(rows, ignore_conflicts=True)


def _duty_teacher_on_duty_today(term) -> None:
    """The demo's 值日教师 login is on duty today: exchanged with today's rostered teacher."""
    today = timezone.localdate()
    wu = Staff.objects.filter(school=term.school, phone=core_demo.DUTY_TEACHER.phone).first()
    roster = DutyRoster.objects.get(term=term)
    todays = DutyAssignment.objects.filter(roster=roster, date=today, kind=DutyKind.TEACHER)
    if wu is None or not todays.exists() or todays.filter(staff=wu).exists():
        return
    other = todays.order_by("pk").first()
    theirs = (DutyAssignment.objects.filter(roster=roster, staff=wu, kind=DutyKind.TEACHER)
              .exclude(date=today).order_by("date").last())
    if theirs is not None and DutyAssignment.objects.filter(
            roster=roster, date=theirs.date, kind=DutyKind.TEACHER,
            staff_id=other.staff_id).exists():
        theirs = None
    if theirs is not None:
        theirs.staff_id = other.staff_id
        theirs.save(update_fields=["staff"])
    other.staff = wu
    other.save(update_fields=["staff"])


def _patrol_window(term) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    days = getattr(settings, "DEMO_ROLL_CALL_DAYS", None)
    since = today - dt.timedelta(days=days) if days else term.start_date
    return max(since, term.start_date), today - dt.timedelta(days=1)


def _taken_lessons(term, day):
    return list(Lesson.objects.filter(term=term, date=day, is_cancelled=False,
                                      roll_call_at__isnull=False)
                .annotate(n_room=Count("records", filter=Q(records__status__in=(
                    AttendanceRecord.Status.PRESENT, AttendanceRecord.Status.LATE))),
                    n_expected=Count("records"))
                .select_related("substitute").prefetch_related("tutors")
                .order_by("start_time", "pk"))


def _past_patrols(term) -> int:
    """Two or three normal patrols per past day by that day's people on duty."""
    since, until = _patrol_window(term)
    done = set(PatrolReport.objects.filter(school=term.school, date__range=(since, until))
               .values_list("date", flat=True).distinct())
    roster = DutyRoster.objects.filter(term=term).first()
    if roster is None:
        return 0
    by_day: dict[dt.date, list] = {}
    for a in (DutyAssignment.objects.filter(roster=roster, date__range=(since, until))
              .select_related("staff").order_by("date", "-kind", "pk")):
        by_day.setdefault(a.date, []).append(a.staff)
    rows = []
    for day, people in sorted(by_day.items()):
        if day in done:
            continue
        lessons = _taken_lessons(term, day)
        if not lessons:
            continue
        rng = random.Random(f"{SEED}:{day}")
        for lesson in rng.sample(lessons, min(len(lessons), rng.choice([2, 3, 3]))):
            who = rng.choice([p for p in people if p.user_id] or [None])
            teacher = lesson.substitute or next(iter(lesson.tutors.all()), None)
            at = timezone.make_aware(dt.datetime.combine(day, lesson.start_time)) \
                + dt.timedelta(minutes=rng.randint(8, 30))
            rows.append(PatrolReport(
                school=term.school, lesson=lesson, date=day, patrolled_at=at,
                recorded_by_id=who.user_id if who else None, teacher=teacher,
                presence=PatrolReport.Presence.PRESENT, head_count=lesson.n_room,
                roll_call_count=lesson.n_room, expected_count=lesson.n_expected,
                activity=PatrolReport.Activity.AS_PLANNED, created_at=at))
    PatrolReport.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _findings(term, actor) -> bool:
    """The two findings, once: a late tutor (closed) and new content taught (still open)."""
    if FollowUp.objects.filter(school=term.school).exists():
        return False
    since, until = _patrol_window(term)
    days = sorted(PatrolReport.objects.filter(school=term.school, date__range=(since, until))
                  .values_list("date", flat=True).distinct())
    if not days:
        return False
    made = 0
    for day, kind in ((days[0], "late"), (days[-1], "misuse")):
        candidates = list(PatrolReport.objects.filter(school=term.school, date=day,
                                                      teacher__user__isnull=False)
                          .exclude(pk__in=FollowUp.objects.values("patrol_id"))
                          .select_related("teacher", "lesson").order_by("patrolled_at", "pk"))
        # A homework period is where new content gets taught; any lesson will do otherwise.
        candidates.sort(key=lambda p: p.lesson.kind != Lesson.Kind.HOMEWORK)
        patrol = candidates[0] if candidates else None
        if patrol is None:
            continue
        if kind == "late":
            patrol.presence, patrol.notes = PatrolReport.Presence.LATE, LATE_NOTE
        else:
            patrol.activity, patrol.notes = PatrolReport.Activity.NEW_LESSON, MISUSE_NOTE
        patrol.has_finding = True
        patrol.save(update_fields=["presence", "activity", "notes", "has_finding"])
        follow_up = FollowUp.objects.create(patrol=patrol, school=term.school,
                                            created_at=patrol.patrolled_at)
        then = patrol.patrolled_at + dt.timedelta(hours=1)
        follow_up_transition(follow_up=follow_up, to_status=FollowUp.Status.ASSIGNED,
                             actor=actor, assignee=patrol.teacher,
                             due_date=day + dt.timedelta(days=3), now=then)
        if kind == "late":
            teacher = actor_for(patrol.teacher.user, term.school)
            follow_up_transition(follow_up=follow_up, to_status=FollowUp.Status.RECTIFIED,
                                 actor=teacher, comment="已按要求提前到岗。",
                                 now=then + dt.timedelta(days=1))
            follow_up_transition(follow_up=follow_up, to_status=FollowUp.Status.CLOSED,
                                 actor=actor, comment=CLOSE_NOTE,
                                 now=then + dt.timedelta(days=2))
        made += 1
    return made > 0
