"""Patrols (巡查): the duty teacher or a leader visits a lesson and records what they saw.

A patrol with a finding — the tutor late or away, a head count that disagrees with the roll
call, an activity off the plan (讲授新课 and 考试 are the misuse the national rules forbid), or
another issue — opens a follow-up (整改) for the office, and the office and the tutor
concerned are told. Everything is checked before anything is written; the photo, re-encoded
first, is stored last, so a refusal leaves neither a row nor a file.
"""

from __future__ import annotations

import datetime as dt
import uuid
from io import BytesIO

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Staff
from afterschool.notifications import NoticeSpec, notices_send
from attendance.display import day_label
from attendance.duty import office_staff_of
from attendance.models import AttendanceRecord, Lesson

from .. import exceptions as e
from ..access import may_patrol
from ..models import FollowUp, PatrolReport

P = PatrolReport.Presence
A = PatrolReport.Activity

# A patrol may reach a lesson a few minutes before it starts (the tutor should be there).
EARLY_MINUTES = 5
# Photos: what a phone sends, bounded; stored re-encoded as a JPEG this size, without the
# EXIF block (a phone writes the place and the device into it), turned the right way up.
MAX_PHOTO_BYTES = 12 * 1024 * 1024
MAX_PIXELS = 60_000_000
STORED_EDGE = 1600
PHOTO_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}


