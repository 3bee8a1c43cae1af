"""The demo's lessons and roll calls: the demo term's weeks before today, as a school lives them.

A demo step (``afterschool.demo.register_demo_step``, joined in ``AttendanceConfig.ready``),
after the arrangement's publication step. For the demo school's current term it sets the
boarders' evening reading times, generates the whole term's lessons (the same service as the
calendar's button), and takes the roll call of every lesson before today through the roll-call
service, as its tutor at a plausible minute after the start (most within the grace minutes):
most children present, a few late, a few on leave, rare unexplained absences (which raise
their alerts). Then the office corrects one record of a locked lesson with a reason.

Idempotent: regeneration changes nothing the second time, lessons already taken are skipped,
and the correction is made only once. Deterministic: one seed per lesson.
"""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from afterschool import demo as core_demo
from afterschool.access import actor_for
from afterschool.models import User
from afterschool.selectors import current_term

from .models import AbsenceAlert, AttendanceCorrection, AttendancePolicy, AttendanceRecord, Lesson
from .policy import starts_at
from .services import lessons_regenerate, record_correct, roll_call_submit

SEED = 20261111
READING = (dt.time(18, 55), dt.time(19, 35))
S = AttendanceRecord.Status
# Weights of each mark for a child (per cent).
MARKS = [(S.PRESENT, 94.5), (S.LATE, 3.0), (S.LEAVE, 2.0), (S.ABSENT, 0.5)]
CORRECTION_REASON = "家长补交了当天的病假条，改为请假"
DEMO_OUTCOME = "已联系家长，孩子当天在家"


def attendance_demo(demo: dict, stdout=None) -> None:
    """The demo step."""
    school = demo.get("school")
    term = current_term(school) if school is not None else None
    if term is None:
        return
    policy, _ = AttendancePolicy.objects.get_or_create(school=school)
    if policy.reading_start_time is None:
        policy.reading_start_time, policy.reading_end_time = READING
        policy.save(update_fields=["reading_start_time", "reading_end_time"])
    generated = lessons_regenerate(term=term, since=term.start_date)
    taken = take_demo_roll_calls(term=term)
    corrected = correct_one(term=term, school=school)
    handle_past_alerts(term=term)
    if stdout is not None and (generated.created or taken or corrected):
        stdout.write(f"{school.name}：{generated}；演示点名 {taken} 节"
                     + ("，更正 1 条" if corrected else "") + "。")


def take_demo_roll_calls(*, term, today: dt.date | None = None) -> int:
    """The roll call of every lesson before today that has none, by its tutor."""
    today = today or timezone.localdate()
    # The whole term before today, or (DEMO_ROLL_CALL_DAYS, set by the test settings so that
    # the suite's many seeds stay quick) only its last days.
    days = getattr(settings, "DEMO_ROLL_CALL_DAYS", None)
    since = today - dt.timedelta(days=days) if days else term.start_date
    lessons = list(Lesson.objects.filter(term=term, date__lt=today, date__gte=since,
                                         is_cancelled=False, roll_call_at__isnull=True)
                   .select_related("substitute__user", "term")
                   .prefetch_related("tutors__user").order_by("date", "start_time", "pk"))
    actors: dict[int, object] = {}
    taken = 0
    for lesson in lessons:
        staff = lesson.substitute or next(iter(lesson.tutors.all()), None)
        if staff is None or staff.user is None:
            continue  # an unstaffed group: its roll call stays missing, as on the board
        if staff.pk not in actors:
            actors[staff.pk] = actor_for(staff.user, term.school)
        rng = random.Random(f"{SEED}:{lesson.date}:{lesson.key}:{lesson.start_time}")
        students = list(lesson.records.values_list("student_id", flat=True))
        marks = {s: rng.choices([m for m, _ in MARKS], [w for _, w in MARKS])[0]
                 for s in students}
        # Most roll calls within the first minutes; a few late ones.
        minutes = rng.choice([1, 2, 3, 3, 4, 5, 6, 8, 9, 14, 22])
        roll_call_submit(lesson=lesson, actor=actors[staff.pk], marks=marks, revision=0,
                         token=f"demo-{lesson.pk}",
                         now=starts_at(lesson) + dt.timedelta(minutes=minutes))
        taken += 1
    return taken


def correct_one(*, term, school) -> bool:
    """The office corrects one 缺勤 of a locked lesson to 请假 (a late sick note), once."""
    if AttendanceCorrection.objects.filter(record__lesson__term=term).exists():
        return False
    user = User.objects.filter(phone=core_demo.COORDINATOR.phone).first()
    record = (AttendanceRecord.objects
              .filter(lesson__term=term, status=S.ABSENT,
                      lesson__date__lt=timezone.localdate() - dt.timedelta(days=1))
              .order_by("-lesson__date", "pk").first())
    if user is None or record is None:
        return False
    record_correct(record=record, new_status=S.LEAVE, reason=CORRECTION_REASON,
                   actor=actor_for(user, school))
    return True


def handle_past_alerts(*, term, today: dt.date | None = None) -> int:
    """The demo's absences of earlier days were followed up: their alerts read as handled by the
    office a few minutes after they were raised (today's stay open for someone to answer)."""
    today = today or timezone.localdate()
    user = User.objects.filter(phone=core_demo.COORDINATOR.phone).first()
    return (AbsenceAlert.objects
            .filter(lesson__term=term, lesson__date__lt=today)
            .exclude(status=AbsenceAlert.Status.HANDLED)
            .update(status=AbsenceAlert.Status.HANDLED, outcome=DEMO_OUTCOME, handled_by=user,
                    handled_at=F("raised_at") + dt.timedelta(minutes=12),
                    notified_at=F("raised_at")))
