"""The demo's lessons and roll calls: the demo term's weeks before today, as a school lives them.

A demo step (``afterschool.demo.register_demo_step``, joined in ``AttendanceConfig.ready``),
after the arrangement's publication step. For the demo school's current term it sets the
boarders' evening reading times, generates the whole term's lessons (the same service as the
calendar's button), and takes the roll call of every lesson before today as its tutor (or
substitute) at a plausible minute after the start (most within the grace minutes): most
children present, a few late, a few on leave, rare unexplained absences, whose alerts read as
handled by the office. Then the office corrects one record of a locked lesson with a reason.

The roll calls are written in bulk, not one ``roll_call_submit`` per lesson (a term of
lessons through the service took most of ``seed_demo``): the rows are exactly what the service
writes for a first roll call with the same marks — every record marked at the roll-call time
by the tutor, revision 1, approved leave pre-filled as 请假 — and ``tests/attendance/
test_demo.py`` holds the two side by side. Where the domain decides something, the services
still do it: the absence alerts (``alerts_for_roll_call``) and the one correction
(``record_correct``).

Idempotent: regeneration changes nothing the second time, lessons already taken are skipped,
and the correction is made only once. Deterministic: one seed per lesson.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from afterschool import demo as core_demo
from afterschool.access import actor_for
from afterschool.models import User
from afterschool.selectors import current_term

from .models import AbsenceAlert, AttendanceCorrection, AttendancePolicy, AttendanceRecord, Lesson
from .policy import starts_at
from .selectors import leave_covering
from .services import alerts_for_roll_call, lessons_regenerate, record_correct

SEED = 20261111
READING = (dt.time(18, 55), dt.time(19, 35))
S = AttendanceRecord.Status
# Weights of each mark for a child (per cent).
MARKS = [(S.PRESENT, 94.5), (S.LATE, 3.0), (S.LEAVE, 2.0), (S.ABSENT, 0.5)]
# Minutes after the start a roll call is taken: most within the grace minutes, a few late.
MINUTES = [1, 2, 3, 3, 4, 5, 6, 8, 9, 14, 22]
CORRECTION_REASON = "家长补交了当天的病假条，改为请假"
DEMO_OUTCOME = "已联系家长，孩子当天在家"
BATCH = 1000
# What a roll call writes on a record (``roll_call_submit``'s bulk_update fields).
RECORD_FIELDS = ["status", "note", "leave", "marked_at", "marked_by", "revision"]
LESSON_FIELDS = ["roll_call_at", "roll_call_by", "roll_call_revision", "roll_call_token"]


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
    if generated.created or taken:
        analyze(Lesson, Lesson.tutors.through, AttendanceRecord, AbsenceAlert)
    if stdout is not None and (generated.created or taken or corrected):
        stdout.write(f"{school.name}：{generated}；演示点名 {taken} 节"
                     + ("，更正 1 条" if corrected else "") + "。")


def analyze(*models) -> None:
    """Fresh planner statistics after a bulk load on PostgreSQL: autovacuum may be off or late,
    and without them the first pages plan a term of records as if the tables were empty."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def demo_marks(lesson: Lesson, students: list[int]) -> tuple[dict[int, str], int]:
    """The lesson's marks ({student id: status}, students in id order) and the minutes after
    its start the roll call is taken: drawn from the lesson's own seed."""
    rng = random.Random(f"{SEED}:{lesson.date}:{lesson.key}:{lesson.start_time}")
    marks = {s: rng.choices([m for m, _ in MARKS], [w for _, w in MARKS])[0] for s in students}
    return marks, rng.choice(MINUTES)


