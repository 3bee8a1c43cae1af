"""After publishing: a withdrawal frees the child's seats; freed seats go to the unplaced."""

from __future__ import annotations

import random
from collections import defaultdict

from django.db import transaction

from afterschool.access import Actor
from enrollment.models import Application

from ..exceptions import FILL_ONLY_PUBLISHED, ArrangementError
from ..models import Arrangement, ArrangementChange, Placement
from ..selectors import active_placements, arrangement_sections
from ..solver.solution import rank_word
from .adjustment import check_fit
from .common import lock_run, log_change, notify_guardians, require_school

Status = Arrangement.Status


@transaction.atomic
def arrangement_release_withdrawn(*, application: Application) -> int:
    """A withdrawal frees the child's seats: ended from ``withdrawn_on`` in the published run,
    dropped from drafts. Called from the ``application_withdrawn`` receiver; safe twice."""
    application = Application.objects.select_related("student").get(pk=application.pk)
    if application.status != Application.Status.WITHDRAWN:
        return 0
    ended = 0
    runs = Arrangement.objects.select_for_update().filter(
        term_id=application.term_id, status__in=[Status.DRAFT, Status.PUBLISHED])
    for run in runs:
        placements = list(active_placements(run.placements.filter(application=application),
                                            application.withdrawn_on)
                          .select_related("section__course"))
        when = application.withdrawn_on
        for p in placements:
            if run.status == Status.PUBLISHED:
                p.ended_on = when
                p.save(update_fields=["ended_on"])
            else:
                p.delete()
            log_change(run, ArrangementChange.Kind.WITHDRAW, None, student=application.student,
                 section=p.section, from_text=str(p.section),
                 to_text=f"自{when:%Y-%m-%d}起退出" if when else "退出",
                 comment=application.withdraw_reason)
            ended += 1
        run.unplaced.filter(application=application).delete()
    return ended


def _lottery_order(seed: int, student_ids: list[int]) -> dict[int, int]:
    ids = sorted(student_ids)
    random.Random(seed).shuffle(ids)
    return {sid: i for i, sid in enumerate(ids)}


@transaction.atomic
def arrangement_fill_freed_seats(*, arrangement: Arrangement, actor: Actor,
                                 comment: str = "") -> list[Placement]:
    """Offer freed seats of the published run to its unplaced students, without a rerun.

    Deterministic: first everyone whose first choice has a seat that fits, then second
    choices, and so on; among those wanting the same rank, the run's seed lottery decides.
    The placed students' guardians are told.
    """
    require_school(actor, arrangement.term)
    arrangement = lock_run(arrangement)
    if arrangement.status != Status.PUBLISHED:
        raise ArrangementError(FILL_ONLY_PUBLISHED)
    sections = list(arrangement_sections(arrangement.term).select_for_update(of=("self",)))
    taken = defaultdict(int)
    for section_id in active_placements(arrangement.placements.all()).values_list(
            "section_id", flat=True):
        taken[section_id] += 1
    free = {s.pk: s.capacity - taken[s.pk] for s in sections}
    by_course = defaultdict(list)
    for s in sections:
        by_course[s.course_id].append(s)
    entries = list(arrangement.unplaced
                   .filter(application__status__in=[Application.Status.PLACED,
                                                    Application.Status.SCHOOL_APPROVED])
                   .select_related("student__homeroom__grade", "application__term")
                   .prefetch_related("application__preferences"))
    order = _lottery_order(arrangement.seed, [en.student_id for en in entries])
    entries.sort(key=lambda en: order[en.student_id])
    placed: list[Placement] = []
    done: set[int] = set()
    max_rank = max((p.rank for en in entries for p in en.application.preferences.all()),
                   default=0)
    for rank in range(1, max_rank + 1):
        for entry in entries:
            if entry.student_id in done:
                continue
            pref = next((p for p in entry.application.preferences.all() if p.rank == rank), None)
            if pref is None:
                continue
            for section in sorted(by_course.get(pref.course_id, []),
                                  key=lambda s: (-free[s.pk], s.pk)):
                if free[section.pk] <= 0:
                    continue
                try:
                    check_fit(arrangement, entry.application, section, confirm=False)
                except ArrangementError:
                    continue
                placement = Placement(
                    arrangement=arrangement, student=entry.student,
                    application=entry.application, course=section.course, section=section,
                    rank=rank, note=f"有同学退出后递补，已安排{rank_word(rank)}志愿"
                                    f"{section.course.name}")
                placement.full_clean()
                placement.save()
                free[section.pk] -= 1
                done.add(entry.student_id)
                placed.append(placement)
                log_change(arrangement, ArrangementChange.Kind.FILL, actor, student=entry.student,
                     section=section, from_text="未安排", to_text=str(section),
                     comment=comment or f"递补{rank_word(rank)}志愿")
                break
    arrangement.unplaced.filter(student_id__in=done).delete()
    if done:
        notify_guardians(arrangement, student_ids=done,
                          title="{student}已递补安排课后服务课程")
    return placed
