"""Home-page panels: what each person does next about the intention forms."""

from __future__ import annotations

from afterschool.access import Actor, own_children
from afterschool.models import Role
from afterschool.selectors import school_homerooms_counted, term_of

from . import selectors
from .access import reviewable_students
from .models import Application

Status = Application.Status


def _window(term) -> dict:
    from .exceptions import WindowClosed
    from .services import window_check

    try:
        window_check(term)
    except WindowClosed as exc:
        return {"window_open": False, "window_message": exc.message}
    return {"window_open": True, "window_message": ""}


def guardian_panel(actor: Actor) -> dict | None:
    """Each child: the form's state and the next step (填写意向书 / 查看进度 / 重新签署…)."""
    if not actor.has(Role.GUARDIAN):
        return None
    term = term_of(actor)
    if term is None:
        return None
    children = selectors.children_forms(children=own_children(actor), term=term)
    if not children:
        return None
    return {"template": "enrollment/_panel_guardian.html", "order": 10, "term": term,
            "children": children, **_window(term)}


def reviewer_panel(actor: Actor) -> dict | None:
    """班主任: "待审核 N 份" for their homeroom, and how many have not answered yet."""
    if not actor.has(Role.HOMEROOM_TEACHER):
        return None
    term = term_of(actor)
    if term is None:
        return None
    students = reviewable_students(actor).filter(homeroom__head_teacher=actor.staff)
    counts = selectors.review_counts(students=students, term=term)
    return {"template": "enrollment/_panel_reviewer.html", "order": 20, "term": term,
            "pending": counts.get("submitted", 0), "unanswered": counts.get("unanswered", 0),
            "total": counts.get("all", 0)}


def office_panel(actor: Actor) -> dict | None:
    """课后服务办公室: "待复核 N 份"; both the office and the principal: the statistics."""
    if not actor.is_school_wide:
        return None
    term = term_of(actor)
    if term is None:
        return None
    # The school's statistics hold the office's two numbers too (the forms waiting for the
    # homeroom teacher and for the school): two queries for the whole panel.
    stats = selectors.participation_statistics(
        homerooms=school_homerooms_counted(actor), term=term, with_totals=True)
    return {"template": "enrollment/_panel_office.html", "order": 15, "term": term,
            "to_recheck": stats.total.class_approved, "pending": stats.total.pending,
            "total": stats.total, "unfinished": len(stats.unfinished),
            "is_coordinator": actor.is_coordinator}
