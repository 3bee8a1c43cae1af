"""Home-page panels of the arrangement, registered in ``ArrangementConfig.ready``."""

from __future__ import annotations

from afterschool.access import Actor, children_of
from afterschool.models import Role
from afterschool.selectors import current_term

from . import selectors as sel
from .access import TUTORS, arrangements_visible_to, placements_visible_to


def coordinator_panel(actor: Actor):
    """The office: the latest run of the term and the published one."""
    if not actor.is_school_wide:
        return None
    term = current_term(actor.school)
    run = sel.latest_arrangement(arrangements_visible_to(actor), term)
    published = sel.published_arrangement(term) if term else None
    return {"template": "arrangement/_panel_office.html", "order": 30, "term": term,
            "run": run, "published": published}


def guardian_panel(actor: Actor):
    """A guardian: each child's seats in the published run, or why a child has none."""
    if not actor.has(Role.GUARDIAN):
        return None
    term = current_term(actor.school)
    run = sel.published_arrangement(term) if term else None
    if run is None:
        return None
    children = list(children_of(actor))
    placements = list(sel.placements_detailed(sel.active_placements(
        placements_visible_to(actor).filter(arrangement=run, student__in=children))))
    # A child the run could not place is told so, with the reason: never left out silently.
    unplaced = list(run.unplaced.filter(student__in=children).select_related("student"))
    return {"template": "arrangement/_panel_guardian.html", "order": 20, "run": run,
            "placements": placements, "unplaced": unplaced, "children": children}


def tutor_panel(actor: Actor):
    """A tutor: their sections and homework groups in the published run."""
    if not actor.has(*TUTORS) or actor.staff is None:
        return None
    term = current_term(actor.school)
    run = sel.published_arrangement(term) if term else None
    sections = sel.tutor_sections(run, actor.staff)
    groups = sel.tutor_homework_groups(run, actor.staff)
    if not sections and not groups:
        return None
    return {"template": "arrangement/_panel_tutor.html", "order": 25, "run": run,
            "sections": sections, "groups": groups}
