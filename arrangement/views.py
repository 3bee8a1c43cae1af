"""Pages of the arrangement (统筹安排): runs, adjustment, publishing, rosters and schedules.

Each view parses input, fetches through the scoping functions (so "missing" and "not yours"
are both 404), calls one service, turns a domain error into a message and redirects.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, TemplateView

from afterschool.access import children_of, homerooms_visible_to, staff_visible_to
from afterschool.audit import acting_role, export_choice, export_kinds, log_access
from afterschool.exceptions import DomainError
from afterschool.forms import add_domain_error
from afterschool.mixins import ActorMixin
from afterschool.models import Role, SensitiveAccess
from afterschool.params import id_or_404, parse_id, text_param
from afterschool.selectors import term_of
from afterschool.xlsx import xlsx_response
from courses.access import NO_TERM, term_or_current, terms_visible_to
from courses.services import section_warnings

from . import exports, selectors, services
from .access import (
    TUTORS,
    arrangements_visible_to,
    homeroom_mode_periods_visible_to,
    homework_groups_visible_to,
    placements_visible_to,
    runs_with_rosters_visible_to,
)
from .exceptions import NeedsConfirmation
from .forms import (
    ArrangementStartForm,
    HomeroomModeForm,
    PlacementCreateForm,
    PlacementMoveForm,
    PlacementRemoveForm,
    PlacementSwapForm,
    SectionChoiceField,
    SectionTutorForm,
)
from .models import Arrangement, Placement

OFFICE = (Role.COORDINATOR, Role.PRINCIPAL)


class RunMixin(ActorMixin):
    """Views of one run, fetched through ``arrangements_visible_to``."""

    allowed_roles = OFFICE

    def get_run(self) -> Arrangement:
        if not hasattr(self, "_run"):
            self._run = get_object_or_404(
                selectors.arrangement_with_people(arrangements_visible_to(self.actor)),
                pk=self.kwargs["pk"])
        return self._run

    def back(self, name="arrangement:detail", **query):
        url = reverse(name, args=[self.get_run().pk])
        query = {k: v for k, v in query.items() if v}
        if query:
            from urllib.parse import urlencode

            url += "?" + urlencode(query)
        return redirect(url)


class ArrangementListView(ActorMixin, TemplateView):
    allowed_roles = OFFICE
    template_name = "arrangement/list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        terms = terms_visible_to(self.actor)
        term = term_or_current(self.actor, self.request.GET.get("term"))
        runs = (list(selectors.runs_with_counts(arrangements_visible_to(self.actor)
                                                .filter(term=term)))
                if term else [])
        ctx.update(term=term, terms=terms, runs=runs, form=ArrangementStartForm(),
                   drafts=[r for r in runs if r.is_editable],
                   applications=selectors.arrangement_applications(term).count() if term else 0,
                   modes=selectors.homeroom_mode_periods(term) if term else [])
        return ctx


class ArrangementStartView(ActorMixin, View):
    allowed_roles = (Role.COORDINATOR,)

    def post(self, request):
        term = get_object_or_404(terms_visible_to(self.actor),
                                 pk=id_or_404(request.POST.get("term"), NO_TERM))
        form = ArrangementStartForm(request.POST)
        back = reverse("arrangement:list") + f"?term={term.pk}"
        if not form.is_valid():
            if "pins" in form.errors:
                messages.error(request, f"另外保持不变的学生：{form.errors['pins'][0]}")
            else:
                messages.error(request, "请选择分配方式，抽签号须为非负整数。")
            return redirect(back)
        data = form.cleaned_data
        base = None
        if data["base"]:
            base = get_object_or_404(arrangements_visible_to(self.actor).filter(term=term),
                                     pk=data["base"])
            back = reverse("arrangement:detail", args=[base.pk])
        try:
            run = services.arrangement_start(term=term, actor=self.actor,
                                             mechanism=data["mechanism"], seed=data["seed"],
                                             scope=data["scope"], base=base,
                                             pin_student_nos=data["pins"])
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        scope = "" if run.scope == Arrangement.Scope.FULL else \
            f"，在第{run.base.version}版基础上{run.get_scope_display()}"
        messages.success(request, f"已发起第{run.version}版统筹安排（{run.get_mechanism_display()}"
                                  f"{scope}）。")
        return redirect("arrangement:detail", pk=run.pk)


class ArrangementDetailView(RunMixin, TemplateView):
    template_name = "arrangement/detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        run = self.get_run()
        ctx["run"] = run
        if run.is_computed:
            ctx["stats"] = selectors.run_statistics(run)
            ctx["unplaced"] = selectors.unplaced_detailed(run)
            ctx["changes"] = selectors.changes_detailed(run)[:20]
            ctx["homework"] = homework = run.stats.get("homework", {})
            ctx["homework_unstaffed"] = homework.get("groups", 0) - homework.get("staffed", 0)
            ctx["homerooms"] = homerooms_visible_to(self.actor)
            ctx["other_drafts"] = (arrangements_visible_to(self.actor)
                                   .filter(term=run.term, status=Arrangement.Status.DRAFT,
                                           finished_at__isnull=False).exclude(pk=run.pk)
                                   .order_by("-version"))
            ctx["followup"] = selectors.followup_counts(run)
            ctx["start_form"] = ArrangementStartForm()
        return ctx


class ArrangementProgressView(RunMixin, TemplateView):
    """The htmx-polled progress box; once the run is done, the whole page reloads."""

    template_name = "arrangement/_progress.html"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if not self.get_run().is_running and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(run=self.get_run(), **kwargs)


class ArrangementPublishView(RunMixin, View):
    allowed_roles = (Role.COORDINATOR,)

    def post(self, request, pk):
        run = self.get_run()
        try:
            published = services.arrangement_publish(arrangement=run, actor=self.actor)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"第{run.version}版统筹安排已发布。{published.notice_summary}。")
        return self.back()


class ArrangementCompareView(ActorMixin, TemplateView):
    allowed_roles = OFFICE
    template_name = "arrangement/compare.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        visible = selectors.arrangement_with_people(arrangements_visible_to(self.actor))
        ids = [parse_id(self.request.GET.get("a")), parse_id(self.request.GET.get("b"))]
        if None in ids:
            # No pair chosen yet: the chooser, with the term's computed runs.
            term = term_or_current(self.actor, self.request.GET.get("term"))
            choices = list(visible.filter(term=term).exclude(finished_at__isnull=True)
                           .exclude(status=Arrangement.Status.FAILED).order_by("-version")
                           ) if term else []
            ctx.update(choosing=True, term=term, choices=choices,
                       chosen=[i for i in ids if i is not None])
            return ctx
        runs = [get_object_or_404(visible, pk=i) for i in ids]
        if runs[0].term_id != runs[1].term_id:
            raise Http404("只能比较同一学期的统筹安排。")
        ctx.update(selectors.runs_compared(runs))
        return ctx


# ------------------------------------------------------------------ adjustment


class ArrangementAdjustView(RunMixin, TemplateView):
    """Find a student of a draft and change their seat; the log of changes below."""

    allowed_roles = (Role.COORDINATOR,)
    template_name = "arrangement/adjust.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        run = self.get_run()
        ctx["run"] = run
        q = text_param(self.request.GET.get("q"))
        ctx["q"] = q
        # The options are built once and shared by every student's forms, so the page costs
        # the same number of queries for one match or twenty.
        sections = list(selectors.run_sections(run))
        occupancy = selectors.section_occupancy(run)
        label = SectionChoiceField(queryset=None, occupancy=occupancy).label_from_instance
        ctx["section_options"] = [(s.pk, label(s), "") for s in sections]
        ctx["tutor_options"] = list(staff_visible_to(self.actor).filter(is_active=True))
        found = selectors.adjustment_search(run, q if run.is_editable else "")
        # Each student's forms carry their own prefix, so one page holds many; each picker
        # offers the sections with a free seat on the child's days (the rest disabled, why).
        for p in found["placements"]:
            p.move_prefix = f"m{p.pk}"
            p.section_choices = selectors.seat_choices(
                sections, occupancy, application=p.application, student=p.student, term=run.term,
                exclude=p.section_id)
        for u in found["unplaced"]:
            u.place_prefix = f"p{u.pk}"
            u.section_choices = selectors.seat_choices(
                sections, occupancy, application=u.application, student=u.student, term=run.term)
        ctx.update(found_placements=found["placements"], found_unplaced=found["unplaced"],
                   changes=selectors.changes_detailed(run)[:100])
        return ctx


class _AdjustAction(RunMixin, View):
    allowed_roles = (Role.COORDINATOR,)
    form_class = None
    prefix_letter = ""

    def placement(self) -> Placement:
        return get_object_or_404(
            placements_visible_to(self.actor).filter(arrangement=self.get_run())
            .select_related("student", "section"), pk=self.kwargs["item"])

    def form(self, **kwargs):
        return self.form_class(self.request.POST, prefix=f"{self.prefix_letter}"
                               f"{self.kwargs['item']}", **kwargs)

    def sections(self):
        return selectors.run_sections(self.get_run())

    def q(self) -> str:
        return text_param(self.request.POST.get("q"))

    def done(self, text: str, q: str = ""):
        messages.success(self.request, text)
        return self.back("arrangement:adjust", q=q or self.q())

    def failed(self, exc_or_text):
        text = getattr(exc_or_text, "message", exc_or_text)
        level = messages.WARNING if isinstance(exc_or_text, NeedsConfirmation) else \
            messages.ERROR
        messages.add_message(self.request, level, text)
        return self.back("arrangement:adjust", q=self.q())

    def invalid(self, form, text: str):
        """A refused form: the comment's own error when that is what is wrong, else ``text``."""
        if "comment" in form.errors:
            return self.failed(f"说明：{form.errors['comment'][0]}")
        return self.failed(text)


