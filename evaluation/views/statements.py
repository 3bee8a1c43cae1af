"""Statement pages: a teacher's own (confirm, dispute a line, report a missing one), the
office's month (issue, resolve, finalize, payroll .xlsx)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from afterschool.exceptions import DomainError
from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.xlsx import xlsx_response

from .. import exceptions as e
from ..access import assessment_entries_visible_to, is_statement_owner, statements_visible_to
from ..display import STATEMENT_TONE, month_label, number
from ..exports import payroll_workbook
from ..forms import CommentForm, DisputeForm, ResolveForm
from ..models import Statement, StatementChange, StatementLine
from ..months import first_of, last_of, parse_month, previous_month, shift
from ..policy import workload_policy_for
from ..selectors.ledger import ledger_totals
from ..services import (
    statement_confirm,
    statement_dispute,
    statement_finalize,
    statement_line_resolve,
    statements_issue,
)

S = Statement.Status
OFFICE = (Role.COORDINATOR, Role.PRINCIPAL)


def month_param(request, default=None):
    """The ``month`` parameter (YYYY-MM); a bad one falls back to ``default`` (last month)."""
    try:
        return parse_month(request.GET.get("month") or request.POST.get("month"))
    except e.EvaluationError:
        return default or previous_month(timezone.localdate())


def revision_of(request) -> int | None:
    try:
        value = int(request.POST.get("revision", ""))
    except ValueError:
        return None
    return value if 0 <= value < 2**31 else None


class MyEvaluationView(ActorMixin, TemplateView):
    """A member of staff: their statements and their assessment results."""

    template_name = "evaluation/my.html"

    def get_context_data(self, **kwargs):
        if self.actor.staff is None:
            raise Http404("没有教职工身份。")
        statements = statements_visible_to(self.actor).filter(staff=self.actor.staff) \
            .order_by("-month")[:24]
        entries = (assessment_entries_visible_to(self.actor).filter(staff=self.actor.staff)
                   .order_by("-assessment__start_date")[:12])
        return super().get_context_data(statements=statements, entries=entries, **kwargs)


class StatementListView(ActorMixin, TemplateView):
    """The office's month: every statement, its state, and whether the ledger moved since."""

    allowed_roles = OFFICE
    template_name = "evaluation/statements.html"

    def get_context_data(self, **kwargs):
        month = month_param(self.request)
        school = self.actor.school
        statements = list(statements_visible_to(self.actor).filter(month=month)
                          .annotate(open_disputes=Count("lines", filter=Q(
                              lines__dispute=StatementLine.Dispute.OPEN)))
                          .order_by("status", "staff__is_external", "staff__name"))
        ledger = ledger_totals(school, month, last_of(month), workload_policy_for(school))
        for statement in statements:
            now = ledger.get(statement.staff_id)
            statement.ledger_now = now
            statement.moved = now is not None and now != statement.total \
                or now is None and statement.total
        counts = {status: sum(1 for s in statements if s.status == status) for status in S}
        missing = len(set(ledger) - {s.staff_id for s in statements})
        return super().get_context_data(
            month=month, month_text=month_label(month), statements=statements, counts=counts,
            missing=missing, prev=shift(month, -1), next=shift(month, 1),
            can_issue=self.actor.has(Role.COORDINATOR)
            and month < first_of(timezone.localdate()),
            final_total=sum(s.subsidy for s in statements if s.status == S.FINAL),
            tone=STATEMENT_TONE, **kwargs)

    def post(self, request):
        if not self.actor.has(Role.COORDINATOR):
            raise Http404
        month = month_param(request)
        try:
            result = statements_issue(actor=self.actor, school=self.actor.school, month=month)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{month_label(month)}课时补助月报：{result}。")
        return redirect(f"{request.path}?month={month:%Y-%m}")


class PayrollView(ActorMixin, View):
    """The month's final statements as a payroll workbook."""

    allowed_roles = OFFICE

    def get(self, request):
        month = month_param(request)
        statements = list(statements_visible_to(self.actor).filter(month=month, status=S.FINAL)
                          .order_by("staff__is_external", "staff__name"))
        lines = (StatementLine.objects.filter(statement__in=[s.pk for s in statements])
                 .select_related("statement__staff")
                 .order_by("statement__staff__is_external", "statement__staff__name", "date",
                           "pk"))
        # The office pays: whole numbers; the principal's export is masked (issue 15).
        content = payroll_workbook(statements, lines.iterator(chunk_size=2000),
                                   month_text=month_label(month),
                                   full_phones=self.actor.is_coordinator)
        return xlsx_response(content, f"课后服务补助发放表-{month:%Y年%m月}.xlsx",
                             fallback=f"payroll-{month:%Y-%m}.xlsx")


