"""Views parse input, call a service, turn a domain error into a message, and redirect.

Every application is fetched through ``applications_visible_to`` (404 when missing or not
yours); role gates sit at dispatch (``ActorMixin.allowed_roles`` → 403).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from afterschool.access import children_of, homerooms_visible_to
from afterschool.audit import acting_role, log_access
from afterschool.exceptions import DomainError
from afterschool.forms import add_domain_error
from afterschool.mixins import ActorMixin
from afterschool.models import Role, SensitiveAccess
from afterschool.params import parse_id, safe_next
from afterschool.selectors import term_of
from afterschool.xlsx import xlsx_response

from . import exceptions, exports, selectors, services
from .access import (
    applications_visible_to,
    is_guardian_of,
    may_rejoin,
    may_withdraw,
    review_moves_for,
    reviewable_students,
)
from .display import status_sentence
from .forms import (
    AgreementForm,
    ApplicationForm,
    ReviewForm,
    SignForm,
    TermSettingsForm,
    WithdrawForm,
    parse_selected,
    pickup_formset,
)
from .models import Application, PrivacyConsent
from .transitions import APPROVE_NEXT, EDITABLE

Status = Application.Status
GUARDIAN = (Role.GUARDIAN,)
REVIEWERS = (Role.HOMEROOM_TEACHER, Role.COORDINATOR)
SEES_APPLICATIONS = (Role.GUARDIAN, Role.HOMEROOM_TEACHER, Role.COORDINATOR, Role.PRINCIPAL)


def _safe_next(request, default: str) -> str:
    """``next=`` from the form or the address, when it is a path on this site."""
    return safe_next(request, request.POST.get("next") or request.GET.get("next"), default)


def _client_ip(request) -> str | None:
    # The signer's address as the core reads it everywhere (a trusted proxy's header included).
    from afterschool.params import client_ip

    return client_ip(request) or None


class ApplicationMixin(ActorMixin):
    """Fetch ``self.application`` through the scoping function: 404 when not visible."""

    guardian_only = False

    def get_application(self, pk: int) -> Application:
        qs = applications_visible_to(self.actor)
        if self.guardian_only:
            qs = qs.filter(student__in=children_of(self.actor).values("pk"))
        return get_object_or_404(selectors.application_with_details(qs), pk=pk)


# ---------------------------------------------------------------------------- guardians

class MyApplicationsView(ActorMixin, TemplateView):
    """A guardian's children and this term's form for each."""

    allowed_roles = GUARDIAN
    template_name = "enrollment/my_applications.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        term = selectors.current_term(self.actor.school)
        ctx["term"] = term
        ctx["children"] = selectors.children_forms(children=children_of(self.actor), term=term)
        # Children without a standing consent to the current notice (never given, withdrawn,
        # or given to an older version): asked on the form, pointed at here.
        notice = selectors.current_notice(self.actor.school)
        consented = selectors.standing_kinds(
            student_ids=[c.student.pk for c in ctx["children"]], notice=notice)
        ctx["needs_consent"] = {c.student.pk for c in ctx["children"]
                                if notice and PrivacyConsent.Kind.PERSONAL
                                not in consented.get(c.student.pk, set())}
        return ctx


def _window_context(term) -> dict:
    try:
        services.window_check(term)
        return {"window_open": True, "window_message": ""}
    except exceptions.WindowClosed as exc:
        return {"window_open": False, "window_message": exc.message}


class StartView(ActorMixin, View):
    """What the service is (content, schedule, safety, voluntary and free), then "开始填写"."""

    allowed_roles = GUARDIAN
    template_name = "enrollment/start.html"

    def _setup(self, student_pk):
        self.student = get_object_or_404(children_of(self.actor), pk=student_pk)
        self.term = selectors.current_term(self.actor.school)
        if self.term is None:
            raise Http404("本学期尚未设置")
        return selectors.application_of(student=self.student, term=self.term)

    def get(self, request, student_pk):
        existing = self._setup(student_pk)
        if existing is not None:
            return redirect("enrollment:detail", existing.pk)
        return render(request, self.template_name, {
            "student": self.student, "term": self.term, "actor": self.actor,
            "periods": self.term.periods.all(), **_window_context(self.term)})

    def post(self, request, student_pk):
        self._setup(student_pk)
        try:
            application = services.application_start(student=self.student, term=self.term,
                                                     actor=self.actor)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("enrollment:start", self.student.pk)
        if application.status in EDITABLE:
            return redirect("enrollment:edit", application.pk)
        return redirect("enrollment:detail", application.pk)


class ApplicationDetailView(ApplicationMixin, TemplateView):
    """The status page: where it stands in plain Chinese, its history, and what one may do."""

    allowed_roles = SEES_APPLICATIONS
    template_name = "enrollment/detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        app = self.get_application(self.kwargs["pk"])
        agreement = selectors.current_agreement(app.term)
        is_guardian = is_guardian_of(self.actor, app.student_id)
        signature = selectors.signature_state(app, agreement)
        # The family and the office read the numbers in full; the homeroom teacher and the
        # principal review, they do not ring (afterschool/audit.py). Logged unless the family.
        full_phones = is_guardian or self.actor.is_coordinator
        if not is_guardian:
            kinds = [SensitiveAccess.Kind.HEALTH, SensitiveAccess.Kind.PICKUP]
            log_access(self.request, self.actor, [app.student_id],
                       kinds=kinds + ([SensitiveAccess.Kind.PHONE] if full_phones else []),
                       place="意向书详情", role=acting_role(
                           self.actor, Role.COORDINATOR, Role.HOMEROOM_TEACHER, Role.PRINCIPAL))
        ctx.update({
            "application": app, "student": app.student, "term": app.term,
            "agreement": agreement, "signature": signature,
            "latest_signature": selectors.latest_signature(app),
            "status_sentence": status_sentence(app),
            "is_guardian": is_guardian, "full_phones": full_phones,
            "can_edit": is_guardian and app.status in EDITABLE,
            "can_sign": is_guardian and signature in ("unsigned", "outdated")
            and app.status not in (Status.WITHDRAWN, Status.CLASS_REJECTED, Status.SCHOOL_REJECTED),
            # Leaving means something only for a child who was going to take part.
            "can_withdraw": may_withdraw(self.actor, app) and app.participates is not False,
            # Coming back after leaving, while families may still answer.
            "can_rejoin": may_rejoin(self.actor, app)
            and _window_context(app.term)["window_open"],
            "review_moves": review_moves_for(self.actor, app),
            # Only a same-site address: a ``javascript:`` link here would run in the reviewer's
            # session.
            "next": _safe_next(self.request, ""),
            "preferences": list(app.preferences.all()),
            "pickups": list(app.pickup_persons.all()),
            "history": list(app.transitions.all()),
        })
        return ctx


class ApplicationEditView(ApplicationMixin, View):
    """The intention form itself: save a draft, or sign and submit in one go."""

    allowed_roles = GUARDIAN
    guardian_only = True
    template_name = "enrollment/edit.html"

    def _load(self, pk):
        self.application = self.get_application(pk)
        self.term = self.application.term
        self.courses = selectors.courses_open_to(
            term=self.term, grade_id=self.application.student.homeroom.grade_id)
        self.agreement = selectors.current_agreement(self.term)
        self.notice = selectors.current_notice(self.application.school_id)
        self.consent = selectors.consent_state(self.application.student, self.notice)

    def _refuse(self):
        app = self.application
        if app.status not in EDITABLE:
            messages.info(self.request,
                          exceptions.NOT_EDITABLE.format(status=app.get_status_display()))
            return redirect("enrollment:detail", app.pk)
        if app.status == Status.DRAFT:
            window = _window_context(self.term)
            if not window["window_open"]:
                messages.error(self.request, window["window_message"])
                return redirect("enrollment:detail", app.pk)
        return None

    def _render(self, form, formset, sign_form, saved=False):
        app = self.application
        return render(self.request, self.template_name, {
            "application": app, "student": app.student, "term": self.term, "form": form,
            "formset": formset, "sign_form": sign_form, "agreement": self.agreement,
            "signature": selectors.signature_state(app, self.agreement),
            "status_sentence": status_sentence(app), "actor": self.actor,
            "has_courses": bool(form.courses), "saved": saved, "notice": self.notice,
            # Read again: the request may have just recorded a consent.
            "consent": (selectors.consent_state(app.student, self.notice) if saved
                        else self.consent)})

    def get(self, request, pk):
        self._load(pk)
        refused = self._refuse()
        if refused:
            return refused
        form = ApplicationForm(initial=ApplicationForm.initial_for(self.application),
                               term=self.term, courses=self.courses)
        return self._render(form, pickup_formset(application=self.application), SignForm())

    def post(self, request, pk):
        self._load(pk)
        refused = self._refuse()
        if refused:
            return refused
        form = ApplicationForm(request.POST, term=self.term, courses=self.courses,
                               consent=self.consent)
        formset = pickup_formset(request.POST)
        sign_form = SignForm(request.POST, required=False)
        if not (form.is_valid() and formset.is_valid() and sign_form.is_valid()):
            return self._render(form, formset, sign_form)
        content = {**form.service_kwargs(), "pickup_persons": [
            row for row in formset.cleaned_data if row and any(row.values())]}
        if request.POST.get("action") == "submit":
            # Name and consent are required only when this answer must sign the agreement.
            sign_form = SignForm(request.POST, required=selectors.needs_signature(
                self.application, self.agreement, participates=content["participates"]))
            if sign_form.is_valid():
                return self._submit(form, formset, sign_form, content)
        # A draft, or a submission not signed as it must be: the content is saved all the same.
        try:
            application = services.application_update(
                application=self.application, actor=self.actor,
                ip_address=_client_ip(self.request), **content)
        except DomainError as exc:
            return self._refused(form, formset, sign_form, exc)
        if sign_form.errors:
            return self._render_saved(application, formset, sign_form)
        messages.success(request, "已保存草稿。填写完整并签名后请点击“签名并提交”。")
        return redirect("enrollment:detail", application.pk)

    def _submit(self, form, formset, sign_form, content):
        try:
            result = services.application_save_and_submit(
                application=self.application, actor=self.actor,
                signed_name=sign_form.cleaned_data["signed_name"],
                ip_address=_client_ip(self.request), **content)
        except DomainError as exc:  # the content itself was refused: nothing saved
            return self._refused(form, formset, sign_form, exc)
        if not result.submitted:
            return self._render_saved(result.application, formset, sign_form,
                                      refused=result.refused)
        messages.success(self.request, "意向书已提交，等待班主任审核。审核结果会通知您。")
        return redirect("enrollment:detail", result.application.pk)

    def _refused(self, form, formset, sign_form, exc):
        add_domain_error(form, exc)
        return self._render(form, formset, sign_form)

    def _render_saved(self, application, formset, sign_form, refused=None):
        """The form again after its content was saved (with the new revision), and why it
        was not submitted."""
        self.application = application
        data = self.request.POST.copy()
        data["revision"] = str(application.revision)
        form = ApplicationForm(data, term=self.term, courses=self.courses)
        form.is_valid()
        if isinstance(refused, exceptions.SignatureRefused):
            add_domain_error(sign_form, refused)
        elif refused is not None:
            add_domain_error(form, refused)
        return self._render(form, formset, sign_form, saved=True)


class ApplicationSignView(ApplicationMixin, View):
    """Sign (again) the term's current agreement, e.g. after the school published a new text."""

    allowed_roles = GUARDIAN
    guardian_only = True
    template_name = "enrollment/sign.html"

    def _context(self, app, form):
        agreement = selectors.current_agreement(app.term)
        return {"application": app, "student": app.student, "agreement": agreement,
                "signature": selectors.signature_state(app, agreement), "form": form,
                "actor": self.actor}

    def get(self, request, pk):
        app = self.get_application(pk)
        return render(request, self.template_name, self._context(app, SignForm()))

    def post(self, request, pk):
        app = self.get_application(pk)
        form = SignForm(request.POST)
        if form.is_valid():
            try:
                services.application_sign(application=app, actor=self.actor,
                                          signed_name=form.cleaned_data["signed_name"],
                                          ip_address=_client_ip(request))
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已签署最新版协议。")
                return redirect("enrollment:detail", app.pk)
        return render(request, self.template_name, self._context(app, form))


