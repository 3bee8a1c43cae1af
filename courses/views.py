"""Pages of the catalog: the office's course list and editing, sections, tutor assignment,
and the guardians' browsing.

Each view parses input, fetches through ``courses/access.py`` (so "missing" and "not yours"
are both 404), calls one service, turns a domain error into a form error or a message and
redirects.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView

from afterschool.access import children_of, grades_visible_to
from afterschool.exceptions import DomainError
from afterschool.formatting import weekdays_text
from afterschool.forms import add_domain_error
from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.norms import STUDENTS_PER_TUTOR
from afterschool.params import id_or_404, parse_id, safe_next
from afterschool.selectors import current_term

from . import access, selectors, services, staffing
from .forms import (
    CatalogFilterForm,
    CourseForm,
    GenerateSectionsForm,
    SectionForm,
    SectionTutorsForm,
    slot_grid,
)
from .homework import attach_homework_groups

OFFICE = (Role.COORDINATOR, Role.PRINCIPAL)


def warn(request, warnings) -> None:
    for text in warnings:
        messages.warning(request, text)


class TermMixin:
    """The term whose catalog is shown: ``?term=`` among the school's, else the current one."""

    def get_term(self):
        if not hasattr(self, "_term"):
            wanted = self.request.GET.get("term")
            terms = access.terms_visible_to(self.actor)
            if wanted:
                self._term = get_object_or_404(terms, pk=id_or_404(wanted, "找不到该学期。"))
            else:
                self._term = current_term(self.actor.school)
        return self._term

    def term_context(self) -> dict:
        return {"term": self.get_term(),
                "terms": list(access.terms_visible_to(self.actor).order_by("-start_date"))}


class CourseMixin(ActorMixin):
    """Views of one course, fetched through ``courses_visible_to``."""

    allowed_roles = (Role.COORDINATOR,)

    def get_course(self):
        if not hasattr(self, "_course"):
            self._course = get_object_or_404(
                access.courses_visible_to(self.actor).select_related("term", "school"),
                pk=self.kwargs["pk"])
        return self._course

    def course_url(self):
        return reverse("courses:catalog_course", args=[self.get_course().pk])


class SectionMixin(ActorMixin):
    allowed_roles = (Role.COORDINATOR,)

    def get_section(self):
        if not hasattr(self, "_section"):
            self._section = get_object_or_404(
                selectors.sections_with_details(access.sections_visible_to(self.actor))
                .select_related("course__term"), pk=self.kwargs["pk"])
        return self._section

    def next_url(self):
        wanted = self.request.POST.get("next") or self.request.GET.get("next")
        return safe_next(self.request, wanted,
                         reverse("courses:catalog_course", args=[self.get_section().course_id]))


# ------------------------------------------------------------------ the office's catalog


class CatalogListView(TermMixin, ActorMixin, TemplateView):
    allowed_roles = OFFICE
    template_name = "courses/catalog/course_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(self.term_context())
        term = ctx["term"]
        courses = access.courses_visible_to(self.actor)
        form = CatalogFilterForm(
            self.request.GET or None, grades=grades_visible_to(self.actor),
            categories=selectors.categories_in_use(courses, term) if term else [])
        category, grade = "", None
        if form.is_bound and form.is_valid():
            category, grade = form.cleaned_data["category"], form.cleaned_data["grade"]
        ctx["filter_form"] = form
        ctx["courses"] = (list(selectors.catalog_courses(courses, term=term, category=category,
                                                         grade=grade)) if term else [])
        attach_homework_groups(ctx["courses"], term, grade=grade, drafts=True)
        ctx["filtered"] = bool(category or grade)
        return ctx


class CourseCreateView(TermMixin, ActorMixin, FormView):
    allowed_roles = (Role.COORDINATOR,)
    template_name = "courses/catalog/course_form.html"
    form_class = CourseForm

    def get(self, request, *args, **kwargs):
        if self.get_term() is None:
            messages.error(request, "尚未设置学期，请先设置学期后再开设课程。")
            return redirect("courses:catalog_list")
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        term = self.get_term()
        if term is None:
            raise Http404
        return {**super().get_form_kwargs(), "term": term}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["term"] = self.get_term()
        ctx["category_options"] = selectors.category_options(self.actor.school)
        return ctx

    def form_valid(self, form):
        try:
            course = services.course_create(actor=self.actor, term=self.get_term(),
                                            **form.service_kwargs())
        except (DomainError, ValidationError) as exc:
            add_domain_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"已开设课程「{course.name}」。下一步：添加教学班。")
        return redirect("courses:catalog_course", course.pk)