@transaction.atomic
def take_demo_roll_calls(*, term, today: dt.date | None = None) -> int:
    """The roll call of every lesson before today that has none, by its substitute or first
    tutor; how many lessons were taken."""
    today = today or timezone.localdate()
    # The whole term before today, or (DEMO_ROLL_CALL_DAYS, set by the test settings so that
    # the suite's many seeds stay quick) only its last days.
    days = getattr(settings, "DEMO_ROLL_CALL_DAYS", None)
    since = today - dt.timedelta(days=days) if days else term.start_date
    # Untaken as regeneration counts it: no roll call and no record marked (a locked lesson's
    # record may have been corrected without one).
    due = (Lesson.objects.filter(term=term, date__lt=today, date__gte=since, is_cancelled=False,
                                 roll_call_at__isnull=True)
           .exclude(pk__in=AttendanceRecord.objects.exclude(status="").values("lesson_id")))
    lessons = []
    for lesson in (due.select_for_update(of=("self",)).select_related("substitute")
                   .prefetch_related("tutors").order_by("date", "start_time", "pk")):
        staff = lesson.substitute or next(iter(lesson.tutors.all()), None)
        if staff is None or staff.user_id is None:
            continue  # an unstaffed group: its roll call stays missing, as on the board
        lesson.roll_call_by = staff
        lessons.append(lesson)
    if not lessons:
        return 0
    students_of: dict[int, list[int]] = defaultdict(list)
    for lesson_id, student_id in (AttendanceRecord.objects.filter(lesson__in=due)
                                  .order_by("lesson_id", "student_id")
                                  .values_list("lesson_id", "student_id")):
        students_of[lesson_id].append(student_id)
    leave_of = {}
    for i in range(0, len(lessons), 500):  # bounded parameter lists
        leave_of.update(leave_covering(lessons=lessons[i:i + 500]))

    records = []
    for lesson in lessons:
        marks, minutes = demo_marks(lesson, students_of[lesson.pk])
        at = starts_at(lesson) + dt.timedelta(minutes=minutes)
        lesson.roll_call_at, lesson.roll_call_revision = at, 1
        lesson.roll_call_token = f"demo-{lesson.pk}"
        for student_id, status in marks.items():
            # The page pre-fills approved leave as 请假 and the tutor keeps it.
            leave = leave_of.get((lesson.pk, student_id))
            records.append(AttendanceRecord(
                lesson_id=lesson.pk, student_id=student_id,
                status=S.LEAVE if leave else status, leave=leave, note="", marked_at=at,
                marked_by_id=lesson.roll_call_by.user_id, revision=1))
    # The records exist (made with their lessons): an upsert on (lesson, student) fills them in
    # place, keeping their ids.
    AttendanceRecord.objects.bulk_create(
        records, batch_size=BATCH, update_conflicts=True, unique_fields=["lesson", "student"],
        update_fields=RECORD_FIELDS)
    # An upsert on the id is an UPDATE in one statement per batch (bulk_update would build a
    # CASE per lesson and field, slower than everything else here together).
    Lesson.objects.bulk_create(lessons, batch_size=BATCH, update_conflicts=True,
                               unique_fields=["pk"], update_fields=LESSON_FIELDS)

    # The upsert gave each record its id back: the absences raise their alerts as the roll-call
    # service would (the tutor's actor only matters for closing an alert, never here).
    absent: dict[int, list[AttendanceRecord]] = defaultdict(list)
    for record in records:
        if record.status == S.ABSENT:
            absent[record.lesson_id].append(record)
    for lesson in lessons:
        if absent[lesson.pk]:
            alerts_for_roll_call(lesson=lesson, records=absent[lesson.pk], actor=None,
                                 now=lesson.roll_call_at)
    return len(lessons)


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
    office a few minutes after they were raised (today's stay open for someone to answer).

    Their families were told at the time, so none is told again now: an alert the correction
    already closed is marked notified too, or the roll call's notice task would send today a
    缺勤提醒 about a weeks-old absence that was never one."""
    today = today or timezone.localdate()
    user = User.objects.filter(phone=core_demo.COORDINATOR.phone).first()
    past = AbsenceAlert.objects.filter(lesson__term=term, lesson__date__lt=today)
    handled = (past.exclude(status=AbsenceAlert.Status.HANDLED)
               .update(status=AbsenceAlert.Status.HANDLED, outcome=DEMO_OUTCOME, handled_by=user,
                       handled_at=F("raised_at") + dt.timedelta(minutes=12),
                       notified_at=F("raised_at")))
    past.filter(notified_at__isnull=True).update(notified_at=F("raised_at"))
    return handled