class StatementDetailView(ActorMixin, TemplateView):
    template_name = "evaluation/statement.html"

    def statement(self) -> Statement:
        return get_object_or_404(statements_visible_to(self.actor).prefetch_related(
            Prefetch("lines", queryset=StatementLine.objects.select_related("resolved_by")
                     .order_by("date", "pk")),
            Prefetch("changes", queryset=StatementChange.objects.select_related("actor")
                     .order_by("at", "pk"))), pk=self.kwargs["pk"])

    def get_context_data(self, statement=None, dispute_form=None, resolve_forms=None,
                         **kwargs):
        statement = statement or self.statement()
        owner = is_statement_owner(self.actor, statement)
        office = self.actor.has(Role.COORDINATOR)
        lines = list(statement.lines.all())
        return super().get_context_data(
            statement=statement, lines=lines, history=list(statement.changes.all()),
            owner=owner, office=office, month_text=month_label(statement.month),
            may_answer=owner and statement.status in (S.ISSUED, S.DISPUTED),
            may_confirm=owner and statement.status == S.ISSUED,
            may_resolve=office and statement.status == S.DISPUTED,
            may_finalize=office and statement.status == S.ISSUED,
            dispute_form=dispute_form or DisputeForm(),
            resolve_forms=resolve_forms or {}, tone=STATEMENT_TONE, number=number,
            open_disputes=sum(1 for x in lines if x.dispute == StatementLine.Dispute.OPEN),
            **kwargs)

    def refused(self, statement, message, **forms):
        messages.error(self.request, message)
        return self.render_to_response(self.get_context_data(statement=statement, **forms),
                                       status=400)


class StatementConfirmView(StatementDetailView):
    http_method_names = ["post"]

    def post(self, request, pk):
        statement = self.statement()
        try:
            statement_confirm(actor=self.actor, statement=statement,
                              revision=revision_of(request))
        except DomainError as exc:
            return self.refused(statement, exc.message)
        messages.success(request, f"已确认{month_label(statement.month)}月报，"
                         f"合计 {number(statement.total)} 课时，补助 {statement.subsidy} 元。")
        return redirect("evaluation:statement", pk=statement.pk)


class StatementDisputeView(StatementDetailView):
    http_method_names = ["post"]

    def post(self, request, pk):
        statement = self.statement()
        form = DisputeForm(request.POST)
        if not form.is_valid():
            return self.refused(statement, "；".join(m for errs in form.errors.values()
                                                    for m in errs), dispute_form=form)
        data = form.cleaned_data
        line = None
        if data.get("line"):
            line = statement.lines.filter(pk=data["line"]).first()
            if line is None:
                return self.refused(statement, e.LINE_NOT_IN_STATEMENT, dispute_form=form)
        try:
            statement_dispute(actor=self.actor, statement=statement, line=line,
                              reason=data["reason"], claim_date=data.get("claim_date"),
                              claim_title=data.get("claim_title") or "",
                              revision=data.get("revision"))
        except DomainError as exc:
            return self.refused(statement, exc.message, dispute_form=form)
        messages.success(request, "异议已提交，课后服务办公室处理后会通知您。")
        return redirect("evaluation:statement", pk=statement.pk)


class LineResolveView(StatementDetailView):
    allowed_roles = (Role.COORDINATOR,)
    http_method_names = ["post"]

    def post(self, request, pk):
        line = get_object_or_404(StatementLine.objects.filter(
            statement__in=statements_visible_to(self.actor)), pk=pk)
        statement = self.statement_of(line)
        form = ResolveForm(request.POST)
        if not form.is_valid():
            return self.refused(statement, "；".join(m for errs in form.errors.values()
                                                    for m in errs),
                                resolve_forms={line.pk: form})
        data = form.cleaned_data
        try:
            statement = statement_line_resolve(
                actor=self.actor, line=line, accept=data["decision"] == "accept",
                note=data["note"], corrected_weight=data.get("corrected_weight"),
                revision=data.get("revision"))
        except DomainError as exc:
            return self.refused(statement, exc.message, resolve_forms={line.pk: form})
        if statement.status == S.FINAL:
            messages.success(request, f"异议已处理，{statement.staff.name}的月报已定稿：合计 "
                             f"{number(statement.total)} 课时，补助 {statement.subsidy} 元。")
        else:
            messages.success(request, "这条异议已处理，还有未处理的异议。")
        return redirect("evaluation:statement", pk=statement.pk)

    def statement_of(self, line):
        self.kwargs = {**self.kwargs, "pk": line.statement_id}
        return self.statement()


class StatementFinalizeView(StatementDetailView):
    allowed_roles = (Role.COORDINATOR,)
    http_method_names = ["post"]

    def post(self, request, pk):
        statement = self.statement()
        form = CommentForm(request.POST)
        if not form.is_valid():
            return self.refused(statement, "请填写定稿说明，例如“逾期未确认，按记录定稿”。")
        try:
            statement_finalize(actor=self.actor, statement=statement,
                               comment=form.cleaned_data["comment"],
                               revision=form.cleaned_data.get("revision"))
        except DomainError as exc:
            return self.refused(statement, exc.message)
        messages.success(request, f"{statement.staff.name}的月报已定稿。")
        return redirect("evaluation:statement", pk=statement.pk)
