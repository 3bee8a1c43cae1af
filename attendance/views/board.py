"""The office's live board of today's lessons: roll call in or not, counts, late ones in red."""

from __future__ import annotations

from django.utils import timezone
from django.views.generic import TemplateView

from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.params import parse_id

from .. import policy as pol
from .. import selectors as sel
from ..access import lessons_visible_to

OFFICE = (Role.COORDINATOR, Role.PRINCIPAL)


class BoardView(ActorMixin, TemplateView):
    """The whole page; the table inside refreshes itself from :class:`BoardLiveView`."""

    allowed_roles = OFFICE
    template_name = "attendance/board.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        today = timezone.localdate(now)
        policy = pol.policy_for(self.actor.school.pk)
        lessons = list(sel.lessons_with_counts(
            lessons_visible_to(self.actor).filter(date=today, is_cancelled=False))
            .order_by("start_time", "title"))
        for lesson in lessons:
            lesson.state = pol.lesson_state(lesson, policy, now)
            lesson.state_label = pol.STATE_LABELS[lesson.state]
            lesson.overdue = lesson.roll_call_at is None and now > pol.due_by(lesson, policy)
        periods = sorted({lesson.start_time for lesson in lessons})
        wanted = parse_id(self.request.GET.get("p"))
        if wanted is not None and 0 < wanted <= len(periods):
            lessons = [x for x in lessons if x.start_time == periods[wanted - 1]]
        summary = {
            "lessons": len(lessons),
            "taken": sum(1 for x in lessons if x.roll_call_at),
            "overdue": sum(1 for x in lessons if x.overdue),
            "present": sum(x.n_present + x.n_late for x in lessons),
            "leave": sum(x.n_leave for x in lessons),
            "absent": sum(x.n_absent for x in lessons),
        }
        return super().get_context_data(today=today, now=now, lessons=lessons, summary=summary,
                                        periods=periods, period=wanted,
                                        grace=policy.roll_call_grace_minutes, **kwargs)


class BoardLiveView(BoardView):
    template_name = "attendance/_board_table.html"
