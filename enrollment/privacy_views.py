"""The pages of children's personal information: the school's notice, publishing a new
version (the office), and a guardian's consent page per child with its withdrawal.

Every child is fetched through ``children_of`` (404 when missing or not yours); role gates sit
at dispatch (403).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views import View

from afterschool.access import children_of
from afterschool.exceptions import DomainError
from afterschool.forms import add_domain_error
from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.params import client_ip, parse_id

from . import selectors, services
from .forms import ConsentWithdrawForm, PrivacyNoticeForm
from .models import Application, PrivacyConsent, PrivacyNotice
from .notice_text import default_notice
from .transitions import move_for

Kind = PrivacyConsent.Kind

# The family's rights pages (the privacy app's), linked when that app provides them; the
# notice describes the rights in words either way.
RIGHTS_LINKS = [
    ("privacy:mine", "下载我和孩子的全部信息，申请更正或删除"),
]


def rights_links() -> list[tuple[str, str]]:
    links = []
    for name, label in RIGHTS_LINKS:
        try:
            links.append((reverse(name), label))
        except NoReverseMatch:
            continue
    return links


class PrivacyNoticeView(ActorMixin, View):
    """The school's current notice (or an older version, ``?version=``), for anyone signed in
    at the school: families read it before consenting, staff know what was promised."""

    template_name = "enrollment/privacy_notice.html"

    def get(self, request):
        school = self.actor.school
        if school is None:
            raise Http404("没有所在学校")
        notices = PrivacyNotice.objects.filter(school=school)
        versions = list(notices.only("pk", "version", "published_at", "school_id")
                        .order_by("-version"))
        wanted = parse_id(request.GET.get("version"))
        notice = (get_object_or_404(notices, version=wanted) if wanted
                  else notices.order_by("-version").first())
        return render(request, self.template_name, {
            "notice": notice, "versions": versions, "school": school, "actor": self.actor,
            "is_current": bool(notice and versions and notice.pk == versions[0].pk),
            "rights_links": rights_links(),
            "children": (list(children_of(self.actor).order_by("name"))
                         if self.actor.has(Role.GUARDIAN) else []),
        })


class PrivacyNoticePublishView(ActorMixin, View):
    """The office publishes a new version; families are asked again at their next edit."""

    allowed_roles = (Role.COORDINATOR,)
    template_name = "enrollment/privacy_notice_publish.html"

    def _render(self, form, current):
        return render(self.request, self.template_name, {
            "form": form, "current": current, "actor": self.actor})

    def get(self, request):
        current = selectors.current_notice(self.actor.school)
        initial = ({"text": current.text, "sensitive_text": current.sensitive_text} if current
                   else default_notice(self.actor.school.name))
        return self._render(PrivacyNoticeForm(initial=initial), current)

    def post(self, request):
        current = selectors.current_notice(self.actor.school)
        form = PrivacyNoticeForm(request.POST)
        if form.is_valid():
            try:
                notice = services.privacy_notice_publish(school=self.actor.school,
                                                         actor=self.actor, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已发布《个人信息保护告知书》第{notice.version}版。"
                                          "家长下次修改或提交意向书时须重新同意。")
                return redirect("enrollment:privacy_notice")
        return self._render(form, current)


class ChildMixin(ActorMixin):
    allowed_roles = (Role.GUARDIAN,)

    def get_child(self, student_pk):
        return get_object_or_404(children_of(self.actor).select_related("homeroom", "school"),
                                 pk=student_pk)


class ChildConsentView(ChildMixin, View):
    """One child's consents: where each part stands, the history, give or withdraw."""

    template_name = "enrollment/privacy_consent.html"

    def _render(self, student, errors=()):
        notice = selectors.current_notice(student.school_id)
        return render(self.request, self.template_name, {
            "student": student, "notice": notice,
            "state": selectors.consent_state(student, notice), "errors": errors,
            "actor": self.actor, "rights_links": rights_links()})

    def get(self, request, student_pk):
        return self._render(self.get_child(student_pk))

    def post(self, request, student_pk):
        student = self.get_child(student_pk)
        personal = request.POST.get("consent_personal") == "on"
        sensitive = request.POST.get("consent_sensitive") == "on"
        if not (personal or sensitive):
            return self._render(student, ["请勾选要同意的事项。"])
        try:
            services.privacy_consent_give(student=student, actor=self.actor, personal=personal,
                                          sensitive=sensitive,
                                          ip_address=client_ip(request) or None)
        except DomainError as exc:
            return self._render(student, [exc.message])
        messages.success(request, "已记录您的同意。")
        return redirect("enrollment:privacy_child", student.pk)


class ConsentWithdrawView(ChildMixin, View):
    """Withdraw one part: what it will do is said first, then a reason and a confirmation."""

    template_name = "enrollment/privacy_withdraw.html"

    def _setup(self, student_pk, kind):
        if kind not in Kind.values:
            raise Http404("没有这一项同意")
        self.student = self.get_child(student_pk)
        self.kind = kind
        self.state = selectors.consent_state(self.student, selectors.current_notice(
            self.student.school_id))
        if not self.state.standing(kind):
            messages.info(self.request, "这一项没有有效的同意，无需撤回。")
            return redirect("enrollment:privacy_child", self.student.pk)
        return None

    def _render(self, form):
        form.fields["reason"].widget.attrs["placeholder"] = (
            "如：孩子转学，不再需要课后服务" if self.kind == Kind.PERSONAL
            else "如：不希望学校保存孩子的健康信息")
        applications = list(Application.objects.filter(student=self.student)
                             .select_related("term").order_by("-term__start_date"))
        ending = [a for a in applications if move_for(a.status, Application.Status.WITHDRAWN)]
        with_health = [a for a in applications if a.health_notes or a.allergies]
        return render(self.request, self.template_name, {
            "student": self.student, "kind": self.kind, "kind_label": Kind(self.kind).label,
            "form": form, "state": self.state, "ending": ending, "with_health": with_health,
            "actor": self.actor})

    def get(self, request, student_pk, kind):
        done = self._setup(student_pk, kind)
        return done or self._render(ConsentWithdrawForm())

    def post(self, request, student_pk, kind):
        done = self._setup(student_pk, kind)
        if done:
            return done
        form = ConsentWithdrawForm(request.POST)
        if not form.is_valid():
            return self._render(form)
        try:
            result = services.privacy_consent_withdraw(
                student=self.student, actor=self.actor, kind=kind,
                reason=form.cleaned_data["reason"], ip_address=client_ip(request) or None)
        except DomainError as exc:
            add_domain_error(form, exc)
            return self._render(form)
        parts = [f"已撤回{Kind(kind).label}的同意。"]
        if result.health_cleared:
            parts.append("已清空填写的健康情况和过敏史。")
        if result.applications_withdrawn:
            parts.append(f"{self.student.name}已退出课后服务。")
        messages.success(request, "".join(parts))
        return redirect("enrollment:privacy_child", self.student.pk)
