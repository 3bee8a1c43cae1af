from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from . import access, selectors, services
from .exceptions import DomainError
from .forms import ActivationForm, PhoneLoginForm
from .home import panels_for
from .mixins import ActorMixin
from .models import Role


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
            services.guardian_activate(phone=form.cleaned_data["phone"],
                                       code=form.cleaned_data["code"],
                                       password=form.cleaned_data["password1"])
        except DomainError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, "账号已激活，请用手机号和新密码登录。")
        return super().form_valid(form)


class PasswordChangeView(ActorMixin, auth_views.PasswordChangeView):
    success_url = reverse_lazy("school:home")

    def form_valid(self, form):
        messages.success(self.request, "密码已修改。")
        return super().form_valid(form)


class HomeView(ActorMixin, TemplateView):
    template_name = "afterschool/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["panels"] = panels_for(self.actor)
        ctx["notices"] = selectors.notices_for(self.request.user, self.actor.school)[:10]
        ctx["schools"] = access.schools_of(self.request.user)
        ctx["term"] = selectors.current_term(self.actor.school)
        return ctx


class SwitchSchoolView(ActorMixin, View):
    def post(self, request):
        school = get_object_or_404(access.schools_of(request.user), pk=request.POST.get("school"))
        request.session[access.SESSION_SCHOOL_KEY] = school.pk
        return redirect("school:home")


class NoticeReadView(ActorMixin, View):
    def post(self, request):
        services.notice_mark_read(user=request.user, notice_ids=request.POST.getlist("notice"))
        return redirect(request.POST.get("next") or "school:home")


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
    """《致家长的一封信》 for one homeroom: one printable page per family."""

    allowed_roles = (Role.COORDINATOR, Role.HOMEROOM_TEACHER)
    template_name = "afterschool/letters.html"
    context_object_name = "homeroom"

    def get_queryset(self):
        return access.homerooms_visible_to(self.actor)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["letters"] = selectors.letters_for_homeroom(self.object)
        ctx["term"] = selectors.current_term(self.actor.school)
        ctx["login_url"] = self.request.build_absolute_uri(reverse("login"))
        ctx["activate_url"] = self.request.build_absolute_uri(reverse("activate"))
        return ctx


class StudentListView(ActorMixin, ListView):
    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL, Role.HOMEROOM_TEACHER)
    template_name = "afterschool/student_list.html"
    context_object_name = "students"
    paginate_by = 50

    def get_queryset(self):
        qs = access.students_visible_to(self.actor)
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
        return selectors.staff_with_roles(access.staff_visible_to(self.actor))


class StaffResetPasswordView(ActorMixin, View):
    allowed_roles = (Role.COORDINATOR,)

    def post(self, request, pk):
        staff = get_object_or_404(access.staff_visible_to(self.actor), pk=pk)
        user = services.staff_ensure_login(staff=staff)
        password = services.user_reset_password(actor=self.actor, user=user)
        messages.success(request, f"已为 {staff.name} 重置密码，新的临时密码：{password}"
                                  "（请当面告知本人，并提醒登录后修改）")
        return redirect("school:staff_list")


class GuardianResetActivationView(ActorMixin, View):
    allowed_roles = (Role.COORDINATOR,)

    def post(self, request, pk):
        guardian = get_object_or_404(access.guardians_visible_to(self.actor), pk=pk)
        services.guardian_reset_activation(actor=self.actor, guardian=guardian)
        messages.success(request, f"已为家长 {guardian.name} 生成新的激活码，请重新打印其家长信。")
        return redirect(request.POST.get("next") or "school:home")
