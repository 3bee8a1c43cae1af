"""School plans: the school writes and submits its term plan; the bureau approves it or returns
it with a comment. Thin views over :mod:`dashboards.plans`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import TemplateView

from afterschool.exceptions import DomainError
from afterschool.mixins import ActorMixin
from afterschool.models import Role, Term
from afterschool.params import parse_id

from .. import plans
from ..access import is_bureau, plans_visible_to
from ..display import PLAN_MOVE_LABELS, PLAN_TONE
from ..forms import DecisionForm, PlanForm
from ..models import SchoolPlan
from ..transitions import EDITABLE

SCHOOL = (Role.COORDINATOR, Role.PRINCIPAL)
ALL = (*SCHOOL, Role.DISTRICT_OFFICER)


def _terms(actor):
    return Term.objects.filter(school=actor.school).order_by("-start_date")


def _school_side(actor) -> bool:
    return actor.school is not None and actor.has(*SCHOOL)


class PlanListView(ActorMixin, TemplateView):
    allowed_roles = ALL
    template_name = "dashboards/plans.html"

    def get_context_data(self, form=None, **kwargs):
        bureau = is_bureau(self.actor)
        if not bureau and not _school_side(self.actor):
            raise PermissionDenied("您没有权限访问此页面。")
        qs = plans_visible_to(self.actor).order_by("-submitted_at", "-created_at")
        status = self.request.GET.get("status", "")
        if status in SchoolPlan.Status.values:
            qs = qs.filter(status=status)
        if form is None and not bureau:
            term = _terms(self.actor).filter(is_current=True).first() or _terms(
                self.actor).first()
            existing = qs.filter(term=term).first() if term else None
            form = PlanForm(terms=_terms(self.actor), initial={
                "term": term, "summary": existing.summary if existing else ""})
        return super().get_context_data(plans=qs[:200], form=form, bureau=bureau,
                                        status=status, tones=PLAN_TONE,
                                        statuses=SchoolPlan.Status.choices, **kwargs)

    def post(self, request):
        if not _school_side(self.actor):
            raise PermissionDenied("只有本校的课后服务办公室或校长可以填写方案。")
        form = PlanForm(request.POST, terms=_terms(self.actor))
        if form.is_valid():
            try:
                plan = plans.plan_save(actor=self.actor, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(getattr(exc, "field", None) if getattr(exc, "field", None)
                               in form.fields else None, exc.message)
            else:
                messages.success(request, "已保存方案，确认后可报送教育局。")
                return redirect("dashboards:plan", pk=plan.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PlanDetailView(ActorMixin, TemplateView):
    allowed_roles = ALL
    template_name = "dashboards/plan.html"

    def plan(self) -> SchoolPlan:
        return get_object_or_404(plans_visible_to(self.actor), pk=self.kwargs["pk"])

    def get_context_data(self, plan=None, decision=None, form=None, **kwargs):
        plan = plan or self.plan()
        bureau = is_bureau(self.actor)
        school_side = _school_side(self.actor) and plan.school_id == self.actor.school.pk
        editable = school_side and plan.status in EDITABLE
        content = plan.content or (plans.plan_snapshot(plan.term) if editable else {})
        return super().get_context_data(
            plan=plan, content=content, bureau=bureau, school_side=school_side,
            editable=editable, tones=PLAN_TONE, labels=PLAN_MOVE_LABELS,
            preview=not plan.content,
            decide=bureau and plan.status == SchoolPlan.Status.SUBMITTED,
            decision=decision or DecisionForm(),
            form=form or (PlanForm(terms=_terms(self.actor), initial={
                "term": plan.term, "summary": plan.summary}) if editable else None),
            history=plan.changes.select_related("actor"), **kwargs)

    def post(self, request, pk):
        plan = self.plan()
        action = request.POST.get("action", "")
        revision = parse_id(request.POST.get("revision"))
        if revision is None and request.POST.get("revision") == "0":
            revision = 0
        try:
            if action == "submit":
                plans.plan_submit(actor=self.actor, plan=plan, revision=revision)
                messages.success(request, "已报送教育局，审批结果会通知您。")
            elif action in ("approve", "return"):
                form = DecisionForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(
                        plan=plan, decision=form), status=400)
                plans.plan_decide(actor=self.actor, plan=plan, approve=action == "approve",
                                  comment=form.cleaned_data["comment"], revision=revision)
                messages.success(request, "已批准。" if action == "approve"
                                 else "已退回，学校会收到您的意见。")
            else:
                messages.error(request, "请选择要执行的操作。")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("dashboards:plan", pk=plan.pk)