class ApplicationWithdrawView(ApplicationMixin, View):
    """Leave the service: a date and a reason, one confirmation, no approval."""

    allowed_roles = (Role.GUARDIAN, Role.COORDINATOR)
    template_name = "enrollment/withdraw.html"

    def _render(self, app, form):
        return render(self.request, self.template_name, {
            "application": app, "student": app.student, "form": form, "actor": self.actor,
            "status_sentence": status_sentence(app)})

    def get(self, request, pk):
        app = self.get_application(pk)
        return self._render(app, WithdrawForm(initial={"revision": app.revision}))

    def post(self, request, pk):
        app = self.get_application(pk)
        form = WithdrawForm(request.POST)
        if not form.is_valid():
            return self._render(app, form)
        try:
            services.application_withdraw(
                application=app, actor=self.actor, withdrawn_on=form.cleaned_data["withdrawn_on"],
                reason=form.cleaned_data["reason"],
                expected_revision=form.cleaned_data["revision"])
        except DomainError as exc:
            add_domain_error(form, exc)
            return self._render(app, form)
        messages.success(request, f"{app.student.name}已退出课后服务。")
        return redirect("enrollment:detail", app.pk)


class ApplicationRejoinView(ApplicationMixin, View):
    """Come back after withdrawing: the form reopens as a draft, to check and submit again."""

    allowed_roles = GUARDIAN
    guardian_only = True

    def post(self, request, pk):
        app = self.get_application(pk)
        try:
            services.application_rejoin(application=app, actor=self.actor,
                                        expected_revision=parse_id(request.POST.get("revision")))
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("enrollment:detail", app.pk)
        messages.success(request, f"已为{app.student.name}重新打开意向书，请核对后签署并提交，"
                                  "提交后由老师重新审核。")
        return redirect("enrollment:edit", app.pk)