class PlacementMoveView(_AdjustAction):
    form_class = PlacementMoveForm
    prefix_letter = "m"

    def post(self, request, pk, item):
        placement = self.placement()
        form = self.form(sections=self.sections())
        if not form.is_valid():
            return self.invalid(form, "请选择要调到的教学班。")
        try:
            services.placement_move(arrangement=self.get_run(), placement=placement,
                                    section=form.cleaned_data["section"], actor=self.actor,
                                    comment=form.cleaned_data["comment"],
                                    confirm=form.cleaned_data["confirm"])
        except DomainError as exc:
            return self.failed(exc)
        return self.done(f"已将{placement.student.name}调到{form.cleaned_data['section']}。")


class PlacementSwapView(_AdjustAction):
    form_class = PlacementSwapForm
    prefix_letter = "s"

    def post(self, request, pk, item):
        placement = self.placement()
        form = self.form()
        if not form.is_valid():
            return self.invalid(form, "请选择要互换的学生。")
        other = get_object_or_404(placements_visible_to(self.actor).filter(
            arrangement=self.get_run()).select_related("student"), pk=form.cleaned_data["other"])
        try:
            services.placement_swap(arrangement=self.get_run(), first=placement, second=other,
                                    actor=self.actor, comment=form.cleaned_data["comment"],
                                    confirm=form.cleaned_data["confirm"])
        except DomainError as exc:
            return self.failed(exc)
        return self.done(f"已互换{placement.student.name}与{other.student.name}的教学班。")


