"""Patrols (巡查) on a phone: choose today's lesson (by venue), record what was seen; the day's
patrols and summary; a patrol's page and its photo; the month per teacher."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from afterschool.exceptions import DomainError
from afterschool.forms import add_domain_error
from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.params import date_param, month_param, text_param
from attendance.policy import starts_at

from .. import selectors as sel
from ..access import is_leader, may_patrol, patrol_lessons, patrols_visible_to
from ..display import PRESENCE_TONE, summary_text
from ..forms import PatrolForm
from ..services import patrol_record, responsible_staff
from .roster import StaffGate

LEADERS = (Role.COORDINATOR, Role.PRINCIPAL)


def _lesson_order(lesson, now):
    """In progress first, then the next to start, then those ended (latest first)."""
    start = starts_at(lesson)
    end = timezone.make_aware(dt.datetime.combine(lesson.date, lesson.end_time))
    if start <= now <= end:
        return (0, start)
    if now < start:
        return (1, start)
    return (2, -end.timestamp())


class PatrolStartView(ActorMixin, StaffGate, TemplateView):
    """记录巡查, step 1: today's lessons, narrowed to a venue (the one remembered from the
    last patrol is preselected)."""

    template_name = "safety/patrol_new.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        if not may_patrol(self.actor, today):
            raise PermissionDenied("今天不是您值日：巡查由当天的值日教师、值日领导和学校领导记录。")
        now = timezone.now()
        lessons = list(patrol_lessons(self.actor, today)
                       .annotate(n_patrols=Count("patrols", distinct=True),
                                 n_expected=Count("records", distinct=True))
                       .prefetch_related("tutors"))
        venues = sorted({x.venue for x in lessons if x.venue})
        venue = text_param(self.request.GET.get("venue"), 100)
        if "venue" not in self.request.GET:
            venue = self.request.session.get("safety_venue", "")
        if venue and venue not in venues:
            venue = ""
        shown = [x for x in lessons if not venue or x.venue == venue]
        shown.sort(key=lambda x: _lesson_order(x, now))
        for lesson in shown:
            lesson.now = _lesson_order(lesson, now)[0] == 0
        return super().get_context_data(today=today, venues=venues, venue=venue, lessons=shown,
                                        total=len(lessons), **kwargs)


class PatrolFormView(ActorMixin, StaffGate, TemplateView):
    """记录巡查, step 2: one lesson — the tutor, the head count, the activity, a photo."""

    template_name = "safety/patrol_form.html"

    def lesson(self):
        today = timezone.localdate()
        if not may_patrol(self.actor, today):
            raise PermissionDenied("今天不是您值日：巡查由当天的值日教师、值日领导和学校领导记录。")
        return get_object_or_404(patrol_lessons(self.actor, today).prefetch_related("tutors"),
                                 pk=self.kwargs["lesson"])

    def get_context_data(self, form=None, current=None, **kwargs):
        # (``lesson`` in kwargs is the URL's id; ``current`` the row a POST already fetched.)
        kwargs.pop("lesson", None)
        lesson = current or self.lesson()
        teachers = responsible_staff(lesson)
        records = lesson.records.values_list("status", flat=True)
        statuses = list(records)
        taken = lesson.roll_call_at is not None
        in_room = sum(1 for s in statuses if s in ("present", "late")) if taken else None
        return super().get_context_data(
            lesson=lesson, form=form or PatrolForm(teachers=teachers), teachers=teachers,
            expected=len(statuses), in_room=in_room, taken=taken,
            leave=sum(1 for s in statuses if s == "leave"), **kwargs)

    def post(self, request, lesson):
        lesson = self.lesson()
        teachers = responsible_staff(lesson)
        form = PatrolForm(request.POST, request.FILES, teachers=teachers)
        if form.is_valid():
            data = form.cleaned_data
            teacher = next((t for t in teachers if t.pk == data["teacher"]), None)
            try:
                report = patrol_record(
                    actor=self.actor, lesson=lesson, presence=data["presence"],
                    activity=data["activity"], teacher=teacher, head_count=data["head_count"],
                    other_issue=data["other_issue"], notes=data["notes"], photo=data["photo"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if lesson.venue:
                    request.session["safety_venue"] = lesson.venue
                if report.has_finding:
                    messages.warning(request, f"已记录巡查：{lesson.title}，发现问题："
                                     f"{'；'.join(report.finding_labels())}。已通知课后服务办公室整改。")
                else:
                    messages.success(request, f"已记录巡查：{lesson.title}，情况正常。")
                return redirect("safety:patrol_new")
        return self.render_to_response(self.get_context_data(current=lesson, form=form),
                                       status=400)


class PatrolListView(ActorMixin, StaffGate, TemplateView):
    """A day's patrols ("今日巡查 12 次，发现问题 1 个") — the school's for the leaders and the
    duty teachers, one's own and those about one's lessons for the others."""

    template_name = "safety/patrols.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        day = date_param(self.request.GET.get("date"), today)
        visible = patrols_visible_to(self.actor).filter(date=day)
        patrols = list(sel.patrols_listed(visible))
        for p in patrols:
            p.findings = p.finding_labels()
            p.tone = PRESENCE_TONE[p.presence]
        summary = sel.patrol_summary(self.actor.school, day) if is_leader(self.actor) else {
            "patrols": len(patrols), "findings": sum(1 for p in patrols if p.has_finding)}
        word = "今日" if day == today else f"{day.month}月{day.day}日"
        return super().get_context_data(
            day=day, today=today, patrols=patrols, summary=summary,
            summary_text=summary_text(summary, day_word=word),
            prev_day=day - dt.timedelta(days=1),
            next_day=day + dt.timedelta(days=1) if day < today else None,
            may_patrol=day == today and may_patrol(self.actor, today), **kwargs)


class PatrolDetailView(ActorMixin, StaffGate, TemplateView):
    template_name = "safety/patrol_detail.html"

    def get_context_data(self, **kwargs):
        patrol = get_object_or_404(sel.patrols_listed(patrols_visible_to(self.actor)),
                                   pk=self.kwargs["pk"])
        patrol.findings = patrol.finding_labels()
        follow_up = getattr(patrol, "follow_up", None) if patrol.has_finding else None
        return super().get_context_data(patrol=patrol, follow_up=follow_up, **kwargs)


class PatrolPhotoView(ActorMixin, StaffGate, View):
    """The photo, to those who may see the patrol; never a public URL (private storage)."""

    def get(self, request, pk):
        patrol = get_object_or_404(patrols_visible_to(self.actor), pk=pk)
        if not patrol.photo:
            raise Http404("这条巡查没有照片。")
        try:
            handle = patrol.photo.open("rb")
        except FileNotFoundError as exc:
            raise Http404("照片文件已不存在。") from exc
        response = FileResponse(handle, content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class MonthSummaryView(ActorMixin, TemplateView):
    """Per teacher over a month: duties, patrols recorded, findings by kind, open follow-ups;
    and the month's days of patrols. For the office and the principal."""

    allowed_roles = LEADERS
    template_name = "safety/summary.html"

    def get_context_data(self, **kwargs):
        first = (month_param(self.request.GET.get("month"))
                 or timezone.localdate().replace(day=1))
        last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        school = self.actor.school
        total = sel.patrol_summary(school, first, last)
        prev_month = (first - dt.timedelta(days=1)).replace(day=1)
        next_month = last + dt.timedelta(days=1)
        return super().get_context_data(
            first=first, last=last, rows=sel.teacher_month(school, first, last),
            days=sel.patrol_summary_by_day(school, first, last), total=total,
            prev_month=prev_month,
            next_month=next_month if next_month <= timezone.localdate() else None, **kwargs)
