"""The duty roster's pages: a staff member's duties, the week's roster (printable, .xlsx),
generation and settings for the office, the days a person cannot be on duty."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from afterschool.access import staff_visible_to
from afterschool.exceptions import DomainError
from afterschool.forms import add_domain_error
from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.params import date_param, parse_id
from afterschool.selectors import current_term
from afterschool.xlsx import xlsx_response
from attendance.display import day_label

from .. import exports
from .. import selectors as sel
from ..access import is_staff, may_patrol, rosters_visible_to, unavailability_visible_to
from ..forms import GenerateForm, PolicyForm, UnavailabilityForm
from ..models import SafetyPolicy
from ..services import policy_for, policy_update, roster_generate, service_days
from ..services import unavailability_set as unavailability_write

OFFICE = (Role.COORDINATOR,)
LEADERS = (Role.COORDINATOR, Role.PRINCIPAL)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


class StaffGate:
    """After ``ActorMixin`` in the bases: staff of the school only (a staff row or a leader);
    a guardian or a district officer gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if not is_staff(self.actor):
            raise PermissionDenied("值日与巡查只对本校教职工开放。")
        return super().dispatch(request, *args, **kwargs)


def term_or_404(actor):
    term = current_term(actor.school)
    if term is None:
        raise Http404("本校尚未设置学期。")
    return term


class DutyHomeView(ActorMixin, StaffGate, TemplateView):
    """值日: my next duties, who is on duty today, the way to patrols and swaps."""

    template_name = "safety/home.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        term = term_or_404(self.actor)
        roster = rosters_visible_to(self.actor).filter(term=term).first()
        mine = list(sel.duties_of(self.actor.staff, since=today)) if self.actor.staff else []
        return super().get_context_data(
            today=today, term=term, roster=roster, mine=mine,
            today_duty=list(sel.on_duty(self.actor.school.pk, today)),
            may_patrol=may_patrol(self.actor, today),
            summary=sel.patrol_summary(self.actor.school, today), **kwargs)


class RosterView(ActorMixin, StaffGate, TemplateView):
    """One week of the term's roster (A4 print), the loads, and the office's controls."""

    template_name = "safety/roster.html"

    def get_context_data(self, form=None, **kwargs):
        term = term_or_404(self.actor)
        roster = rosters_visible_to(self.actor).filter(term=term).first()
        today = timezone.localdate()
        default = min(max(today, term.start_date), term.end_date)
        week = monday_of(date_param(self.request.GET.get("week"), default))
        week = min(max(week, monday_of(term.start_date)), monday_of(term.end_date))
        end = week + dt.timedelta(days=6)
        days = sel.roster_days(roster, week, end) if roster else []
        policy = policy_for(self.actor.school.pk)
        show_loads = self.request.GET.get("loads") == "1"
        return super().get_context_data(
            term=term, roster=roster, week=week, week_end=end, days=days, today=today,
            prev_week=week - dt.timedelta(days=7) if week > term.start_date else None,
            next_week=end + dt.timedelta(days=1) if end < term.end_date else None,
            policy=policy, form=form or GenerateForm(), is_office=self.actor.has(*OFFICE),
            loads=sel.duty_loads(roster) if roster and show_loads else None,
            show_loads=show_loads,
            service_day_count=len(service_days(term)) if roster is None else None, **kwargs)


class RosterGenerateView(ActorMixin, View):
    allowed_roles = OFFICE

    def post(self, request):
        term = term_or_404(self.actor)
        form = GenerateForm(request.POST)
        if not form.is_valid():
            messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
            return redirect("safety:roster")
        try:
            roster = roster_generate(term=term, actor=self.actor,
                                     from_date=form.cleaned_data["from_date"])
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("safety:roster")
        proof = "已证明最优" if roster.optimal else "在时限内未能证明最优，为找到的最好结果"
        messages.success(
            request, f"值日表已生成（自{day_label(roster.from_date)}起）：每人最多值日 "
            f"{roster.max_teacher_load} 次，值日领导每人最多 {roster.max_leader_load} 次，"
            f"{proof}，用时 {roster.seconds:.1f} 秒。")
        return redirect(f"{reverse('safety:roster')}?week={roster.from_date}")