# ---------------------------------------------------------------------------- review

class ApplicationReviewView(ApplicationMixin, View):
    """One decision on one application (approve, return, reject, send back)."""

    allowed_roles = REVIEWERS

    def post(self, request, pk):
        app = self.get_application(pk)
        default = reverse("enrollment:detail", args=[app.pk])
        back = _safe_next(request, "")
        # A refused decision returns to the form, keeping the way back to the list.
        stay = f"{default}?{urlencode({'next': back})}" if back else default
        form = ReviewForm(request.POST)
        if not form.is_valid():
            messages.error(request, "提交的数据有误，请刷新页面后重试。")
            return redirect(stay)
        data = form.cleaned_data
        try:
            services.application_transition(
                application=app, to_status=data["to_status"], actor=self.actor,
                comment=data["comment"], expected_status=data["status"],
                expected_revision=data["revision"])
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(stay)
        messages.success(request, f"{app.student.name}：{Status(data['to_status']).label}。")
        return redirect(_safe_next(request, default))


class ReviewQueueView(ActorMixin, TemplateView):
    """班主任: their homeroom; 课后服务办公室: the whole school, by grade and homeroom."""

    allowed_roles = REVIEWERS
    template_name = "enrollment/review_queue.html"
    paginate_by = 100

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        term = term_of(self.actor)  # read with the Actor: no query of its own
        ctx["term"] = term
        if term is None:
            return ctx
        params = self.request.GET
        homerooms = homerooms_visible_to(self.actor)
        students = reviewable_students(self.actor)
        # A filter that is not an id is ignored, as an empty one is.
        grade_id, homeroom_id = parse_id(params.get("grade")), parse_id(params.get("homeroom"))
        grade = str(grade_id or "")
        homeroom = str(homeroom_id or "")
        if grade_id:
            students = students.filter(homeroom__grade_id=grade_id)
            homerooms = homerooms.filter(grade_id=grade_id)
        if homeroom_id:
            students = students.filter(homeroom_id=homeroom_id)
        default_bucket = "class_approved" if self.actor.is_coordinator else "all"
        bucket = params.get("bucket", default_bucket)
        if bucket not in selectors.BUCKETS:
            bucket = "all"
        participates = params.get("participates", "")
        if participates not in ("yes", "no"):
            participates = ""
        qs = selectors.review_students(students=students, term=term, bucket=bucket,
                                       participates=participates)
        page = Paginator(qs, self.paginate_by).get_page(params.get("page"))
        agreement = selectors.current_agreement(term)
        rows = selectors.review_rows(page.object_list, term=term, agreement=agreement)
        for row in rows:
            app = row.application
            row.selectable = bool(app and app.status in APPROVE_NEXT and (
                app.status == Status.SUBMITTED or self.actor.is_coordinator))
        counts = selectors.review_counts(students=students, term=term)
        ctx.update({
            "rows": rows, "page_obj": page, "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
            "buckets": [(key, label, counts.get(key, 0))
                        for key, (label, _) in selectors.BUCKETS.items()],
            "bucket": bucket, "participates": participates,
            "grade": grade, "homeroom": homeroom,
            "grades": (self.actor.school.grades.all() if self.actor.is_school_wide else []),
            "homerooms": list(homerooms) if (self.actor.is_school_wide
                                             or homerooms.count() > 1) else [],
            "any_selectable": any(r.selectable for r in rows),
            "here": self.request.get_full_path(),
            "next_param": urlencode({"next": self.request.get_full_path()}),
            "school_wide": self.actor.is_school_wide,
        })
        return ctx