class CourseDetailView(ActorMixin, DetailView):
    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL, Role.TUTOR, Role.EXTERNAL_INSTRUCTOR)
    template_name = "courses/catalog/course_detail.html"
    context_object_name = "course"

    def get_queryset(self):
        return selectors.course_detail(access.courses_visible_to(self.actor),
                                       sections=access.sections_visible_to(self.actor))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["sections"] = [(s, services.section_warnings(section=s))
                           for s in self.object.visible_sections]
        attach_homework_groups([self.object], self.object.term,
                               drafts=self.actor.is_school_wide)
        return ctx


class CourseUpdateView(CourseMixin, FormView):
    template_name = "courses/catalog/course_form.html"
    form_class = CourseForm

    def get_form_kwargs(self):
        course = self.get_course()
        return {**super().get_form_kwargs(), "instance": course, "term": course.term}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["course"] = self.get_course()
        ctx["term"] = self.get_course().term
        ctx["category_options"] = selectors.category_options(self.actor.school)
        return ctx

    def form_valid(self, form):
        try:
            course = services.course_update(actor=self.actor, course=self.get_course(),
                                            **form.service_kwargs())
        except (DomainError, ValidationError) as exc:
            add_domain_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"已保存课程「{course.name}」。")
        return redirect("courses:catalog_course", course.pk)


class CourseActiveView(CourseMixin, View):
    def post(self, request, pk):
        is_active = request.POST.get("is_active") == "1"
        course = services.course_set_active(actor=self.actor, course=self.get_course(),
                                            is_active=is_active)
        messages.success(request, f"「{course.name}」已{'恢复开放' if is_active else '停开'}。")
        return redirect(self.course_url())


class CourseDeleteView(CourseMixin, View):
    def post(self, request, pk):
        course = self.get_course()
        try:
            services.course_delete(actor=self.actor, course=course)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(self.course_url())
        messages.success(request, f"已删除课程「{course.name}」。")
        return redirect(f"{reverse('courses:catalog_list')}?term={course.term_id}")


# ------------------------------------------------------------------ sections


class SectionFormMixin:
    template_name = "courses/catalog/section_form.html"
    form_class = SectionForm

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["grid"] = slot_grid(ctx["form"])
        return ctx

    def saved(self, section, verb):
        messages.success(self.request, f"已{verb}教学班「{section}」。")
        warn(self.request, services.section_warnings(section=section))
        return redirect("courses:catalog_course", section.course_id)

    def refused(self, form, exc):
        add_domain_error(form, exc)
        return self.form_invalid(form)


class SectionCreateView(SectionFormMixin, CourseMixin, FormView):
    def get_initial(self):
        course = self.get_course()
        return {"name": f"{course.sections.count() + 1}班", "capacity": STUDENTS_PER_TUTOR}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "course": self.get_course()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(course=self.get_course(), **kwargs)

    def form_valid(self, form):
        try:
            section = services.section_create(actor=self.actor, course=self.get_course(),
                                              **form.service_kwargs())
        except (DomainError, ValidationError) as exc:
            return self.refused(form, exc)
        return self.saved(section, "添加")


class SectionUpdateView(SectionFormMixin, SectionMixin, FormView):
    def get_form_kwargs(self):
        section = self.get_section()
        return {**super().get_form_kwargs(), "course": section.course, "section": section}

    def get_context_data(self, **kwargs):
        section = self.get_section()
        return super().get_context_data(course=section.course, section=section, **kwargs)

    def form_valid(self, form):
        try:
            section = services.section_update(actor=self.actor, section=self.get_section(),
                                              **form.service_kwargs())
        except (DomainError, ValidationError) as exc:
            return self.refused(form, exc)
        return self.saved(section, "保存")


class SectionTutorsView(SectionMixin, FormView):
    template_name = "courses/catalog/section_tutors.html"
    form_class = SectionTutorsForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "section": self.get_section()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.get_section(), next=self.next_url(),
                                        **kwargs)

    def form_valid(self, form):
        try:
            section = services.section_set_tutors(actor=self.actor, section=self.get_section(),
                                                  tutors=form.cleaned_data["tutors"])
        except DomainError as exc:
            add_domain_error(form, exc)
            return self.form_invalid(form)
        names = "、".join(t.name for t in section.tutors.all()) or "无"
        messages.success(self.request, f"「{section}」的辅导教师：{names}。")
        warn(self.request, services.section_warnings(section=section))
        return redirect(self.next_url())


class SectionDeleteView(SectionMixin, View):
    def post(self, request, pk):
        section = self.get_section()
        services.section_delete(actor=self.actor, section=section)
        messages.success(request, f"已删除教学班「{section}」。")
        return redirect("courses:catalog_course", section.course_id)


