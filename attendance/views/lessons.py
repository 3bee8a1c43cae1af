"""The tutor's day and the roll call (点名) of one lesson, built for one thumb on a phone."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import TemplateView

from afterschool.audit import acting_role, log_access
from afterschool.exceptions import DomainError
from afterschool.mixins import ActorMixin
from afterschool.models import Role, SensitiveAccess
from afterschool.params import parse_id

from .. import policy as pol
from .. import selectors as sel
from ..access import lessons_visible_to
from ..models import AttendanceRecord, Lesson
from ..services import may_take_roll_call, roll_call_submit

STAFF = (Role.TUTOR, Role.EXTERNAL_INSTRUCTOR, Role.HOMEROOM_TEACHER, Role.COORDINATOR,
         Role.PRINCIPAL)
RecordStatus = AttendanceRecord.Status
TAPS = [(RecordStatus.PRESENT, "到", "success"), (RecordStatus.LATE, "迟到", "warning"),
        (RecordStatus.LEAVE, "请假", "info"), (RecordStatus.ABSENT, "缺勤", "danger")]


def lessons_with_state(lessons, school_id, now=None):
    policy = pol.policy_for(school_id)
    now = now or timezone.now()
    for lesson in lessons:
        lesson.state = pol.lesson_state(lesson, policy, now)
        lesson.state_label = pol.STATE_LABELS[lesson.state]
    return lessons


class TodayView(ActorMixin, TemplateView):
    """A member of staff's lessons today, with their state and a link to the roll call."""

    template_name = "attendance/today.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        lessons = []
        if self.actor.staff is not None:
            lessons = lessons_with_state(list(sel.staff_lessons_on(
                lessons_visible_to(self.actor), self.actor.staff, today)), self.actor.school.pk)
        return super().get_context_data(today=today, lessons=lessons, **kwargs)


class RollCallView(ActorMixin, TemplateView):
    """GET: the roster, everyone present unless marked; POST: the whole lesson at once."""

    template_name = "attendance/roll_call.html"

    def lesson(self, pk):
        return get_object_or_404(lessons_visible_to(self.actor), pk=pk)

    def get_context_data(self, lesson, roster=None, error=None, **kwargs):
        policy = pol.policy_for(lesson.term.school_id)
        now = timezone.now()
        roster = roster if roster is not None else sel.lesson_roster(lesson)
        may_take = may_take_roll_call(self.actor, lesson)
        # Health markers only on the roll-call form itself, for the lesson's tutor or
        # substitute who looks after the children now; the office, the homeroom teacher and
        # the principal read attendance, not health (afterschool/audit.py).
        if not (may_take and not pol.is_locked(lesson, policy, now) and not lesson.is_cancelled):
            for row in roster:
                row["health"] = ""
        log_access(self.request, self.actor, [row["student"] for row in roster if row["health"]],
                   kinds=[SensitiveAccess.Kind.HEALTH],
                   place=f"点名：{lesson.title}（{lesson.date.month}月{lesson.date.day}日）",
                   role=acting_role(self.actor, Role.TUTOR, Role.EXTERNAL_INSTRUCTOR,
                                    Role.HOMEROOM_TEACHER, Role.COORDINATOR))
        counts = {code: sum(1 for row in roster if row["status"] == code) for code, *_ in TAPS}
        return super().get_context_data(
            lesson=lesson, roster=roster, taps=TAPS, error=error,
            tap_counts=[(code, label, color, counts[code]) for code, label, color in TAPS],
            token=secrets.token_urlsafe(16), may_take=may_take,
            locked=pol.is_locked(lesson, policy, now), locks_at=pol.locks_at(lesson, policy),
            state_label=pol.STATE_LABELS[pol.lesson_state(lesson, policy, now)],
            punctual=pol.is_punctual(lesson, policy),
            corrections=list(sel.record_corrections(lesson)) if lesson.roll_call_at else [],
            tutors=list(lesson.tutors.all()), is_office=self.actor.is_coordinator, **kwargs)

    def get(self, request, pk):
        return self.render_to_response(self.get_context_data(self.lesson(pk)))

    def post(self, request, pk):
        # The service reads the lesson under lock and refuses anyone who is not its tutor or
        # substitute — who can all see it — so the lesson is read through the visibility
        # scope only when the answer is not a fresh roll call (a refusal, a resend): someone
        # who may not see it gets the 404 the page gives them.
        marks, notes = {}, {}
        for key, value in request.POST.items():
            if key.startswith("s-"):
                student_id = parse_id(key[2:])
                if student_id is None:
                    continue
                marks[student_id] = value
            elif key.startswith("note-"):
                student_id = parse_id(key[5:])
                if student_id is not None:
                    notes[student_id] = value[:200]
        revision = parse_id(request.POST.get("revision"))
        try:
            result = roll_call_submit(
                lesson=pk, actor=self.actor, marks=marks, notes=notes,
                # "全部到齐": everyone on the lesson present, whatever was tapped.
                all_present=bool(request.POST.get("all_present")),
                revision=revision if revision is not None else 0,
                token=(request.POST.get("token") or "")[:40])
        except Lesson.DoesNotExist:
            raise Http404 from None
        except DomainError as exc:
            lesson = self.lesson(pk)
            roster = sel.lesson_roster(lesson)
            for row in roster:  # keep the taps the tutor made
                if row["student"].pk in marks and marks[row["student"].pk] in RecordStatus.values:
                    row["status"] = marks[row["student"].pk]
            return self.render_to_response(
                self.get_context_data(lesson, roster=roster, error=exc.message), status=400)
        if result.duplicate:
            self.lesson(pk)
        lesson, marks = result.lesson, result.marks
        n_absent = sum(1 for v in marks.values() if v == RecordStatus.ABSENT)
        messages.success(request, f"{lesson.title}：点名已提交（{len(marks)} 人"
                         + (f"，缺勤 {n_absent} 人，已通知家长和班主任" if n_absent else "")
                         + "）。")
        return redirect("attendance:today")
