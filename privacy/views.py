"""The family's rights and the retention setting: thin views, each parses, calls one service or
selector, and answers.

- 家长: “我的个人信息” (their children, the download, correction and deletion requests with
  their status and history), the .zip, withdrawing a waiting request.
- 办公室 (decides) and 校长 (reads): the school's requests, one request with its history, and
  the retention setting.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import ListView, TemplateView

from afterschool.mixins import ActorMixin
from afterschool.models import Role, Student
from afterschool.params import client_ip
from afterschool.xlsx import content_disposition

from . import exceptions as e
from . import services
from .access import OFFICE, READERS, data_requests_visible_to, own_requests
from .anonymise import ERASED_NO_PREFIX
from .display import REQUEST_MOVE_LABELS, REQUEST_TONE
from .forms import CarryOutForm, RefuseForm, RequestForm, RetentionForm
from .models import (
    RETENTION_MAX_DAYS,
    RETENTION_MIN_DAYS,
    DataExport,
    DataRequest,
    DataRequestChange,
)
from .retention import LABELS as PURGED

GUARDIAN = (Role.GUARDIAN,)


def _family(actor) -> list[Student]:
    """The guardian's children in this school (former pupils too: their data is still here)."""
    return list(Student.objects.filter(school=actor.school, guardian_links__guardian=actor.guardian)
                .select_related("homeroom__grade").distinct()
                .order_by("homeroom__grade__number", "name", "pk"))


def _history(requests) -> dict[int, list[DataRequestChange]]:
    found: dict[int, list] = {}
    for change in (DataRequestChange.objects.filter(request__in=[r.pk for r in requests])
                   .order_by("at", "pk")):
        found.setdefault(change.request_id, []).append(change)
    return found


class MineView(ActorMixin, TemplateView):
    """家长: what the school holds about the family, and the requests about it."""

    allowed_roles = GUARDIAN
    template_name = "privacy/mine.html"

    def get_context_data(self, form=None, **kwargs):
        children = _family(self.actor)
        askable = [c for c in children if not c.student_no.startswith(ERASED_NO_PREFIX)]
        requests = list(own_requests(self.actor).order_by("-created_at", "-pk"))
        history = _history(requests)
        for request in requests:
            request.history = history.get(request.pk, [])
            request.tone = REQUEST_TONE[request.status]
        return super().get_context_data(
            children=children, askable=askable, requests=requests,
            downloads=DataExport.objects.filter(guardian=self.actor.guardian)[:5],
            form=form or RequestForm(children=askable), purged=PURGED.values(),
            retention=services.retention_policy_for(self.actor.school), **kwargs)

    def post(self, request):
        children = [c for c in _family(self.actor)
                    if not c.student_no.startswith(ERASED_NO_PREFIX)]
        form = RequestForm(request.POST, children=children)
        if form.is_valid():
            try:
                made = services.data_request_create(
                    actor=self.actor, kind=form.cleaned_data["kind"],
                    student=form.cleaned_data["student"], text=form.cleaned_data["text"])
            except e.PrivacyError as exc:
                form.add_error(exc.field if exc.field in ("text", "kind") else None, exc.message)
            else:
                messages.success(request, f"已提交{made.get_kind_display()}，学校将在 15 个工作日内办理"
                                          "或说明理由，结果会通知您。")
                return redirect("privacy:mine")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class DownloadView(ActorMixin, View):
    """家长: the family's data as a .zip (POST: a download is an act, and it is logged)."""

    allowed_roles = GUARDIAN

    def post(self, request):
        content = services.family_data_export(actor=self.actor, ip_address=client_ip(request))
        response = HttpResponse(content, content_type="application/zip")
        day = timezone.localdate()
        response["Content-Disposition"] = content_disposition(
            f"我的个人信息-{day:%Y%m%d}.zip", fallback=f"personal-data-{day:%Y%m%d}.zip")
        return response


class WithdrawView(ActorMixin, View):
    allowed_roles = GUARDIAN

    def post(self, request, pk):
        data_request = get_object_or_404(own_requests(self.actor), pk=pk)
        try:
            services.data_request_withdraw(actor=self.actor, request=data_request)
        except e.PrivacyError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已撤回申请。")
        return redirect("privacy:mine")


