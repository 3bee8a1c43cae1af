"""The assessment (考核): the school's scheme over the measured indicators, per teacher, per
month or term; commendation (表彰) and follow-up (通报) lists proposed from the thresholds and
confirmed by the principal.

:func:`assessment_compute` scores every teacher with a lesson due in the period and proposes
the lists; computing again (the scheme changed, a correction came in) replaces the scores while
the principal has not confirmed. :func:`assessment_confirm` is the principal's: the lists as
they stand after their changes, and the month's 公示 shows them from then on.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Role, School, Term

from .. import exceptions as e
from ..display import month_label
from ..models import Assessment, AssessmentEntry
from ..months import first_of, last_of
from ..policy import assessment_scheme_for, scheme_snapshot, workload_policy_for
from ..selectors.assessment import scores
from ..selectors.ledger import staff_counts
from ..transitions import ASSESSMENT_MACHINE

A = Assessment.Status
LISTING = AssessmentEntry.Listing


def _require(actor: Actor, school: School) -> None:
    if not actor.has(Role.COORDINATOR, Role.PRINCIPAL) or actor.school is None \
            or actor.school.pk != school.pk:
        raise e.EvaluationError(e.ASSESSMENT_NOT_ALLOWED)


def period_of(*, period: str, month: dt.date | None = None,
              term: Term | None = None) -> tuple[dt.date, dt.date, str]:
    if period == Assessment.Period.MONTH:
        first = first_of(month)
        return first, last_of(first), month_label(first)
    if term is None:
        raise e.EvaluationError(e.ASSESSMENT_TERM_REQUIRED, field="term")
    return term.start_date, term.end_date, term.name


def proposal(score: Decimal | None, scheduled: int, scheme: dict) -> str:
    if score is None or scheduled < scheme["min_lessons"]:
        return LISTING.NONE
    if score >= Decimal(scheme["commend_min_score"]):
        return LISTING.COMMEND
    if score < Decimal(scheme["follow_up_below_score"]):
        return LISTING.FOLLOW_UP
    return LISTING.NONE


def _limit_commendations(proposed: dict, scores: dict, limit: int) -> None:
    """Keep the ``limit`` best of those past the commendation line (all tied at the last
    place stay: a tie is not decided by a name)."""
    passing = sorted((scores[pk] for pk, p in proposed.items() if p == LISTING.COMMEND),
                     reverse=True)
    if len(passing) <= limit:
        return
    cut = passing[limit - 1]
    for pk, p in proposed.items():
        if p == LISTING.COMMEND and scores[pk] < cut:
            proposed[pk] = LISTING.NONE


@transaction.atomic
def assessment_compute(*, actor: Actor, school: School, period: str,
                       month: dt.date | None = None, term: Term | None = None,
                       now: dt.datetime | None = None) -> Assessment:
    """Score the period's teachers and propose the lists (again, while not confirmed)."""
    _require(actor, school)
    now = now or timezone.now()
    if term is not None and term.school_id != school.pk:
        raise e.EvaluationError(e.ASSESSMENT_TERM_REQUIRED, field="term")
    first, last, label = period_of(period=period, month=month, term=term)
    today = timezone.localdate(now)
    if first >= today:
        raise e.EvaluationError(e.MONTH_NOT_STARTED.format(month=label))
    until = min(last, today - dt.timedelta(days=1))
    scheme = scheme_snapshot(assessment_scheme_for(school))
    assessment = (Assessment.objects.select_for_update()
                  .filter(school=school, period=period, start_date=first).first())
    if assessment is not None and assessment.status == A.CONFIRMED:
        raise e.EvaluationError(e.ASSESSMENT_CONFIRMED.format(label=assessment.label))
    counts = staff_counts(school, first, until, workload_policy_for(school))
    rows = scores(school, counts, first, until, scheme)
    if assessment is None:
        assessment = Assessment(school=school, period=period, term=term, start_date=first,
                                end_date=last, measured_until=until, label=label,
                                scheme=scheme, computed_at=now)
        assessment.full_clean()
        assessment.save()
    else:
        ASSESSMENT_MACHINE.transition(
            assessment, A.PROPOSED, actor=actor, at=now, comment="按最新记录和考核办法重新计算",
            values={"scheme": scheme, "computed_at": now, "measured_until": until,
                    "revision": assessment.revision + 1})
        assessment.entries.all().delete()
    proposed = {row.staff_id: proposal(row.score, row.scheduled, scheme) for row in rows}
    _limit_commendations(proposed, {row.staff_id: row.score for row in rows},
                         scheme.get("commend_limit", 5))
    entries = []
    for row in rows:
        score = row.score
        suggested = proposed[row.staff_id]
        entries.append(AssessmentEntry(
            assessment=assessment, staff_id=row.staff_id, score=score,
            breakdown=[i.as_dict() for i in row.indicators], lessons_scheduled=row.scheduled,
            proposed=suggested, listed=suggested))
    AssessmentEntry.objects.bulk_create(entries)
    return assessment


@transaction.atomic
def assessment_confirm(*, actor: Actor, assessment: Assessment, commend_ids, follow_up_ids,
                       revision: int | None = None,
                       now: dt.datetime | None = None) -> Assessment:
    """The principal confirms the two lists (as proposed, or changed)."""
    now = now or timezone.now()
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if revision is not None and revision != assessment.revision:
        raise e.EvaluationError(e.ASSESSMENT_STALE)
    commend, follow_up = {int(x) for x in commend_ids}, {int(x) for x in follow_up_ids}
    entries = {x.staff_id: x for x in assessment.entries.all()}
    by_pk = {x.pk: x for x in entries.values()}
    for pk in commend | follow_up:
        if pk not in by_pk:
            raise e.EvaluationError(e.ASSESSMENT_LIST_UNKNOWN.format(staff=pk))
    both = commend & follow_up
    if both:
        raise e.EvaluationError(e.ASSESSMENT_LIST_UNKNOWN.format(staff=min(both)))
    changed = []
    for entry in entries.values():
        listed = (LISTING.COMMEND if entry.pk in commend
                  else LISTING.FOLLOW_UP if entry.pk in follow_up else LISTING.NONE)
        if entry.listed != listed:
            entry.listed = listed
            changed.append(entry)
    AssessmentEntry.objects.bulk_update(changed, ["listed"])
    n_commend, n_follow = len(commend), len(follow_up)
    ASSESSMENT_MACHINE.transition(
        assessment, A.CONFIRMED, actor=actor, at=now,
        comment=f"表彰 {n_commend} 人，通报 {n_follow} 人"
        + (f"（调整了 {len(changed)} 人）" if changed else ""),
        in_scope=lambda role: actor.school is not None
        and actor.school.pk == assessment.school_id,
        values={"confirmed_at": now, "confirmed_by": actor.user,
                "revision": assessment.revision + 1})
    return assessment


@transaction.atomic
def assessment_reopen(*, actor: Actor, assessment: Assessment, comment: str,
                      now: dt.datetime | None = None) -> Assessment:
    now = now or timezone.now()
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    ASSESSMENT_MACHINE.transition(
        assessment, A.PROPOSED, actor=actor, at=now, comment=comment,
        in_scope=lambda role: actor.school is not None
        and actor.school.pk == assessment.school_id,
        values={"confirmed_at": None, "confirmed_by": None,
                "revision": assessment.revision + 1})
    return assessment
