"""Dismissal (放学交接) pages, each one thumb on a phone.

- :class:`DismissalView`: the tutor's page of a lesson — the children it dismisses, grouped by
  way home; one tap per group, a code or a person from the list for a child picked up, or the
  duty teacher for someone not on the list.
- :class:`CampusDismissalView`: the duty teacher's (and the office's) page — every child still
  in school across the campus, and the day's close ("全员离校").
- :class:`PickupScanView`: what the guardian's QR code opens on the tutor's phone.
- :class:`PickupView`: the family's page of a child — today's way home, who may collect, the
  one-time pickup code, and the release once it happened.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from afterschool.access import children_of
from afterschool.audit import acting_role, log_access
from afterschool.exceptions import DomainError
from afterschool.mixins import ActorMixin
from afterschool.models import Role, SensitiveAccess
from afterschool.params import date_param, ids, parse_id

from .. import selectors
from ..access import dismissal_lessons_visible_to, on_duty, pickup_changes_visible_to
from ..display import DISMISSAL_VIA_TONE, day_label, dismissal_text, qr_svg
from ..models import Dismissal, PickupCode
from ..services import (
    dismissal_hand_to_duty,
    dismissal_release_by_code,
    dismissal_release_group,
    dismissal_release_to_person,
    duty_release,
    may_dismiss,
    may_take_roll_call,
    pickup_change_add,
    pickup_change_remove,
    pickup_code_issue,
    pickup_code_lookup,
)
from ..services.dismissal import CODE_FAILURE_LIMIT, CODE_FAILURE_MINUTES


def _post(request, name: str, limit: int = 50) -> str:
    return (request.POST.get(name) or "")[:limit]


PICKUP, PHONE = SensitiveAccess.Kind.PICKUP, SensitiveAccess.Kind.PHONE
DISMISSAL_ROLES = (Role.COORDINATOR, Role.DUTY_TEACHER, Role.TUTOR, Role.EXTERNAL_INSTRUCTOR,
                   Role.HOMEROOM_TEACHER, Role.PRINCIPAL)


def _shown(row: dict, *, with_list: bool, full_phones: bool) -> list[str]:
    """What a dismissal page shows of one child's pickup details: the people on the list (with
    their numbers, to ring), today's changes, or the person handed to the duty teacher."""
    handover = row.get("handover")
    kinds = []
    if (with_list and row["way"].persons) or row["way"].day_persons or (
            handover and handover.person_name):
        kinds.append(PICKUP)
    if full_phones and ((with_list and row["way"].persons)
                        or (handover and handover.person_phone)):
        kinds.append(PHONE)
    return kinds