class SwapOptionsView(_AdjustAction):
    """The ``<option>``s of one student's swap form, fetched (htmx) when the form is opened,
    so the page does not repeat every placement of the run once per match."""

    template_name = "arrangement/_swap_options.html"

    def get(self, request, pk, item):
        placement = self.placement()
        return render(request, self.template_name, {
            "options": selectors.swap_candidates(self.get_run(), placement)})


class PlacementRemoveView(_AdjustAction):
    form_class = PlacementRemoveForm
    prefix_letter = "r"

    def post(self, request, pk, item):
        placement = self.placement()
        form = self.form()
        if not form.is_valid():
            return self.invalid(form, "提交的数据有误，请刷新页面后重试。")
        try:
            services.placement_remove(arrangement=self.get_run(), placement=placement,
                                      actor=self.actor, comment=form.cleaned_data["comment"])
        except DomainError as exc:
            return self.failed(exc)
        return self.done(f"已将{placement.student.name}移出{placement.section}。")


class PlacementCreateView(_AdjustAction):
    form_class = PlacementCreateForm
    prefix_letter = "p"

    def post(self, request, pk, item):
        entry = get_object_or_404(
            self.get_run().unplaced.select_related("student", "application"), pk=item)
        form = self.form(sections=self.sections())
        if not form.is_valid():
            return self.invalid(form, "请选择要安排的教学班。")
        try:
            services.placement_create(arrangement=self.get_run(), application=entry.application,
                                      section=form.cleaned_data["section"], actor=self.actor,
                                      comment=form.cleaned_data["comment"],
                                      confirm=form.cleaned_data["confirm"])
        except DomainError as exc:
            return self.failed(exc)
        return self.done(f"已将{entry.student.name}安排到{form.cleaned_data['section']}。")