class RosterExportView(ActorMixin, StaffGate, View):
    def get(self, request):
        term = term_or_404(self.actor)
        roster = get_object_or_404(rosters_visible_to(self.actor), term=term)
        content = exports.roster_workbook(roster)
        return xlsx_response(content, f"值日表-{term.name}.xlsx", fallback="duty-roster.xlsx")


class PolicyView(ActorMixin, TemplateView):
    """值日设置: how many on duty a day, who takes turns, the follow-up's default days."""

    allowed_roles = LEADERS
    template_name = "safety/settings.html"

    def get_context_data(self, form=None, **kwargs):
        policy = policy_for(self.actor.school.pk)
        return super().get_context_data(form=form or PolicyForm(instance=policy),
                                        is_office=self.actor.has(*OFFICE), **kwargs)

    def post(self, request):
        if not self.actor.has(*OFFICE):
            raise PermissionDenied("只有课后服务办公室可以修改值日设置。")
        form = PolicyForm(request.POST, instance=SafetyPolicy(school=self.actor.school))
        if form.is_valid():
            data = form.cleaned_data
            try:
                policy_update(actor=self.actor, school=self.actor.school,
                              duty_teachers_per_day=data["duty_teachers_per_day"],
                              leaders_per_day=data["leaders_per_day"],
                              duty_pool=data["duty_pool"],
                              follow_up_days=data["follow_up_days"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "值日设置已保存；重新生成值日表后按新设置排班。")
                return redirect("safety:roster")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class UnavailabilityView(ActorMixin, StaffGate, TemplateView):
    """不能值日的日期: tick the service days ahead; the office may do it for someone."""

    template_name = "safety/unavailable.html"

    def person(self):
        wanted = parse_id(self.request.GET.get("staff") or self.request.POST.get("staff"))
        if wanted is not None and (self.actor.staff is None or wanted != self.actor.staff.pk):
            if not self.actor.has(*OFFICE):
                raise PermissionDenied("只能登记自己不能值日的日期。")
            return get_object_or_404(staff_visible_to(self.actor).filter(is_active=True),
                                     pk=wanted)
        if self.actor.staff is None:
            raise Http404("您没有教职工档案，无需登记。")
        return self.actor.staff

    def get_context_data(self, form=None, **kwargs):
        term = term_or_404(self.actor)
        person = self.person()
        today = timezone.localdate()
        days = service_days(term, since=today)
        chosen = set(unavailability_visible_to(self.actor).filter(
            term=term, staff=person, date__gte=today).values_list("date", flat=True))
        if form is None:
            form = UnavailabilityForm(days=days,
                                      initial={"dates": [d.isoformat() for d in chosen]})
        rostered = set()
        roster = rosters_visible_to(self.actor).filter(term=term).first()
        if roster is not None:
            rostered = set(roster.assignments.filter(staff=person, date__gte=today)
                           .values_list("date", flat=True))
        months: dict[str, list] = {}
        selected = set(form["dates"].value() or [])
        for day in days:
            months.setdefault(f"{day.year}年{day.month}月", []).append({
                "date": day, "value": day.isoformat(), "label": day_label(day),
                "checked": day.isoformat() in selected, "on_duty": day in rostered})
        staff_choices = (staff_visible_to(self.actor).filter(is_active=True, is_external=False)
                         .order_by("name") if self.actor.has(*OFFICE) else None)
        return super().get_context_data(
            term=term, person=person, form=form, months=months, clash=sorted(chosen & rostered),
            staff_choices=staff_choices, is_self=person == self.actor.staff, **kwargs)

    def post(self, request):
        term = term_or_404(self.actor)
        person = self.person()
        days = service_days(term, since=timezone.localdate())
        form = UnavailabilityForm(request.POST, days=days)
        if form.is_valid():
            try:
                added, removed = unavailability_write(
                    actor=self.actor, term=term, staff=person,
                    dates=[dt.date.fromisoformat(v) for v in form.cleaned_data["dates"]],
                    reason=form.cleaned_data["reason"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已保存：新增 {added} 天，取消 {removed} 天。"
                                 "已排在这些日期的值日请申请调班。" if added else
                                 f"已保存：新增 {added} 天，取消 {removed} 天。")
                url = request.path + (f"?staff={person.pk}" if person != self.actor.staff else "")
                return redirect(url)
        return self.render_to_response(self.get_context_data(form=form), status=400)