class GenerateSectionsView(CourseMixin, FormView):
    """为每个班级生成教学班: a per-homeroom course gets one section per homeroom."""

    template_name = "courses/catalog/section_generate.html"
    form_class = GenerateSectionsForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "course": self.get_course()}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(course=self.get_course(), **kwargs)
        ctx["grid"] = slot_grid(ctx["form"])
        ctx["homerooms"] = list(selectors.homerooms_with_size(self.get_course().grades.all())
                                .filter(school=self.actor.school))
        ctx["done"] = set(self.get_course().sections.values_list("homeroom", flat=True))
        return ctx

    def form_valid(self, form):
        try:
            created = services.course_generate_homeroom_sections(
                actor=self.actor, course=self.get_course(), slots=form.slots())
        except (DomainError, ValidationError) as exc:
            add_domain_error(form, exc)
            return self.form_invalid(form)
        if created:
            messages.success(self.request, f"已为 {len(created)} 个班级生成教学班。"
                                           "下一步：在“辅导教师分配”中配备教师。")
        else:
            messages.info(self.request, "每个班级都已有教学班，没有新生成。")
        return redirect(self.course_url())


# ------------------------------------------------------------------ tutor assignment


class StaffingView(TermMixin, ActorMixin, TemplateView):
    """辅导教师分配: loads and gaps; a POST computes a proposal to review (nothing saved)."""

    allowed_roles = (Role.COORDINATOR,)
    template_name = "courses/catalog/staffing.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(self.term_context())
        term = ctx["term"]
        if term is None:
            return ctx
        sections = list(selectors.term_sections(term))
        ctx["sections"] = [(s, staffing.tutors_needed(s.capacity) - len(s.tutors.all()))
                           for s in sections]
        ctx["lacking"] = sum(1 for _, short in ctx["sections"] if short > 0)
        ctx["staff"] = list(selectors.staff_with_load(term))
        for person in ctx["staff"]:
            person.weekday_text = weekdays_text(person.available_weekdays or [])
        return ctx

    def post(self, request, *args, **kwargs):
        # Computing a proposal reads and saves nothing: a selector, bounded by its time limit.
        ctx = self.get_context_data(**kwargs)
        if ctx["term"] is None:
            raise Http404
        found = selectors.staffing_proposal(ctx["term"])
        ctx.update(proposal=found.proposal, unstaffed=found.unstaffed,
                   proposed_loads=found.loads, result=found.result)
        return self.render_to_response(ctx)


class StaffingApplyView(TermMixin, ActorMixin, View):
    allowed_roles = (Role.COORDINATOR,)

    def post(self, request):
        term = self.get_term()
        if term is None:
            raise Http404
        additions = []
        for value in request.POST.getlist("add"):
            section_id, _, staff_id = value.partition(":")
            section_id, staff_id = parse_id(section_id), parse_id(staff_id)
            if section_id is not None and staff_id is not None:
                additions.append((section_id, staff_id))
        try:
            changed = services.staffing_apply(actor=self.actor, term=term, additions=additions)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已为 {len(changed)} 个教学班配备辅导教师。")
        return redirect(f"{reverse('courses:catalog_staffing')}?term={term.pk}")


# ------------------------------------------------------------------ guardians


class CatalogBrowseView(ActorMixin, TemplateView):
    """The catalog of a child's grade, as a guardian sees it (the office may look too)."""

    allowed_roles = (Role.GUARDIAN, Role.COORDINATOR, Role.PRINCIPAL)
    template_name = "courses/catalog/browse.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        children = list(children_of(self.actor))
        student = grade = None
        wanted = self.request.GET.get("student")
        if wanted:
            student = get_object_or_404(children_of(self.actor),
                                        pk=id_or_404(wanted, "找不到该学生。"))
        elif children:
            student = children[0]
        if student is not None:
            grade = student.homeroom.grade
        elif self.actor.is_school_wide:
            grades = grades_visible_to(self.actor)
            wanted = self.request.GET.get("grade")
            grade = (get_object_or_404(grades, pk=id_or_404(wanted, "找不到该年级。"))
                     if wanted else grades.order_by("number").first())
            ctx["grades"] = list(grades.order_by("number"))
        term = current_term(self.actor.school)
        courses = []
        if term and grade:
            sections = access.sections_visible_to(self.actor)
            if student is not None:
                # A sibling's per-homeroom sections are not this child's.
                sections = sections.filter(homeroom__isnull=True) | sections.filter(
                    homeroom=student.homeroom)
            courses = list(selectors.catalog_for_grade(access.courses_visible_to(self.actor),
                                                       term=term, grade=grade,
                                                       sections=sections))
            attach_homework_groups(courses, term, grade=grade)
        ctx.update(children=children, student=student, grade=grade, term=term,
                   fixed=[c for c in courses if c.is_fixed],
                   optional=[c for c in courses if not c.is_fixed])
        return ctx