class BulkApproveView(ActorMixin, View):
    allowed_roles = REVIEWERS

    def post(self, request):
        default = reverse("enrollment:review")
        expected = parse_selected(request.POST.getlist("selected"))
        if not expected:
            messages.warning(request, "请先勾选要通过的意向书。")
            return redirect(_safe_next(request, default))
        chosen = list(applications_visible_to(self.actor).filter(pk__in=list(expected))
                      .select_related("student__homeroom"))
        if {a.pk for a in chosen} != set(expected):
            raise Http404("意向书不存在")
        if request.POST.get("confirmed") != "1":
            # Many families' forms in one click: say how many, and whose, before doing it.
            return render(request, "enrollment/bulk_confirm.html", {
                "applications": chosen, "count": len(chosen),
                "selected": request.POST.getlist("selected"),
                "next": _safe_next(request, default)})
        try:
            done = services.applications_approve(actor=self.actor, expected_revisions=expected)
        except DomainError as exc:
            messages.error(request, f"{exc.message}（本次未做任何改动，请刷新后重试。）")
        else:
            messages.success(request, f"已通过 {done} 份意向书。")
        return redirect(_safe_next(request, default))


class FamiliesRemindView(ActorMixin, View):
    """提醒未填写的家庭: the homeroom teacher's class, or the office's school (or the grade or
    homeroom chosen on the queue), once a day per family, while the window is open."""

    allowed_roles = REVIEWERS

    def post(self, request):
        term = selectors.current_term(self.actor.school)
        if term is None:
            raise Http404("本学期尚未设置")
        students = reviewable_students(self.actor)
        grade_id, homeroom_id = (parse_id(request.POST.get("grade")),
                                 parse_id(request.POST.get("homeroom")))
        if grade_id:
            students = students.filter(homeroom__grade_id=grade_id)
        if homeroom_id:
            students = students.filter(homeroom_id=homeroom_id)
        try:
            report = services.families_remind(actor=self.actor, term=term, students=students)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, report.text("家长"))
        query = urlencode({"bucket": "unanswered", "grade": grade_id or "",
                           "homeroom": homeroom_id or ""})
        return redirect(f"{reverse('enrollment:review')}?{query}")


