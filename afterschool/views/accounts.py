"""Accounts: signing in, activation, passwords, the school switch, resets and account links."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from .. import access, selectors, services
from ..exceptions import DomainError
from ..forms import ActivationForm, ClaimCodeForm, PhoneLoginForm, add_domain_error
from ..mixins import ActorMixin
from ..models import Role
from ..params import client_ip, id_or_404, safe_next


class LoginView(auth_views.LoginView):
    form_class = PhoneLoginForm
    redirect_authenticated_user = True


class ActivateView(FormView):
    """家长激活: phone + the code on the letter home + a new password."""

    template_name = "registration/activate.html"
    form_class = ActivationForm
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        try:
            outcome = services.guardian_activate(phone=form.cleaned_data["phone"],
                                                 code=form.cleaned_data["code"],
                                                 password=form.cleaned_data["password1"],
                                                 ip_address=client_ip(self.request))
        except DomainError as exc:
            add_domain_error(form, exc)
            return self.form_invalid(form)
        if outcome.pending:
            messages.info(self.request, "该手机号已经有登录账号，密码没有改变。请用原来的密码登录，"
                                        "在首页“账号关联”中输入激活码，确认关联孩子。"
                                        "忘记密码请联系课后服务办公室。")
        else:
            messages.success(self.request, "账号已激活，请用手机号和新密码登录。")
        return super().form_valid(form)


class PasswordChangeView(ActorMixin, auth_views.PasswordChangeView):
    success_url = reverse_lazy("school:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.user_password_changed(user=form.user)
        messages.success(self.request, "密码已修改。")
        return response


class SwitchSchoolView(ActorMixin, View):
    def post(self, request):
        school = get_object_or_404(access.schools_of(request.user),
                                   pk=id_or_404(request.POST.get("school")))
        request.session[access.SESSION_SCHOOL_KEY] = school.pk
        return redirect("school:home")


class StaffResetPasswordView(ActorMixin, View):
    allowed_roles = (Role.COORDINATOR,)

    def post(self, request, pk):
        staff = get_object_or_404(access.staff_visible_to(self.actor), pk=pk)
        ip = client_ip(request)
        try:
            user = services.staff_ensure_login(actor=self.actor, staff=staff, ip_address=ip)
            if user is None:
                messages.warning(request, f"手机号 {staff.phone[:3]}****{staff.phone[7:]} 已有登录账号。"
                                          f"已请其本人确认关联为本校教职工 {staff.name}；"
                                          "确认前该账号不属于本校，本校也不能重置它的密码。")
                return redirect("school:staff_list")
            password = services.user_reset_password(actor=self.actor, user=user, ip_address=ip)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("school:staff_list")
        messages.success(request, f"已为 {staff.name} 重置密码，新的临时密码：{password}"
                                  "（请当面告知本人；登录后须立即修改）")
        return redirect("school:staff_list")


class GuardianResetActivationView(ActorMixin, View):
    """重新发放激活码: the old code stops working; the letter is printed again."""

    allowed_roles = (Role.COORDINATOR,)

    def post(self, request, pk):
        guardian = get_object_or_404(access.guardians_visible_to(self.actor), pk=pk)
        target = safe_next(request, request.POST.get("next"), reverse("school:home"))
        try:
            services.guardian_reissue_code(actor=self.actor, guardian=guardian,
                                           ip_address=client_ip(request))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已为家长 {guardian.name} 重新发放激活码，原激活码作废。"
                                      "请重新打印其家长信。")
        return HttpResponseRedirect(target)


class AccountLinksView(ActorMixin, TemplateView):
    """账号关联: schools asking to attach a role to this login, accepted or refused here."""

    template_name = "afterschool/account_links.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["links"] = selectors.account_links_with_details(
            access.account_links_of(self.request.user))[:50]
        ctx.setdefault("form", ClaimCodeForm())
        return ctx

    def post(self, request):
        ip = client_ip(request)
        action = request.POST.get("action")
        try:
            if action == "code":
                form = ClaimCodeForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(form=form))
                claimed = services.guardian_claim_by_code(
                    user=request.user, code=form.cleaned_data["code"], ip_address=ip)
                names = "、".join(g.school.name for g in claimed)
                messages.success(request, f"已确认关联：{names}。")
            elif action in ("accept", "refuse"):
                link = get_object_or_404(access.account_links_of(request.user),
                                         pk=id_or_404(request.POST.get("link")))
                if action == "accept":
                    services.account_link_accept(user=request.user, link=link, ip_address=ip)
                    messages.success(request, f"已确认关联：{link.school.name}。")
                else:
                    services.account_link_refuse(user=request.user, link=link, ip_address=ip)
                    messages.success(request, "已拒绝关联。")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("school:account_links")


class AccountEventListView(ActorMixin, ListView):
    """账号记录: every reset, activation, link, reissued code, printed letter and offboarding
    (a member of staff stopped, a role removed) of the school."""

    allowed_roles = (Role.PRINCIPAL, Role.COORDINATOR)
    template_name = "afterschool/account_events.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self):
        return access.account_events_visible_to(self.actor).select_related(
            "actor", "target", "staff", "guardian")
