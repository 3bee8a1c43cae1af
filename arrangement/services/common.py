"""What the arrangement's services share: the school check, the run lock, the change log, and
telling the guardians their child's result."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.urls import reverse

from afterschool.access import Actor, require
from afterschool.models import Role, StudentGuardian, Term
from afterschool.notifications import NoticeReport, NoticeSpec, notices_send

from ..exceptions import ARRANGEMENT_OTHER_SCHOOL, ArrangementError
from ..models import Arrangement, ArrangementChange
from ..selectors import active_placements


def require_school(actor: Actor, term: Term) -> None:
    require(actor, Role.COORDINATOR)
    if actor.school is None or term.school_id != actor.school.pk:
        raise ArrangementError(ARRANGEMENT_OTHER_SCHOOL)


def lock_run(arrangement: Arrangement) -> Arrangement:
    return Arrangement.objects.select_for_update().select_related("term").get(pk=arrangement.pk)


def log_change(arrangement, kind, actor, *, student=None, section=None, from_text="", to_text="",
               comment=""):
    change = ArrangementChange(arrangement=arrangement, kind=kind,
                               actor=actor.user if actor is not None else None,
                               student=student, section=section, from_text=from_text[:200],
                               to_text=to_text[:200], comment=comment)
    change.full_clean()
    change.save()
    return change


def _explanations(arrangement: Arrangement, student_ids: Iterable[int] | None) -> dict[int, str]:
    placements = arrangement.placements.select_related("course")
    unplaced = arrangement.unplaced.all()
    if student_ids is not None:
        placements = placements.filter(student_id__in=student_ids)
        unplaced = unplaced.filter(student_id__in=student_ids)
    text: dict[int, list[str]] = defaultdict(list)
    for p in active_placements(placements):
        text[p.student_id].append(p.note or f"已安排{p.course.name}")
    for u in unplaced:
        text[u.student_id].append(u.reason)
    return {sid: next(iter(dict.fromkeys(lines))) for sid, lines in text.items()}


def notify_guardians(arrangement: Arrangement, *, student_ids: Iterable[int] | None,
                     title: str = "{student}的课后服务安排已发布") -> NoticeReport:
    """Each guardian with a login is told their child's result, in-app and by SMS: a constant
    number of queries (bulk inserts, one sending task per batch) however many families."""
    explanations = _explanations(arrangement, student_ids)
    mechanism = arrangement.get_mechanism_display()
    # Only what a notice needs (the child's name, the login's id, phone and e-mail): at a
    # school's size, building whole rows costs more than the inserts.
    links = (StudentGuardian.objects
             .filter(student_id__in=list(explanations), guardian__user__isnull=False)
             .select_related("guardian__user", "student")
             .only("student_id", "student__name", "guardian__email", "guardian__user__phone",
                   "guardian__user__email").order_by("pk"))
    url = reverse("arrangement:my_schedule")
    return notices_send(school=arrangement.term.school, specs=[NoticeSpec(
        user=link.guardian.user, title=title.format(student=link.student.name)[:100],
        body=f"{explanations[link.student_id]}。（分配方式：{mechanism}）", url=url,
        email=link.guardian.email, sms=True) for link in links])