# ---------------------------------------------------------------------------- statistics

class StatisticsMixin(ActorMixin):
    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL, Role.HOMEROOM_TEACHER)

    def get_statistics(self):
        term = selectors.current_term(self.actor.school)
        if term is None:
            raise Http404("本学期尚未设置")
        return selectors.participation_statistics(
            homerooms=homerooms_visible_to(self.actor), term=term,
            with_totals=self.actor.is_school_wide)


class StatisticsView(StatisticsMixin, TemplateView):
    template_name = "enrollment/statistics.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["stats"] = self.get_statistics()
        ctx["term"] = ctx["stats"].term
        return ctx


class StatisticsExportView(StatisticsMixin, View):
    def get(self, request):
        stats = self.get_statistics()
        content = exports.statistics_workbook(
            stats, applications=selectors.applications_for_export(
                term=stats.term, homerooms=homerooms_visible_to(self.actor)))
        stamp = timezone.localtime().strftime("%Y%m%d")
        return xlsx_response(content, f"课后服务参与统计-{stamp}.xlsx",
                             fallback=f"enrollment-{stamp}.xlsx")


# ---------------------------------------------------------------------------- the office

class TermSettingsView(ActorMixin, View):
    """The office edits what guardians read first, the window, and publishes agreements."""

    allowed_roles = (Role.COORDINATOR,)
    template_name = "enrollment/term_settings.html"

    def _term(self):
        term = selectors.current_term(self.actor.school)
        if term is None:
            raise Http404("本学期尚未设置")
        return term

    def _render(self, term, form, agreement_form):
        agreements = list(term.agreements.order_by("-version"))
        return render(self.request, self.template_name, {
            "term": term, "form": form, "agreement_form": agreement_form,
            "agreements": agreements, "actor": self.actor,
            "notice": selectors.current_notice(self.actor.school), **_window_context(term)})

    def _agreement_form(self, term, data=None):
        current = selectors.current_agreement(term)
        initial = ({"service_text": current.service_text, "safety_text": current.safety_text}
                   if current else {})
        return AgreementForm(data, initial=initial)

    def get(self, request):
        term = self._term()
        form = TermSettingsForm(initial={f: getattr(term, f)
                                         for f in services.TERM_ENROLLMENT_FIELDS})
        return self._render(term, form, self._agreement_form(term))

    def post(self, request):
        term = self._term()
        if request.POST.get("action") == "agreement":
            agreement_form = self._agreement_form(term, request.POST)
            form = TermSettingsForm(initial={f: getattr(term, f)
                                             for f in services.TERM_ENROLLMENT_FIELDS})
            if agreement_form.is_valid():
                try:
                    agreement = services.agreement_publish(term=term, actor=self.actor,
                                                           **agreement_form.cleaned_data)
                except DomainError as exc:
                    add_domain_error(agreement_form, exc)
                else:
                    messages.success(request, f"已发布协议第{agreement.version}版。"
                                              "已签署旧版的家长须重新签署。")
                    return redirect("enrollment:settings")
            return self._render(term, form, agreement_form)
        form = TermSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.term_update_enrollment(term=term, actor=self.actor, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已保存学期设置。")
                return redirect("enrollment:settings")
        return self._render(term, form, self._agreement_form(term))
