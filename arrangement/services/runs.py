"""A run's life: start it, compute it (a Celery task), fail it, publish it.

A run is computed by a task (:func:`arrangement_compute`), adjusted by hand while it is a draft
(``adjustment``), and published in one transaction (:func:`arrangement_publish`). Its status
moves only along ``arrangement.transitions``, through the core's shared state machine.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor
from afterschool.dispatch import publish_on_commit
from afterschool.models import Staff, Term
from afterschool.notifications import NoticeSpec, notices_send
from enrollment.models import Application
from enrollment.services import applications_place

from .. import solver
from ..exceptions import (
    ARRANGEMENT_NOT_READY,
    ARRANGEMENT_RUNNING,
    ArrangementError,
    InvalidArrangementTransition,
)
from ..exchange import explanations, term_instance
from ..models import Arrangement, Placement, UnplacedEntry
from ..selectors import arrangement_applications, arrangement_sections
from ..transitions import MACHINE
from .common import lock_run, notify_guardians, require_school
from .homework import homework_groups_build
from .pins import carried_copy, check_base, instance_pins, pinned_placements

logger = logging.getLogger(__name__)

Status = Arrangement.Status
MECHANISM_SOLVERS = {Arrangement.Mechanism.EXACT: solver.solve,
                     Arrangement.Mechanism.LOTTERY: solver.solve_serial_dictatorship}
# The computing task's limits (arrangement.tasks). A run whose heartbeat (``updated_at``) is
# older than the hard limit plus a minute lost its worker: the beat sweep marks it interrupted
# (``recovery.arrangements_sweep``) and a new run may start — one window for both.
COMPUTE_SOFT_LIMIT = 10 * 60
COMPUTE_TIME_LIMIT = COMPUTE_SOFT_LIMIT + 60
STALE_RUN = dt.timedelta(seconds=COMPUTE_TIME_LIMIT + 60)
# Runs of one computation (redeliveries after its worker died) before it fails with the reason.
MAX_ATTEMPTS = 3
TOO_MANY_ATTEMPTS = ("计算了 {n} 次都在中途中断（后台进程意外停止），已停止。"
                     "请重新开始统筹安排；如果再次中断，请联系管理员。")


def _transition(arrangement: Arrangement, to_status: str, *, actor: Actor | None,
                comment: str = "") -> Arrangement:
    """Move a locked run along ``arrangement.transitions``; publishing stamps who and when."""
    values = {}
    if to_status == Status.PUBLISHED and actor is not None:
        values = {"published_at": timezone.now(), "published_by": actor.user}
    MACHINE.transition(arrangement, to_status, actor=actor, comment=comment, values=values)
    return arrangement


@transaction.atomic
def arrangement_start(*, term: Term, actor: Actor, mechanism: str = Arrangement.Mechanism.EXACT,
                      seed: int | None = None, scope: str = Arrangement.Scope.FULL,
                      base: Arrangement | None = None,
                      pin_student_nos: Iterable[str] = ()) -> Arrangement:
    """A new draft run of the term, computed by a task after commit; never touches another.

    ``scope`` NEWCOMERS keeps every placement of the published run ``base`` and places only
    the students without one (approved since, or left unplaced); KEEP_HAND re-runs everyone
    but the students changed by hand in ``base`` and those of ``pin_student_nos`` (student
    numbers, also kept as they are in ``base``).
    """
    require_school(actor, term)
    Term.objects.select_for_update().filter(pk=term.pk).first()  # one new version at a time
    running = Arrangement.objects.filter(term=term, status=Status.DRAFT, finished_at__isnull=True,
                                         updated_at__gt=timezone.now() - STALE_RUN)
    if running.exists():
        raise ArrangementError(ARRANGEMENT_RUNNING)
    pinned = check_base(term=term, scope=scope, base=base, pin_student_nos=pin_student_nos)
    version = (Arrangement.objects.filter(term=term).aggregate(v=Max("version"))["v"] or 0) + 1
    arrangement = Arrangement(
        term=term, version=version, mechanism=mechanism,
        seed=secrets.randbelow(10**8) if seed is None else seed,
        scope=scope, base=base if scope != Arrangement.Scope.FULL else None,
        pinned_students=pinned,
        created_by=actor.user, progress="排队等待计算…")
    arrangement.full_clean()
    arrangement.save()

    from ..tasks import arrangement_compute_task  # the task module imports these services

    # If the broker is down the page shows the run queued and the beat sweep queues it later.
    publish_on_commit(arrangement_compute_task, arrangement.pk)
    return arrangement


def _progress(arrangement: Arrangement, text: str) -> None:
    # Committed at once, outside any transaction, so the polling page sees it; also the
    # heartbeat the sweep looks at.
    arrangement.progress = text
    Arrangement.objects.filter(pk=arrangement.pk).update(progress=text,
                                                         updated_at=timezone.now())


def _claim(arrangement: Arrangement, task_id: str) -> bool:
    """On a locked run: may this task compute it? A run nobody started, or this task's own
    (redelivered after its worker died), or one whose worker fell silent. Counts the attempt."""
    now = timezone.now()
    if (arrangement.started_at is not None and task_id != arrangement.task_id
            and arrangement.updated_at > now - STALE_RUN):
        return False  # another worker is computing it (the sweep queued it twice)
    arrangement.attempts += 1
    arrangement.task_id = task_id
    arrangement.started_at = arrangement.updated_at = now
    arrangement.progress = "正在读取意向书与教学班…"
    arrangement.save(update_fields=["attempts", "task_id", "started_at", "updated_at",
                                    "progress"])
    return True


def arrangement_compute(*, arrangement: Arrangement, task_id: str = "") -> Arrangement:
    """Place the run's students with the solver and group them for homework tutoring.

    Not one transaction on purpose: progress is committed as it goes, so the coordinator's
    page can show it; the result is written in one transaction at the end. Safe to run twice:
    a run that already finished is returned as it is. Data the solver refuses fails the run
    with the solver's message; anything else is the task's to record. A run redelivered more
    than ``MAX_ATTEMPTS`` times (it kills its worker every time) fails with the reason.
    """
    with transaction.atomic():
        arrangement = lock_run(arrangement)
        if arrangement.finished_at is not None or arrangement.status != Status.DRAFT:
            return arrangement
        if not _claim(arrangement, task_id):
            return arrangement
    if arrangement.attempts > MAX_ATTEMPTS:
        return arrangement_fail(arrangement=arrangement,
                                message=TOO_MANY_ATTEMPTS.format(n=arrangement.attempts - 1))
    term = arrangement.term
    applications = list(arrangement_applications(term))
    instance = term_instance(term, seed=arrangement.seed, applications=applications)
    section_ids = {s["id"] for c in instance["courses"] for s in c["sections"]}
    pins = pinned_placements(arrangement, {a.student_id for a in applications})
    instance["pinned"] = instance_pins(pins, section_ids)
    kept = {int(row["student"]) for row in instance["pinned"]}
    pins = {sid: ps for sid, ps in pins.items() if sid in kept}
    sections = len(section_ids)
    moving = len(applications) - len(pins)
    _progress(arrangement, f"正在分配：{moving} 名学生，{sections} 个教学班"
                           + (f"（{len(pins)} 名学生保持不变）…" if pins else "…"))
    try:
        parsed = solver.parse_instance(instance)
    except solver.InstanceError as exc:
        return arrangement_fail(arrangement=arrangement, message=f"数据有误，无法计算：{exc}")
    solution = MECHANISM_SOLVERS[arrangement.mechanism](parsed)
    _progress(arrangement, "正在编排作业辅导组与辅导教师…")
    placed_text, unplaced_text = explanations(parsed, solution)
    return _arrangement_store(arrangement=arrangement, applications=applications,
                              solution=solution.to_dict(), placed_text=placed_text,
                              unplaced_text=unplaced_text, pins=pins,
                              section_ids=[int(s) for s in section_ids])


@transaction.atomic
def arrangement_fail(*, arrangement: Arrangement, message: str) -> Arrangement:
    arrangement = lock_run(arrangement)
    if arrangement.status != Status.DRAFT:
        return arrangement
    arrangement.error = message
    arrangement.progress = "计算失败"
    arrangement.finished_at = timezone.now()
    arrangement.save(update_fields=["error", "progress", "finished_at"])
    return _transition(arrangement, Status.FAILED, actor=None, comment=message)


@transaction.atomic
def _arrangement_store(*, arrangement: Arrangement, applications: list[Application],
                       solution: dict, placed_text: dict, unplaced_text: dict,
                       pins: dict | None = None, section_ids=()) -> Arrangement:
    arrangement = lock_run(arrangement)
    if arrangement.finished_at is not None or arrangement.status != Status.DRAFT:
        return arrangement  # a second delivery of the task finished first
    arrangement.placements.all().delete()
    arrangement.unplaced.all().delete()
    arrangement.homework_groups.all().delete()
    app_of = {str(a.student_id): a for a in applications}
    rank_of = {(a.pk, p.course_id): p.rank for a in applications for p in a.preferences.all()}
    pins = pins or {}
    placements = [carried_copy(arrangement, p) for ps in pins.values() for p in ps]
    for row in solution["placements"]:
        if int(row["student"]) in pins:
            continue  # kept as it is in the base run, with its own note
        app = app_of[row["student"]]
        course_id = int(row["course"])
        placements.append(Placement(
            arrangement=arrangement, student_id=app.student_id, application=app,
            course_id=course_id, section_id=int(row["section"]),
            rank=rank_of.get((app.pk, course_id), row["rank"]),
            note=placed_text.get(row["student"], "")[:300]))
    Placement.objects.bulk_create(placements, batch_size=500)
    UnplacedEntry.objects.bulk_create([
        UnplacedEntry(arrangement=arrangement, student_id=app_of[row["student"]].student_id,
                      application=app_of[row["student"]],
                      reason=unplaced_text.get(row["student"], row["reason"])[:300])
        for row in solution["unplaced"]], batch_size=500)
    staffing_note = homework_groups_build(arrangement=arrangement, applications=applications)

    arrangement.sections.set(section_ids)
    stats = dict(solution.get("stats", {}))
    stats.setdefault("mechanism", arrangement.mechanism)
    stats["pinned"] = len(pins)
    stats["homework"] = staffing_note
    arrangement.stats = stats
    arrangement.finished_at = timezone.now()
    arrangement.progress = "已完成"
    arrangement.full_clean()
    arrangement.save(update_fields=["stats", "finished_at", "progress"])
    return arrangement


@transaction.atomic
def arrangement_publish(*, arrangement: Arrangement, actor: Actor) -> Arrangement:
    """Publish a computed draft: all of it, or nothing.

    The term's previously published run is superseded, the run's school-approved applications
    become ``placed`` (enrollment's service, without its generic notice), and each guardian is
    told their child's result with the reason, each tutor that their rosters are out.
    """
    require_school(actor, arrangement.term)
    arrangement = lock_run(arrangement)
    if not arrangement.is_editable:
        raise InvalidArrangementTransition(ARRANGEMENT_NOT_READY)
    for previous in (Arrangement.objects.select_for_update()
                     .filter(term=arrangement.term, status=Status.PUBLISHED)):
        _transition(previous, Status.SUPERSEDED, actor=None,
                    comment=f"已由第{arrangement.version}版替代")
    _transition(arrangement, Status.PUBLISHED, actor=actor)
    # The published run is a snapshot: a section created from now on is not part of it.
    arrangement.sections.set(arrangement_sections(arrangement.term))

    app_ids = set(arrangement.placements.values_list("application_id", flat=True))
    app_ids |= set(arrangement.unplaced.values_list("application_id", flat=True))
    approved = list(Application.objects.filter(pk__in=app_ids,
                                               status=Application.Status.SCHOOL_APPROVED)
                    .values_list("pk", flat=True))
    applications_place(application_ids=approved, actor=actor,
                       comment=f"统筹安排第{arrangement.version}版发布", notify=False)
    # What was really sent, for the page: "已通知 46 位家长（站内 46，短信 40 条发送中）".
    report = notify_guardians(arrangement, student_ids=None)
    tutors = _notify_tutors(arrangement)
    arrangement.notice_summary = f"{report.text('家长')}；已通知 {tutors} 位辅导教师"
    return arrangement


def _notify_tutors(arrangement: Arrangement) -> int:
    section_ids = set(arrangement.placements.values_list("section_id", flat=True))
    tutors = (Staff.objects.filter(sections__in=section_ids, user__isnull=False).distinct()
              .select_related("user"))
    url = reverse("arrangement:my_sections")
    report = notices_send(school=arrangement.term.school, specs=[NoticeSpec(
        user=tutor.user, title="课后服务教学班名单已发布", body="请查看您的教学班及学生名单。",
        url=url) for tutor in tutors])
    return report.people