class SectionTutorView(_AdjustAction):
    def post(self, request, pk):
        form = SectionTutorForm(request.POST, sections=self.sections(),
                                tutors=staff_visible_to(self.actor).filter(is_active=True))
        if not form.is_valid():
            return self.invalid(form, "请选择教学班和教师。")
        section, tutor = form.cleaned_data["section"], form.cleaned_data["tutor"]
        try:
            section = services.section_change_tutor(arrangement=self.get_run(), section=section,
                                                    tutor=tutor, actor=self.actor,
                                                    comment=form.cleaned_data["comment"])
        except DomainError as exc:
            return self.failed(exc)
        for warning in section_warnings(section=section):
            messages.warning(request, warning)
        return self.done(f"{section}已改由{tutor.name}辅导。")


class FillFreedSeatsView(RunMixin, View):
    allowed_roles = (Role.COORDINATOR,)

    def post(self, request, pk):
        try:
            placed = services.arrangement_fill_freed_seats(arrangement=self.get_run(),
                                                           actor=self.actor)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if placed:
                messages.success(request, f"已递补 {len(placed)} 名学生，并通知了家长。")
            else:
                messages.info(request, "没有可递补的空余名额或学生。")
        return self.back()


# ------------------------------------------------------------------ exports and rosters


class ArrangementExportView(RunMixin, View):
    def get(self, request, pk):
        run = self.get_run()
        content = exports.arrangement_workbook(run)
        return xlsx_response(content, f"统筹安排-第{run.version}版.xlsx",
                             fallback=f"arrangement-{run.term_id}-v{run.version}.xlsx")


class HomeworkGroupsView(RunMixin, TemplateView):
    template_name = "arrangement/homework.html"

    def get_context_data(self, **kwargs):
        run = self.get_run()
        return super().get_context_data(run=run, groups=selectors.homework_groups_detailed(run),
                                        **kwargs)


ROSTER_KINDS = (SensitiveAccess.Kind.HEALTH, SensitiveAccess.Kind.PICKUP)
ROSTER_ROLES = (Role.COORDINATOR, Role.PRINCIPAL, Role.TUTOR, Role.EXTERNAL_INSTRUCTOR,
                Role.HOMEROOM_TEACHER)