class DismissalView(ActorMixin, TemplateView):
    """GET: the lesson's children by way home; POST ``action``: ``group`` (one tap for the
    children of a group), ``person`` (a child to someone on the list), ``code`` (a child by
    the guardian's code), ``unlisted`` (someone not on the list: to the duty teacher)."""

    template_name = "attendance/dismissal.html"

    def lesson(self, pk):
        return get_object_or_404(dismissal_lessons_visible_to(self.actor), pk=pk)

    def get_context_data(self, lesson, error=None, error_student=None, **kwargs):
        data = selectors.lesson_dismissal(lesson)
        for row in data["rows"]:
            row["release_text"] = dismissal_text(row["release"]) if row["release"] else ""
        prefill = parse_id(self.request.GET.get("student"))
        may = may_dismiss(self.actor, lesson)
        is_today = lesson.date == timezone.localdate()
        # The list of who may collect, with full numbers to ring a late family, is shown to
        # whoever dismisses the child (afterschool/audit.py).
        log_access(self.request, self.actor, entries=[
            (row["student"], _shown(row, full_phones=may, with_list=(
                may and is_today and row["way"].way == selectors.WAY_PICKED_UP
                and not row["release"] and not row["handover"])))
            for row in data["rows"]],
            place=f"放学交接：{lesson.title}（{lesson.date.month}月{lesson.date.day}日）",
            role=acting_role(self.actor, *DISMISSAL_ROLES))
        return super().get_context_data(
            lesson=lesson, data=data, error=error, error_student=error_student,
            may=may, is_today=is_today,
            prefill_student=prefill, prefill_code=(self.request.GET.get("code") or "")[:6],
            via_tone=DISMISSAL_VIA_TONE, code_limit=CODE_FAILURE_LIMIT,
            code_minutes=CODE_FAILURE_MINUTES, tutors=list(lesson.tutors.all()), **kwargs)

    def get(self, request, pk):
        return self.render_to_response(self.get_context_data(self.lesson(pk)))

    def post(self, request, pk):
        lesson = self.lesson(pk)
        action = request.POST.get("action")
        student_id = parse_id(request.POST.get("student"))
        try:
            if action == "group":
                released = dismissal_release_group(
                    lesson=lesson, actor=self.actor, way=_post(request, "way", 20),
                    route=_post(request, "route"),
                    student_ids=ids(request.POST.getlist("students")))
                names = "、".join(r.student.name for r in released[:5])
                more = f"等 {len(released)} 人" if len(released) > 5 else ""
                messages.success(request, f"{names}{more}：{dismissal_text(released[0])}。")
            elif action in ("person", "code"):
                if student_id is None:
                    raise DomainError("请选择学生。")
                if action == "person":
                    released = dismissal_release_to_person(
                        lesson=lesson, actor=self.actor, student_id=student_id,
                        person_key=_post(request, "person", 20))
                else:
                    released = dismissal_release_by_code(
                        lesson=lesson, actor=self.actor, student_id=student_id,
                        code=_post(request, "code", 20))
                messages.success(request, f"{released.student.name}：{dismissal_text(released)}。")
            elif action == "unlisted":
                if student_id is None:
                    raise DomainError("请选择学生。")
                handover = dismissal_hand_to_duty(
                    lesson=lesson, actor=self.actor, student_id=student_id,
                    name=_post(request, "name"), relation=_post(request, "relation", 20),
                    phone=_post(request, "phone", 20))
                messages.warning(request, f"{handover.student.name}已交值日教师核实来接的人"
                                 f"（{handover.person_name}，{handover.person_relation}）。")
            else:
                raise DomainError("请选择放学方式。")
        except DomainError as exc:
            return self.render_to_response(self.get_context_data(
                lesson, error=exc.message, error_student=student_id), status=400)
        return redirect(reverse("attendance:dismissal", args=[lesson.pk]))


class CampusDismissalView(ActorMixin, TemplateView):
    """Every child still in school today across the campus: for the duty teachers (who
    release them) and the office and the principal (who follow the day's close)."""

    template_name = "attendance/dismissal_campus.html"

    def allowed(self, today) -> bool:
        return self.actor.is_school_wide or on_duty(self.actor, today)

    def get_context_data(self, error=None, error_student=None, **kwargs):
        today = timezone.localdate()
        data = selectors.campus_dismissal(self.actor.school.pk, today)
        may = on_duty(self.actor, today)
        # The duty teacher and the office ring the families still missing: full numbers; the
        # principal follows the day's close with numbers masked (afterschool/audit.py).
        full_phones = may or self.actor.is_coordinator
        log_access(self.request, self.actor, entries=[
            (row["student"], _shown(row, full_phones=full_phones, with_list=(
                may and row["way"].way == selectors.WAY_PICKED_UP)))
            for row in data["rows"]],
            place=f"全校放学（{today.month}月{today.day}日）",
            role=Role.DUTY_TEACHER if may and not self.actor.is_school_wide
            else acting_role(self.actor, *DISMISSAL_ROLES))
        return super().get_context_data(
            data=data, today=today, today_label=day_label(today), error=error,
            error_student=error_student, may=may, full_phones=full_phones,
            prefill_student=parse_id(self.request.GET.get("student")),
            prefill_code=(self.request.GET.get("code") or "")[:6], **kwargs)

    def get(self, request):
        if self.actor.school is None or not self.allowed(timezone.localdate()):
            raise PermissionDenied("只有今天的值日教师和课后服务办公室可以查看全校放学情况。")
        return self.render_to_response(self.get_context_data())

    def post(self, request):
        if self.actor.school is None or not self.allowed(timezone.localdate()):
            raise PermissionDenied("只有今天的值日教师和课后服务办公室可以放学交接。")
        student_id = parse_id(request.POST.get("student"))
        try:
            if student_id is None:
                raise DomainError("请选择学生。")
            released = duty_release(
                actor=self.actor, student_id=student_id, how=_post(request, "how", 20),
                person_key=_post(request, "person", 20), code=_post(request, "code", 20),
                note=_post(request, "note", 300))
        except DomainError as exc:
            return self.render_to_response(self.get_context_data(
                error=exc.message, error_student=student_id), status=400)
        messages.success(request, f"{released.student.name}：{dismissal_text(released)}。")
        return redirect("attendance:dismissal_campus")


