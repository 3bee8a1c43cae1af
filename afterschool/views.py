from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from . import access, selectors, services
from .exceptions import DomainError
from .forms import ActivationForm, ClaimCodeForm, PhoneLoginForm, add_domain_error
from .home import panels_for
from .mixins import ActorMixin
from .models import AccountLink, Role, StudentGuardian
from .params import client_ip, id_or_404, ids, safe_next


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


class HomeView(ActorMixin, TemplateView):
    template_name = "afterschool/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["panels"] = panels_for(self.actor)
        ctx["notices"] = selectors.notices_for(self.request.user, self.actor.school)[:10]
        ctx["schools"] = access.schools_of(self.request.user)
        ctx["term"] = selectors.term_of(self.actor)
        ctx["pending_links"] = AccountLink.objects.filter(
            user=self.request.user, status=AccountLink.Status.PENDING).count()
        if self.actor.has(Role.DISTRICT_OFFICER):
            ctx["district_schools"] = selectors.district_schools_with_counts(
                access.schools_visible_to(self.actor))
        return ctx


class SwitchSchoolView(ActorMixin, View):
    def post(self, request):
        school = get_object_or_404(access.schools_of(request.user),
                                   pk=id_or_404(request.POST.get("school")))
        request.session[access.SESSION_SCHOOL_KEY] = school.pk
        return redirect("school:home")


class NoticeReadView(ActorMixin, View):
    def post(self, request):
        services.notice_mark_read(user=request.user, notice_ids=ids(request.POST.getlist("notice")))
        return HttpResponseRedirect(
            safe_next(request, request.POST.get("next"), reverse("school:home")))


class HomeroomListView(ActorMixin, ListView):
    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL, Role.HOMEROOM_TEACHER)
    template_name = "afterschool/homeroom_list.html"
    context_object_name = "homerooms"

    def get_queryset(self):
        return selectors.homerooms_with_counts(access.homerooms_visible_to(self.actor))


class HomeroomDetailView(ActorMixin, DetailView):
    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL, Role.HOMEROOM_TEACHER)
    template_name = "afterschool/homeroom_detail.html"
    context_object_name = "homeroom"

    def get_queryset(self):
        return access.homerooms_visible_to(self.actor)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["students"] = selectors.students_with_guardians(
            access.students_visible_to(self.actor).filter(homeroom=self.object))
        return ctx


class LettersView(ActorMixin, DetailView):
    """《致家长的一封信》 for one homeroom: one printable page per family.

    The page lists the families and where each stands, never a code. Codes appear only in the
    response to "print" (POST), once per code: printing marks the letter printed, starts the
    code's validity and is recorded; printing it again takes a code reissued by the office.
    """

    allowed_roles = (Role.COORDINATOR, Role.HOMEROOM_TEACHER)
    template_name = "afterschool/letters.html"
    print_template_name = "afterschool/letters_print.html"
    context_object_name = "homeroom"

    def get_queryset(self):
        return access.homerooms_visible_to(self.actor)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["letters"] = selectors.letters_for_homeroom(self.object)
        ctx["printable"] = sum(1 for letter in ctx["letters"]
                               if letter["guardian"].letter_printable)
        ctx["term"] = selectors.current_term(self.actor.school)
        return ctx

    def post(self, request, pk):
        self.object = homeroom = self.get_object()
        printed = services.letters_print(actor=self.actor, homeroom=homeroom,
                                         guardian_ids=ids(request.POST.getlist("guardian")),
                                         ip_address=client_ip(request))
        if not printed:
            messages.info(request, "没有待打印的家长信：已打印过的激活码不再显示。"
                                   "如家长信遗失，请课后服务办公室重新发放激活码后再打印。")
            return redirect("school:letters", homeroom.pk)
        response = render(request, self.print_template_name, {
            "homeroom": homeroom, "letters": printed, "actor": self.actor,
            "term": selectors.current_term(self.actor.school),
            "login_url": request.build_absolute_uri(reverse("login")),
            "activate_url": request.build_absolute_uri(reverse("activate")),
        })
        # The codes are shown once: not kept by the browser for "back" or its cache.
        response["Cache-Control"] = "no-store"
        return response


class StudentListView(ActorMixin, ListView):
    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL, Role.HOMEROOM_TEACHER)
    template_name = "afterschool/student_list.html"
    context_object_name = "students"
    paginate_by = 50

    def get_queryset(self):
        qs = access.students_visible_to(self.actor)
        if not self.actor.is_school_wide:
            # The list (with guardians) is the homeroom teacher's own class. Children they see
            # as a tutor are on their section rosters, which show what a tutor needs.
            qs = qs.filter(homeroom__head_teacher=self.actor.staff)
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(name__contains=q) | qs.filter(student_no__contains=q)
        return selectors.students_with_guardians(qs)


class StaffListView(ActorMixin, ListView):
    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL)
    template_name = "afterschool/staff_list.html"
    context_object_name = "staff_list"
    paginate_by = 50

    def get_queryset(self):
        return selectors.staff_with_roles(access.staff_visible_to(self.actor)).prefetch_related(
            Prefetch("account_links", to_attr="pending_links",
                     queryset=AccountLink.objects.filter(status=AccountLink.Status.PENDING)))


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
        ctx["links"] = (AccountLink.objects.filter(user=self.request.user)
                        .select_related("school", "staff", "guardian", "requested_by")
                        .prefetch_related(Prefetch(
                            "guardian__student_links",
                            queryset=StudentGuardian.objects.select_related("student")))
                        .order_by("status", "-created_at")[:50])
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
                link = get_object_or_404(AccountLink, user=request.user,
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
    """账号记录: every reset, activation, link, reissued code and printed letter of the school."""

    allowed_roles = (Role.PRINCIPAL, Role.COORDINATOR)
    template_name = "afterschool/account_events.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self):
        return access.account_events_visible_to(self.actor).select_related(
            "actor", "target", "staff", "guardian")