class OfficeListView(ActorMixin, ListView):
    """办公室、校长: the school's requests, the waiting ones first; the retention setting."""

    allowed_roles = READERS
    template_name = "privacy/office_list.html"
    paginate_by = 30
    context_object_name = "requests"

    def get_queryset(self):
        qs = data_requests_visible_to(self.actor)
        status = self.request.GET.get("status", "")
        if status in DataRequest.Status.values:
            qs = qs.filter(status=status)
        return qs.order_by("-created_at", "-pk")

    def get_context_data(self, retention_form=None, **kwargs):
        policy = services.retention_policy_for(self.actor.school)
        context = super().get_context_data(
            statuses=DataRequest.Status.choices,
            status=self.request.GET.get("status", ""), policy=policy, purged=PURGED.values(),
            may_decide=self.actor.has(*OFFICE),
            retention_form=retention_form or RetentionForm(
                initial={"retention_days": policy.retention_days}),
            low=RETENTION_MIN_DAYS, high=RETENTION_MAX_DAYS, **kwargs)
        for item in context["requests"]:
            item.tone = REQUEST_TONE[item.status]
        return context


class RetentionView(ActorMixin, View):
    allowed_roles = OFFICE

    def post(self, request):
        form = RetentionForm(request.POST)
        if form.is_valid():
            try:
                policy = services.retention_policy_update(
                    actor=self.actor, retention_days=form.cleaned_data["retention_days"])
            except e.PrivacyError as exc:
                form.add_error("retention_days", exc.message)
            else:
                messages.success(request, f"已保存：学期结束后保存 {policy.retention_days} 天。")
                return redirect("privacy:office")
        view = OfficeListView(request=request, args=(), kwargs={})
        view.actor = self.actor
        view.object_list = view.get_queryset()
        return view.render_to_response(view.get_context_data(retention_form=form), status=400)


class OfficeDetailView(ActorMixin, TemplateView):
    """One request with its history; the office carries it out or refuses it."""

    allowed_roles = READERS
    template_name = "privacy/office_detail.html"

    def get_request(self) -> DataRequest:
        return get_object_or_404(data_requests_visible_to(self.actor), pk=self.kwargs["pk"])

    def get_context_data(self, carry_form=None, refuse_form=None, **kwargs):
        data_request = self.get_request()
        served = None
        if data_request.kind == DataRequest.Kind.DELETION and data_request.status == "pending":
            served = services.still_served(data_request.student)
        data_request.tone = REQUEST_TONE[data_request.status]
        return super().get_context_data(
            item=data_request, labels=REQUEST_MOVE_LABELS,
            history=data_request.changes.select_related("actor").order_by("at", "pk"),
            may_decide=self.actor.has(*OFFICE) and data_request.status == "pending",
            served=served, carry_form=carry_form or CarryOutForm(),
            refuse_form=refuse_form or RefuseForm(), **kwargs)

    def post(self, request, pk):
        if not self.actor.has(*OFFICE):
            raise Http404(e.OFFICE_ONLY)
        data_request = self.get_request()
        action = request.POST.get("action")
        carry_form, refuse_form = None, None
        try:
            if action == "carry_out":
                carry_form = CarryOutForm(request.POST)
                if carry_form.is_valid():
                    services.data_request_carry_out(
                        actor=self.actor, request=data_request,
                        comment=carry_form.cleaned_data["comment"])
                    messages.success(request, "已办理完成，已通知家长。")
                    return redirect("privacy:office_detail", pk=pk)
            elif action == "refuse":
                refuse_form = RefuseForm(request.POST)
                if refuse_form.is_valid():
                    services.data_request_refuse(
                        actor=self.actor, request=data_request,
                        legal_reason=refuse_form.cleaned_data["legal_reason"],
                        comment=refuse_form.cleaned_data["comment"])
                    messages.success(request, "已记录不予办理及理由，已通知家长。")
                    return redirect("privacy:office_detail", pk=pk)
            else:
                raise Http404("没有这个操作。")
        except e.PrivacyError as exc:
            form = carry_form if action == "carry_out" else refuse_form
            form.add_error(None, exc.message)
        return self.render_to_response(
            self.get_context_data(carry_form=carry_form, refuse_form=refuse_form), status=400)
