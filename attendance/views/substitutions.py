"""Substitutes (代课): the office assigns another member of staff to a lesson or a date range."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from afterschool.access import staff_visible_to
from afterschool.exceptions import DomainError
from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.params import parse_id
from afterschool.selectors import current_term

from ..access import lessons_visible_to, substitutions_visible_to
from ..forms import SubstitutionForm
from ..services import substitution_assign, substitution_cancel

OFFICE = (Role.COORDINATOR, Role.PRINCIPAL)


class SubstitutionListView(ActorMixin, TemplateView):
    """The term's orders, and a form: one lesson (``?lesson=``) or a tutor's date range."""

    allowed_roles = OFFICE
    template_name = "attendance/substitutions.html"

    def lesson(self):
        wanted = parse_id(self.request.GET.get("lesson") or self.request.POST.get("lesson"))
        if wanted is None:
            return None
        return get_object_or_404(lessons_visible_to(self.actor), pk=wanted)

    def staff(self):
        return staff_visible_to(self.actor).filter(is_active=True).order_by("name")

    def get_context_data(self, form=None, **kwargs):
        term = current_term(self.actor.school)
        if term is None:
            raise Http404("本校尚未设置学期。")
        lesson = self.lesson()
        return super().get_context_data(
            term=term, lesson=lesson,
            form=form or SubstitutionForm(staff=self.staff(), single_lesson=lesson is not None),
            orders=substitutions_visible_to(self.actor).filter(term=term)
            .order_by("-start_date", "-pk"), **kwargs)

    def post(self, request):
        if not self.actor.has(Role.COORDINATOR):
            raise PermissionDenied("只有课后服务办公室可以安排代课。")
        lesson = self.lesson()
        form = SubstitutionForm(request.POST, staff=self.staff(), single_lesson=lesson is not None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if lesson is not None:
                    order = substitution_assign(actor=self.actor, lesson=lesson,
                                                substitute=data["substitute"],
                                                reason=data["reason"])
                else:
                    order = substitution_assign(
                        actor=self.actor, term=current_term(self.actor.school),
                        tutor=data["tutor"], substitute=data["substitute"],
                        start_date=data["start_date"], end_date=data["end_date"],
                        reason=data["reason"])
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已安排{order.substitute.name}代课"
                                 f"（{order.start_date:%m月%d日}–{order.end_date:%m月%d日}）。")
                if lesson is not None:
                    return redirect("attendance:roll_call", pk=lesson.pk)
                return redirect("attendance:substitutions")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SubstitutionCancelView(ActorMixin, View):
    allowed_roles = (Role.COORDINATOR,)

    def post(self, request, pk):
        order = get_object_or_404(substitutions_visible_to(self.actor), pk=pk)
        try:
            substitution_cancel(order=order, actor=self.actor)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已取消该代课安排，尚未点名的课次恢复由原辅导教师点名。")
        return redirect("attendance:substitutions")