class SafetyRosterMixin:
    """The safety roster's page and its .xlsx, each logged (afterschool/audit.py).

    The page shows full phone numbers to the tutor and the office (the sheet they ring from),
    masked to the principal. The .xlsx is masked for everyone unless the office asks for
    含完整手机号 with a reason (a POST)."""

    def page_phones_full(self) -> bool:
        return self.actor.is_coordinator or not self.actor.is_school_wide

    def rows(self, *, mask_phones: bool):
        raise NotImplementedError

    def label(self) -> str:
        raise NotImplementedError

    def page_rows(self):
        full = self.page_phones_full()
        rows = self.rows(mask_phones=not full)
        log_access(self.request, self.actor, [row.student for row in rows],
                   kinds=[*ROSTER_KINDS, *([SensitiveAccess.Kind.PHONE] if full else [])],
                   place=f"名单：{self.label()}", role=acting_role(self.actor, *ROSTER_ROLES))
        return rows

    def export(self, request, filename: str, fallback: str, **options):
        try:
            choice = export_choice(request, self.actor)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(request.path)
        rows = self.rows(mask_phones=not choice.full_phones)
        log_access(request, self.actor, [row.student for row in rows],
                   kinds=export_kinds(choice, *ROSTER_KINDS), place=f"名单表格：{self.label()}",
                   role=acting_role(self.actor, *ROSTER_ROLES), export=True,
                   reason=choice.reason)
        content = exports.safety_roster_workbook(
            self.label(), rows, with_student_no=self.actor.is_school_wide, **options)
        return xlsx_response(content, filename, fallback=fallback)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.download(request)


class SectionRosterView(SafetyRosterMixin, ActorMixin, DetailView):
    """A printable roster of one section: the office, or the section's own tutor."""

    allowed_roles = OFFICE + TUTORS
    template_name = "arrangement/roster_section.html"
    context_object_name = "section"

    def get_object(self, queryset=None):
        self.run = get_object_or_404(runs_with_rosters_visible_to(self.actor),
                                     pk=self.kwargs["pk"])
        sections = selectors.arrangement_sections(self.run.term)
        if not self.actor.is_school_wide:
            sections = sections.filter(tutors=self.actor.staff)
        return get_object_or_404(sections, pk=self.kwargs["section"])

    def rows(self, *, mask_phones: bool):
        return selectors.section_safety_roster(self.run, self.object,
                                               placements=placements_visible_to(self.actor),
                                               mask_phones=mask_phones)

    def label(self) -> str:
        return f"{self.object.course.name} {self.object.name}"

    def download(self, request):
        return self.export(request, f"名单-{self.object.course.name}-{self.object.name}.xlsx",
                           f"roster-section-{self.object.pk}.xlsx", with_rank=True)

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "xlsx":
            self.object = self.get_object()
            return self.download(request)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        # 学籍号 often holds the child's ID-card number: the office only.
        ctx.update(run=self.run, roster=self.page_rows(), today=timezone.localdate(),
                   show_student_no=self.actor.is_school_wide)
        return ctx


class HomeworkRosterView(SafetyRosterMixin, ActorMixin, DetailView):
    """A printable roster of one homework group: the office, or the group's own tutor."""

    template_name = "arrangement/roster_homework.html"
    context_object_name = "group"

    def get_object(self, queryset=None):
        if not (self.actor.is_school_wide or self.actor.staff):
            raise PermissionDenied("您没有权限访问此页面。")
        group = get_object_or_404(homework_groups_visible_to(self.actor).filter(
            arrangement_id=self.kwargs["pk"]), pk=self.kwargs["group"])
        self.run = group.arrangement
        return group

    def rows(self, *, mask_phones: bool):
        return selectors.homework_group_safety_roster(self.object, mask_phones=mask_phones)

    def label(self) -> str:
        return f"作业辅导 {self.object.weekday_label} {self.object.name}"

    def download(self, request):
        return self.export(
            request, f"名单-作业辅导-{self.object.weekday_label}-{self.object.name}.xlsx",
            f"roster-homework-{self.object.pk}.xlsx")

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "xlsx":
            self.object = self.get_object()
            return self.download(request)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(run=self.run, roster=self.page_rows(),
                   period=selectors.homework_period(self.run.term), today=timezone.localdate(),
                   show_student_no=self.actor.is_school_wide)
        return ctx


