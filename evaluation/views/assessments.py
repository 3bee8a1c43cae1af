"""Assessment pages: the list and a new one (month or term), the scores with their breakdown,
the principal's confirmation of the lists, a teacher's own result, and the scheme."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import TemplateView

from afterschool.exceptions import DomainError
from afterschool.forms import add_domain_error
from afterschool.mixins import ActorMixin
from afterschool.models import Role, Term
from afterschool.params import parse_id

from ..access import assessment_entries_visible_to, assessments_visible_to
from ..display import ASSESSMENT_TONE
from ..forms import AssessmentSchemeForm, CommentForm, WorkloadPolicyForm
from ..models import Assessment, AssessmentChange, AssessmentEntry
from ..months import previous_month
from ..policy import assessment_scheme_for, workload_policy_for
from ..services import (
    assessment_compute,
    assessment_confirm,
    assessment_reopen,
    assessment_scheme_update,
    workload_policy_update,
)
from .statements import month_param, revision_of

A = Assessment.Status
OFFICE = (Role.COORDINATOR, Role.PRINCIPAL)
LISTING = AssessmentEntry.Listing


class AssessmentListView(ActorMixin, TemplateView):
    allowed_roles = OFFICE
    template_name = "evaluation/assessments.html"

    def get_context_data(self, **kwargs):
        terms = Term.objects.filter(school=self.actor.school).order_by("-start_date")
        return super().get_context_data(
            assessments=assessments_visible_to(self.actor).order_by("-start_date", "period")[:36],
            terms=terms, default_month=previous_month(timezone.localdate()),
            tone=ASSESSMENT_TONE, **kwargs)

    def post(self, request):
        period = request.POST.get("period")
        term = None
        if period == Assessment.Period.TERM:
            term = Term.objects.filter(school=self.actor.school,
                                       pk=parse_id(request.POST.get("term"))).first()
        else:
            period = Assessment.Period.MONTH
        try:
            assessment = assessment_compute(actor=self.actor, school=self.actor.school,
                                            period=period, month=month_param(request),
                                            term=term)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("evaluation:assessments")
        messages.success(request, f"{assessment.label}考核已计算，共 {assessment.entries.count()} "
                         "位教师。")
        return redirect("evaluation:assessment", pk=assessment.pk)


class AssessmentDetailView(ActorMixin, TemplateView):
    allowed_roles = OFFICE
    template_name = "evaluation/assessment.html"

    def assessment(self) -> Assessment:
        return get_object_or_404(assessments_visible_to(self.actor).prefetch_related(
            Prefetch("entries", queryset=AssessmentEntry.objects.select_related("staff")
                     .order_by("-score", "staff__name")),
            Prefetch("changes", queryset=AssessmentChange.objects.select_related("actor")
                     .order_by("at", "pk"))), pk=self.kwargs["pk"])

    def get_context_data(self, assessment=None, **kwargs):
        assessment = assessment or self.assessment()
        entries = list(assessment.entries.all())
        proposed = assessment.status == A.PROPOSED
        return super().get_context_data(
            assessment=assessment, entries=entries, history=list(assessment.changes.all()),
            commend=[x for x in entries if x.listed == LISTING.COMMEND],
            follow_up=[x for x in entries if x.listed == LISTING.FOLLOW_UP],
            may_confirm=proposed and self.actor.has(Role.PRINCIPAL),
            may_recompute=proposed,
            may_reopen=not proposed and self.actor.has(Role.PRINCIPAL),
            scheme=assessment.scheme, tone=ASSESSMENT_TONE, **kwargs)

    def post(self, request, pk):
        assessment = self.assessment()
        action = request.POST.get("action")
        try:
            if action == "confirm":
                ids = {"commend": [], "follow_up": []}
                for entry in assessment.entries.all():
                    choice = request.POST.get(f"list-{entry.pk}", "")
                    if choice in ids:
                        ids[choice].append(entry.pk)
                assessment_confirm(actor=self.actor, assessment=assessment,
                                   commend_ids=ids["commend"], follow_up_ids=ids["follow_up"],
                                   revision=revision_of(request))
                messages.success(request, f"已确认{assessment.label}的表彰名单（{len(ids['commend'])} "
                                 f"人）和通报名单（{len(ids['follow_up'])} 人）。")
            elif action == "reopen":
                form = CommentForm(request.POST)
                if not form.is_valid():
                    raise DomainError("请填写重新评议的原因。")
                assessment_reopen(actor=self.actor, assessment=assessment,
                                  comment=form.cleaned_data["comment"])
                messages.success(request, "已退回重新评议。")
            else:
                assessment_compute(
                    actor=self.actor, school=self.actor.school, period=assessment.period,
                    month=assessment.start_date, term=assessment.term)
                messages.success(request, "已按最新记录和考核办法重新计算。")
        except DomainError as exc:
            messages.error(request, exc.message)
            return self.render_to_response(self.get_context_data(), status=400)
        return redirect("evaluation:assessment", pk=assessment.pk)


class AssessmentEntryView(ActorMixin, TemplateView):
    """One teacher's score and why: the teacher themself, the office and the principal."""

    template_name = "evaluation/assessment_entry.html"

    def get_context_data(self, **kwargs):
        entry = get_object_or_404(assessment_entries_visible_to(self.actor),
                                  pk=self.kwargs["pk"])
        return super().get_context_data(entry=entry, assessment=entry.assessment,
                                        tone=ASSESSMENT_TONE, **kwargs)


class SettingsView(ActorMixin, TemplateView):
    """课时与补助标准 (the office) and 考核评价办法 (the office and the principal)."""

    allowed_roles = OFFICE
    template_name = "evaluation/settings.html"

    def get_context_data(self, policy_form=None, scheme_form=None, **kwargs):
        school = self.actor.school
        return super().get_context_data(
            policy_form=policy_form or WorkloadPolicyForm(instance=workload_policy_for(school)),
            scheme_form=scheme_form or AssessmentSchemeForm(
                instance=assessment_scheme_for(school)),
            may_edit_policy=self.actor.has(Role.COORDINATOR), **kwargs)

    def post(self, request):
        school = self.actor.school
        if request.POST.get("form") == "policy":
            form = WorkloadPolicyForm(request.POST, instance=workload_policy_for(school))
            service, context = workload_policy_update, {"policy_form": form}
            done = "课时与补助标准已保存，下次生成月报和公示时按新标准计算。"
        else:
            form = AssessmentSchemeForm(request.POST, instance=assessment_scheme_for(school))
            service, context = assessment_scheme_update, {"scheme_form": form}
            done = "考核评价办法已保存，下次计算考核时按新办法计算。"
        if form.is_valid():
            try:
                service(actor=self.actor, school=school, values=form.cleaned_data)
            except (DomainError, ValidationError) as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, done)
                return redirect("evaluation:settings")
        return self.render_to_response(self.get_context_data(**context), status=400)