def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def photo_prepared(upload) -> ContentFile:
    """The uploaded photo checked and re-encoded, or the refusal naming the file."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    name = getattr(upload, "name", "") or "照片"
    size = getattr(upload, "size", None)
    if size is None or size > MAX_PHOTO_BYTES:
        raise e.SafetyError(e.PATROL_PHOTO_TOO_BIG.format(
            name=name, size=_size_text(size or 0), limit=_size_text(MAX_PHOTO_BYTES)),
            field="photo")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in PHOTO_FORMATS:
                raise e.SafetyError(e.PATROL_PHOTO_NOT_IMAGE.format(name=name), field="photo")
            if width * height > MAX_PIXELS:
                raise e.SafetyError(e.PATROL_PHOTO_TOO_MANY_PIXELS.format(
                    name=name, pixels=width * height // 10_000), field="photo")
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((STORED_EDGE, STORED_EDGE))
            out = BytesIO()
            image.save(out, "JPEG", quality=82, optimize=True)
    except e.SafetyError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        raise e.SafetyError(e.PATROL_PHOTO_NOT_IMAGE.format(name=name), field="photo") from exc
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


def responsible_staff(lesson: Lesson) -> list[Staff]:
    """Who should be in the room: the substitute if one is set, else the tutors."""
    if lesson.substitute_id:
        return [lesson.substitute]
    return list(lesson.tutors.all())


@transaction.atomic
def patrol_record(*, actor: Actor, lesson: Lesson, presence: str,
                  activity: str = A.AS_PLANNED, teacher: Staff | None = None,
                  head_count: int | None = None, other_issue: bool = False, notes: str = "",
                  photo=None, now: dt.datetime | None = None) -> PatrolReport:
    """Record one visit of ``lesson``; a finding opens its follow-up."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if actor.school is None or lesson.term.school_id != actor.school.pk:
        raise e.SafetyError(e.PATROL_LESSON_OTHER_SCHOOL.format(lesson=lesson.title))
    if not may_patrol(actor, today):
        raise e.SafetyError(e.PATROL_NOT_ON_DUTY)
    if lesson.is_cancelled:
        raise e.SafetyError(e.PATROL_LESSON_CANCELLED.format(lesson=lesson.title))
    if lesson.date != today:
        raise e.SafetyError(e.PATROL_LESSON_NOT_TODAY.format(lesson=lesson.title,
                                                             day=day_label(lesson.date)))
    starts = timezone.make_aware(dt.datetime.combine(lesson.date, lesson.start_time))
    if now < starts - dt.timedelta(minutes=EARLY_MINUTES):
        raise e.SafetyError(e.PATROL_LESSON_NOT_STARTED.format(
            lesson=lesson.title, start=f"{lesson.start_time:%H:%M}"))
    if not presence:
        raise e.SafetyError(e.PATROL_PRESENCE_REQUIRED, field="presence")
    if presence not in P.values:
        raise e.SafetyError(e.PATROL_BAD_CHOICE.format(field="辅导教师", value=presence),
                            field="presence")
    if activity not in A.values:
        raise e.SafetyError(e.PATROL_BAD_CHOICE.format(field="活动内容", value=activity),
                            field="activity")
    responsible = responsible_staff(lesson)
    if teacher is None:
        teacher = responsible[0] if responsible else None
    elif teacher.pk not in {s.pk for s in responsible}:
        raise e.SafetyError(e.PATROL_TEACHER_NOT_ON_LESSON.format(name=teacher.name,
                                                                  lesson=lesson.title),
                            field="teacher")
    records = AttendanceRecord.objects.filter(lesson=lesson)
    expected = records.count()
    limit = max(100, 2 * expected)
    if head_count is not None and not 0 <= head_count <= limit:
        raise e.SafetyError(e.PATROL_HEAD_COUNT_RANGE.format(limit=limit, value=head_count),
                            field="head_count")
    roll_call_count = None
    if lesson.roll_call_at is not None:
        roll_call_count = records.filter(status__in=(AttendanceRecord.Status.PRESENT,
                                                     AttendanceRecord.Status.LATE)).count()
    mismatch = (head_count is not None and roll_call_count is not None
                and head_count != roll_call_count)
    notes = (notes or "").strip()
    if len(notes) > 500:
        raise e.SafetyError(e.PATROL_NOTES_TOO_LONG.format(length=len(notes)), field="notes")
    if (activity == A.OTHER or other_issue) and not notes:
        raise e.SafetyError(e.PATROL_NOTES_REQUIRED, field="notes")
    prepared = photo_prepared(photo) if photo else None

    report = PatrolReport(
        school=actor.school, lesson=lesson, date=lesson.date, patrolled_at=now,
        recorded_by=actor.user, teacher=teacher, presence=presence, head_count=head_count,
        roll_call_count=roll_call_count, expected_count=expected,
        head_count_mismatch=mismatch, activity=activity, other_issue=bool(other_issue),
        notes=notes, created_at=now)
    report.has_finding = bool(report.finding_labels())
    report.full_clean(exclude=["photo"])
    report.save()
    if report.has_finding:
        follow_up = FollowUp(patrol=report, school=actor.school, created_at=now)
        follow_up.full_clean()
        follow_up.save()
        _tell_finding(report, follow_up)
    if prepared is not None:
        report.photo.save(prepared.name, prepared, save=False)
        report.save(update_fields=["photo"])
    return report


def _tell_finding(report: PatrolReport, follow_up: FollowUp) -> None:
    """The office gets a follow-up to assign; the tutor concerned learns what was found."""
    lesson = report.lesson
    what = "；".join(report.finding_labels())
    when = f"{day_label(lesson.date)}{timezone.localtime(report.patrolled_at):%H:%M}"
    body = f"{when}巡查“{lesson.title}”（{lesson.venue or '地点未填'}）：{what}。"
    if report.notes:
        body += f"备注：{report.notes}"
    url = reverse("safety:follow_up", args=[follow_up.pk])
    specs = [NoticeSpec(user=u, title=f"巡查发现问题：{lesson.title}", body=body, url=url)
             for u in office_staff_of(report.school_id)]
    teacher = report.teacher
    if teacher is not None and teacher.user_id and teacher.user_id not in {
            s.user.pk for s in specs}:
        specs.append(NoticeSpec(user=teacher.user, title=f"巡查反馈：{lesson.title}",
                                body=body + "课后服务办公室将安排整改。", url=url))
    notices_send(school=report.school, specs=specs)
