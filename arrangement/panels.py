"""Home-page panels of the arrangement, registered in ``ArrangementConfig.ready``."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from afterschool.access import Actor, own_children
from afterschool.models import Role
from afterschool.selectors import term_of
from courses.models import SectionSlot

from . import selectors
from .access import TUTORS, arrangements_visible_to, placements_visible_to


def published_of(actor: Actor):
    """The published run of the actor's current term, looked up once per request."""
    term = term_of(actor)
    if term is None:
        return None

    def published():
        run = selectors.published_arrangement(term)
        if run is not None:
            run.term = term  # the panels read run.term: the same row, already here
        return run

    return actor.remember(("published_arrangement", term.pk), published)


def coordinator_panel(actor: Actor):
    """The office: the latest run of the term and the published one."""
    if not actor.is_school_wide:
        return None
    term = term_of(actor)
    run = published = None
    if term is not None:
        run, published = selectors.latest_and_published(arrangements_visible_to(actor), term)
        # The other panels ask for the published run too: it is known now.
        actor.remember(("published_arrangement", term.pk), lambda: published)
    return {"template": "arrangement/_panel_office.html", "order": 30, "term": term,
            "run": run, "published": published}


def guardian_panel(actor: Actor):
    """A guardian: each child's seats in the published run, or why a child has none."""
    if not actor.has(Role.GUARDIAN):
        return None
    run = published_of(actor)
    if run is None:
        return None
    children = own_children(actor)
    # What the panel shows (child, course, section, its times) in two queries: not the
    # tutors and applications placements_detailed() adds for the office's pages.
    placements = list(selectors.active_placements(
        placements_visible_to(actor).filter(arrangement=run, student__in=children))
        .select_related("student", "course", "section")
        .prefetch_related(Prefetch("section__slots",
                                   queryset=SectionSlot.objects.select_related("period"))))
    # A child the run could not place is told so, with the reason: never left out silently.
    # Looked for only when some child has no seat (most families: every child has one).
    seated = {p.student_id for p in placements}
    unseated = [child for child in children if child.pk not in seated]
    unplaced = (list(run.unplaced.filter(student__in=unseated).select_related("student"))
                if unseated else [])
    return {"template": "arrangement/_panel_guardian.html", "order": 20, "run": run,
            "placements": placements, "unplaced": unplaced, "children": children}


def tutor_panel(actor: Actor):
    """A tutor: their sections and homework groups in the published run."""
    if not actor.has(*TUTORS) or actor.staff is None:
        return None
    run = published_of(actor)
    if run is None:
        return None
    # The panel shows each section's times and head count, each group's day, name and size:
    # counted here in three queries, where tutor_sections() and tutor_homework_groups() read
    # every child, the tutors, grades and homerooms for the roster pages (nine).
    sections = list(selectors.arrangement_sections(run.term).filter(tutors=actor.staff)
                    .prefetch_related(None)
                    .prefetch_related(Prefetch(
                        "slots", queryset=SectionSlot.objects.select_related("period")))
                    .annotate(roster_size=Count(
                        "placements", filter=Q(placements__arrangement=run)
                        & (Q(placements__ended_on__isnull=True)
                           | Q(placements__ended_on__gt=timezone.localdate())))))
    groups = list(run.homework_groups.filter(tutor=actor.staff)
                  .annotate(size=Count("members")).order_by("weekday", "name"))
    if not sections and not groups:
        return None
    return {"template": "arrangement/_panel_tutor.html", "order": 25, "run": run,
            "sections": sections, "groups": groups}