class PickupScanView(ActorMixin, TemplateView):
    """The guardian's QR code names this page with the code: the child's dismissal page opens
    with the code filled in, for the tutor (or the duty teacher) to confirm with one tap."""

    template_name = "attendance/dismissal_scan.html"
    allowed_roles = (Role.TUTOR, Role.EXTERNAL_INSTRUCTOR, Role.HOMEROOM_TEACHER,
                     Role.DUTY_TEACHER, Role.COORDINATOR)

    def get(self, request):
        code = request.GET.get("code")
        if not code:
            return self.render_to_response(self.get_context_data())
        try:
            found = pickup_code_lookup(actor=self.actor, code=code[:20])
        except DomainError as exc:
            return self.render_to_response(self.get_context_data(error=exc.message, code=code[:6]),
                                           status=400)
        today = timezone.localdate()
        record = (selectors.last_lesson_records(day=today, school_id=self.actor.school.pk)
                  .filter(student_id=found.student_id).select_related("lesson").first())
        query = f"?student={found.student_id}&code={found.code}#child-{found.student_id}"
        if record is not None and may_take_roll_call(self.actor, record.lesson):
            return redirect(reverse("attendance:dismissal", args=[record.lesson_id]) + query)
        if on_duty(self.actor, today):
            return redirect(reverse("attendance:dismissal_campus") + query)
        return self.render_to_response(self.get_context_data(
            error=f"{found.student.name}不是您这节课的学生，请交给孩子的辅导教师或值日教师。",
            code=found.code), status=403)


class PickupView(ActorMixin, TemplateView):
    """家长: one child's way home today, the people who may collect, the day's change
    ("今天由外婆接"), the one-time pickup code with its QR code, and the release."""

    template_name = "attendance/dismissal_pickup.html"
    allowed_roles = (Role.GUARDIAN,)

    def student(self):
        return get_object_or_404(children_of(self.actor), pk=self.kwargs["student_pk"])

    def get_context_data(self, error=None, **kwargs):
        student = self.student()
        today = timezone.localdate()
        way = selectors.ways_home([student], day=today)[student.pk]
        release = Dismissal.objects.filter(student=student, date=today).select_related(
            "released_by").first()
        code = PickupCode.objects.filter(student=student, date=today, used_at__isnull=True,
                                         expires_at__gt=timezone.now()).first()
        scan_url = qr = ""
        if code is not None and release is None:
            scan_url = self.request.build_absolute_uri(
                reverse("attendance:pickup_scan") + f"?code={code.code}")
            qr = qr_svg(scan_url)
        changes = list(pickup_changes_visible_to(self.actor).filter(
            student=student, date__gte=today).order_by("date", "pk"))
        has_service = student.attendance_records.filter(
            lesson__date=today, lesson__is_cancelled=False).exists()
        return super().get_context_data(
            student=student, today=today, today_label=day_label(today), way=way,
            release=release, release_text=dismissal_text(release) if release else "",
            code=code, qr=qr, changes=changes, has_service=has_service, error=error,
            tomorrow=today + dt.timedelta(days=1), **kwargs)

    def post(self, request, student_pk):
        student = self.student()
        action = request.POST.get("action")
        try:
            if action == "add":
                day = date_param(_post(request, "date", 10), timezone.localdate())
                change = pickup_change_add(
                    actor=self.actor, student=student, day=day, name=_post(request, "name"),
                    relation=_post(request, "relation", 20), phone=_post(request, "phone", 20))
                messages.success(request, f"{day_label(change.date)}由{change.name}"
                                 f"（{change.relation}）接{student.name}，已告知老师。")
            elif action == "remove":
                change = get_object_or_404(pickup_changes_visible_to(self.actor),
                                           pk=parse_id(request.POST.get("change")) or 0,
                                           student=student)
                pickup_change_remove(actor=self.actor, change=change)
                messages.success(request, f"已取消{day_label(change.date)}由{change.name}接送。")
            elif action == "code":
                code = pickup_code_issue(actor=self.actor, student=student,
                                         person_key=_post(request, "person", 20))
                messages.success(request, f"今天的接送码已生成：{code.person_name}来接时出示。")
            else:
                raise DomainError("请选择要做的事。")
        except DomainError as exc:
            return self.render_to_response(self.get_context_data(error=exc.message), status=400)
        return redirect("attendance:pickup", student_pk=student.pk)
