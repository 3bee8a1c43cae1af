"""Home-page panels of the catalog, registered in ``CoursesConfig.ready``."""

from __future__ import annotations

from afterschool.access import Actor, own_children
from afterschool.models import Role
from afterschool.selectors import term_of

from .selectors import catalog_summary


def guardian_panel(actor: Actor):
    """浏览课程目录: one link per grade among the guardian's children."""
    if not actor.has(Role.GUARDIAN):
        return None
    links = {}
    for child in own_children(actor):
        links.setdefault(child.homeroom.grade_id, {"grade": child.homeroom.grade,
                                                   "student": child, "names": []})
        links[child.homeroom.grade_id]["names"].append(child.name)
    if not links:
        return None
    return {"template": "courses/catalog/_panel_guardian.html", "order": 12,
            "links": list(links.values())}


def office_panel(actor: Actor):
    """The catalog's counts for the office, with the way to the catalog and to staffing."""
    if not actor.is_school_wide:
        return None
    term = term_of(actor)
    summary = catalog_summary(actor.school, term) if term else None
    return {"template": "courses/catalog/_panel_office.html", "order": 25, "term": term,
            "summary": summary}
