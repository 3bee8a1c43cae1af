"""The school's own pages: the home page, homerooms, students, staff and letters home."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.generic import DetailView, ListView, TemplateView

from .. import access, selectors, services
from ..home import panels_for
from ..mixins import ActorMixin
from ..models import Role
from ..params import client_ip, ids


class HomeView(ActorMixin, TemplateView):
    template_name = "afterschool/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["panels"] = panels_for(self.actor)
        ctx["notices"] = selectors.notices_for(self.request.user, self.actor.school)[:10]
        ctx["schools"], ctx["pending_links"] = selectors.schools_and_pending_links(
            self.request.user)
        ctx["term"] = selectors.term_of(self.actor)
        if self.actor.has(Role.DISTRICT_OFFICER):
            ctx["district_schools"] = selectors.district_schools_with_counts(
                access.schools_visible_to(self.actor))
        return ctx


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
        return selectors.staff_with_pending_links(access.staff_visible_to(self.actor))