class HomeroomRosterView(ActorMixin, DetailView):
    """A printable roster of one homeroom: each child's course and homework group."""

    allowed_roles = OFFICE + (Role.HOMEROOM_TEACHER,)
    template_name = "arrangement/roster_homeroom.html"
    context_object_name = "homeroom"

    def get_object(self, queryset=None):
        self.run = get_object_or_404(runs_with_rosters_visible_to(self.actor),
                                     pk=self.kwargs["pk"])
        return get_object_or_404(homerooms_visible_to(self.actor), pk=self.kwargs["homeroom"])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(run=self.run, students=selectors.homeroom_roster(self.run, self.object),
                   today=timezone.localdate())
        return ctx


# ------------------------------------------------------------------ homeroom mode


class HomeroomModeView(ActorMixin, TemplateView):
    allowed_roles = OFFICE
    template_name = "arrangement/homeroom_mode.html"

    def term(self):
        wanted = self.request.GET.get("term") or self.request.POST.get("term")
        term = term_or_current(self.actor, wanted)
        if term is None:
            raise Http404("本校尚未设置学期。")
        return term

    def get_context_data(self, form=None, **kwargs):
        term = self.term()
        today = timezone.localdate()
        return super().get_context_data(
            term=term, form=form or HomeroomModeForm(),
            periods=selectors.homeroom_mode_periods(term),
            mode_today=selectors.service_mode_on(term, today), today=today, **kwargs)

    def post(self, request):
        if not self.actor.has(Role.COORDINATOR):
            raise PermissionDenied("您没有权限执行此操作。")
        term = self.term()
        form = HomeroomModeForm(request.POST)
        if form.is_valid():
            try:
                period = services.homeroom_mode_start(term=term, actor=self.actor,
                                                      **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已设置按班级开展时段，期间暂停走班社团。"
                                 f"{period.notice_summary}。")
                return redirect(reverse("arrangement:homeroom_mode") + f"?term={term.pk}")
        return self.render_to_response(self.get_context_data(form=form))


class HomeroomModeEndView(ActorMixin, View):
    allowed_roles = (Role.COORDINATOR,)

    def post(self, request, pk):
        period = get_object_or_404(homeroom_mode_periods_visible_to(self.actor), pk=pk)
        try:
            ended = services.homeroom_mode_end(period=period, actor=self.actor)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if not ended.notice_summary:
                messages.info(request, "该时段已结束，无需恢复。")
            else:
                messages.success(request, ("已取消该时段。" if ended.never_ran
                                           else "已从今天起恢复正常走班安排。")
                                 + f"{ended.notice_summary}。")
        return redirect(reverse("arrangement:homeroom_mode") + f"?term={period.term_id}")


# ------------------------------------------------------------------ guardians and tutors


class MyScheduleView(ActorMixin, TemplateView):
    """A guardian's page: each child's weekly schedule once published, and why."""

    allowed_roles = (Role.GUARDIAN,)
    template_name = "arrangement/my_schedule.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        term = term_of(self.actor)  # read with the Actor: no query of its own
        if term is not None:  # every child's week reads them: once
            prefetch_related_objects([term], "periods")
        today = timezone.localdate()
        children = list(children_of(self.actor))
        entries = selectors.children_schedules(children, term, today)
        mode, upcoming = (selectors.homeroom_mode_now_or_next(term, today) if term
                          else (None, None))
        ctx.update(term=term, entries=entries, mode_period=mode, upcoming_mode=upcoming,
                   today=today)
        return ctx


class MySectionsView(ActorMixin, TemplateView):
    allowed_roles = TUTORS
    template_name = "arrangement/my_sections.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        term = term_of(self.actor)  # read with the Actor: no query of its own
        run = selectors.published_arrangement(term) if term else None
        ctx.update(term=term, run=run, sections=selectors.tutor_sections(run, self.actor.staff),
                   groups=selectors.tutor_homework_groups(run, self.actor.staff))
        return ctx
