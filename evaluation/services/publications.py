"""The monthly 公示: requested (by the beat on the 1st, a coordinator, the shell), then built.

A request is a :class:`~evaluation.models.PublicationJob` whose ``trigger`` is unique in its
school — "beat:2024-11" for the beat's, a fresh one for each person's or command's — so a
request delivered twice (a redelivered message, a second beat) finds itself.

:func:`publication_build` makes the version in one transaction: it reads the month's tables
(on PostgreSQL in one REPEATABLE READ snapshot, so the teachers' and the homerooms' numbers are
of the same instant), writes the workbook in memory, takes the school's lock (versions number
1, 2, 3 without gaps), and inserts the :class:`~evaluation.models.Publication` with its content
and its file, and marks the job done — all committed together or not at all. A worker killed
anywhere in between leaves no version and a job still "running"; the redelivered message
(``acks_late``) builds it again, once. The job's ``attempts`` count the runs, and a job that
keeps killing its worker ends failed with a reason instead of looping.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from afterschool.access import Actor
from afterschool.dispatch import publish_on_commit
from afterschool.models import Role, School, Term

from .. import exceptions as e
from ..display import month_label
from ..exports import publication_workbook
from ..models import Assessment, Publication, PublicationJob
from ..months import first_of, last_of, month_key, previous_month
from ..policy import workload_policy_for
from ..selectors import duties
from ..selectors.tables import attendance_tables, teacher_table, totals

logger = logging.getLogger(__name__)
J = PublicationJob.Status
# Runs of one job (first delivery and redeliveries) before it is given up as failing.
MAX_ATTEMPTS = 6
STEPS = ("读取教师课次", "统计班级与课程出勤", "汇总巡查与名单", "写入 Excel", "保存")


def progress_key(job_id: int) -> str:
    return f"evaluation:publication-job:{job_id}"


def _progress(job: PublicationJob, step: int) -> None:
    """What the progress page shows while the transaction is still open (nothing of it is
    visible in the database until it commits)."""
    try:
        cache.set(progress_key(job.pk), {"step": step, "of": len(STEPS), "label": STEPS[step]},
                  timeout=3600)
    except Exception:  # noqa: BLE001 — progress is a courtesy; the build does not depend on it
        logger.warning("could not record the progress of publication job %s", job.pk)


def progress_of(job: PublicationJob) -> dict | None:
    try:
        return cache.get(progress_key(job.pk))
    except Exception:  # noqa: BLE001
        return None


def _queue(job: PublicationJob) -> None:
    from ..tasks import publication_build_task

    def stamp():
        PublicationJob.objects.filter(pk=job.pk, queued_at__isnull=True).update(
            queued_at=timezone.now())

    publish_on_commit(publication_build_task, job.pk, on_published=stamp)


def _job(*, school: School, month: dt.date, trigger: str, user=None) -> tuple[PublicationJob, bool]:
    try:
        with transaction.atomic():
            job, created = PublicationJob.objects.get_or_create(
                school=school, trigger=trigger,
                defaults={"month": month, "requested_by": user})
    except IntegrityError:  # the same trigger, at the same moment, from another process
        job, created = PublicationJob.objects.get(school=school, trigger=trigger), False
    return job, created


@transaction.atomic
def publication_request(*, actor: Actor, school: School, month: dt.date) -> PublicationJob:
    """A coordinator asks for (another) version of a month; built by a worker after commit."""
    if not actor.has(Role.COORDINATOR) or actor.school is None or actor.school.pk != school.pk:
        raise e.EvaluationError(e.PUBLICATION_NOT_ALLOWED)
    month = first_of(month)
    if month > first_of(timezone.localdate()):
        raise e.EvaluationError(e.MONTH_NOT_STARTED.format(month=month_label(month)))
    job, _ = _job(school=school, month=month, trigger=f"manual:{uuid.uuid4().hex}",
                  user=actor.user)
    _queue(job)
    return job


def publications_monthly(*, today: dt.date | None = None) -> list[int]:
    """The beat's job on the 1st: last month's 公示 for every school whose terms ran in it.

    One request per school and month ("beat:YYYY-MM"): a second run of the beat, or this
    run redelivered, queues the same requests again and builds nothing new.
    """
    month = previous_month(today or timezone.localdate())
    first, last = month, last_of(month)
    schools = School.objects.filter(pk__in=Term.objects.filter(
        start_date__lte=last, end_date__gte=first).values("school_id")).order_by("pk")
    queued = []
    for school in schools:
        job, _ = _job(school=school, month=month, trigger=f"beat:{month_key(month)}")
        if job.status in (J.QUEUED, J.RUNNING):
            with transaction.atomic():
                _queue(job)
            queued.append(job.pk)
    return queued


def publication_jobs_sweep(*, now: dt.datetime | None = None,
                           stale_after: dt.timedelta = dt.timedelta(minutes=2)) -> list[int]:
    """Queue again the requests that never reached the broker (queued long ago, or never)."""
    now = now or timezone.now()
    jobs = list(PublicationJob.objects.filter(status=J.QUEUED, created_at__lt=now - stale_after)
                .filter(queued_at__isnull=True).values_list("pk", flat=True)[:100])
    jobs += list(PublicationJob.objects.filter(status=J.QUEUED,
                                               queued_at__lt=now - stale_after * 5)
                 .values_list("pk", flat=True)[:100])
    for pk in dict.fromkeys(jobs):
        with transaction.atomic():
            _queue(PublicationJob(pk=pk))
    return list(dict.fromkeys(jobs))


def _start(job_id: int) -> PublicationJob | None:
    """Claim the job for this run (autocommit): count the attempt, or give it up."""
    with transaction.atomic():
        job = (PublicationJob.objects.select_for_update(of=("self",)).select_related("school")
               .filter(pk=job_id).first())
        if job is None or job.status in (J.DONE, J.FAILED):
            return job
        job.attempts += 1
        if job.attempts > MAX_ATTEMPTS:
            job.status, job.finished_at = J.FAILED, timezone.now()
            job.error = e.PUBLICATION_BUILD_FAILED.format(
                reason=f"已尝试 {MAX_ATTEMPTS} 次，每次都在生成中途中断")[:300]
            job.save(update_fields=["status", "finished_at", "error", "attempts"])
            return job
        job.status, job.started_at = J.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at", "attempts"])
        return job


def publication_build(*, job_id: int) -> Publication | None:
    """Build the job's version (see the module doc); the existing one if it was built."""
    job = _start(job_id)
    if job is None:
        return None
    if job.status == J.DONE:
        return Publication.objects.filter(job=job).first()
    if job.status == J.FAILED:
        return None
    for attempt in range(3):
        try:
            return _build(job)
        except IntegrityError:
            # Another delivery of this job committed first: its version is the one. Or a
            # build of another request for the same month took the next number while this
            # one read an older snapshot: read again.
            existing = Publication.objects.filter(job=job).first()
            if existing is not None:
                return existing
            if attempt == 2:
                raise
    return None


def _snapshot() -> None:
    """One snapshot for every read of the build (PostgreSQL; SQLite's transactions are
    serialised already). Only possible as the transaction's first statement."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _build(job: PublicationJob) -> Publication:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            _snapshot()
        school, month = job.school, job.month
        content = month_content(school, month, on_step=lambda step: _progress(job, step))
        _progress(job, 3)
        workbook = publication_workbook(content)
        _progress(job, 4)
        # The school's row is the lock of its versions: two builds of one month number
        # themselves one after the other.
        School.objects.select_for_update().filter(pk=school.pk).first()
        current = (Publication.objects.filter(school=school, month=month)
                   .aggregate(v=Max("version"))["v"] or 0)
        now = timezone.now()
        publication = Publication(school=school, month=month, version=current + 1, job=job,
                                  built_at=now, content=content, workbook=workbook)
        publication.full_clean(exclude=["job"])
        publication.save()
        PublicationJob.objects.filter(pk=job.pk).update(status=J.DONE, finished_at=now,
                                                        error="")
    return publication


def publication_give_up(*, job_id: int, reason: str) -> None:
    """After the last retry: the job says why, on a fresh connection."""
    PublicationJob.objects.filter(pk=job_id).exclude(status=J.DONE).update(
        status=J.FAILED, finished_at=timezone.now(),
        error=e.PUBLICATION_BUILD_FAILED.format(reason=reason)[:300])


def month_content(school: School, month: dt.date, *, on_step=None) -> dict:
    """The month's tables, as the page, the .xlsx and ``publish_month --json`` show them."""
    step = on_step or (lambda n: None)
    first, last = first_of(month), last_of(month)
    policy = workload_policy_for(school)
    step(0)
    teachers = teacher_table(school, first, last, policy)
    step(1)
    homerooms, courses = attendance_tables(school.pk, first, last)
    step(2)
    content = {
        "school": school.code, "school_name": school.name, "month": month_key(month),
        "teachers": teachers, "homerooms": homerooms, "courses": courses,
        "totals": totals(homerooms),
        "weights": {kind: float(policy.weight_of(kind)) for kind in
                    ("course", "homework", "homeroom", "fixed", "reading", "duty", "patrol")},
        "patrols": duties.patrol_summary(school.pk, first, last),
    }
    content.update(_lists(school, month))
    return content


def _lists(school: School, month: dt.date) -> dict:
    """The month's commendation and follow-up lists, once the principal confirmed them."""
    assessment = (Assessment.objects.filter(school=school, period=Assessment.Period.MONTH,
                                            start_date=month,
                                            status=Assessment.Status.CONFIRMED).first())
    if assessment is None:
        return {"lists_confirmed": False, "commendations": [], "follow_ups": []}
    entries = (assessment.entries.exclude(listed="").select_related("staff")
               .order_by("-score", "staff__name"))
    lists = {"commend": [], "follow_up": []}
    for entry in entries:
        lists[entry.listed].append({"name": entry.staff.name,
                                    "score": float(entry.score) if entry.score is not None
                                    else None})
    return {"lists_confirmed": True,
            "lists_confirmed_at": timezone.localtime(assessment.confirmed_at).isoformat(),
            "commendations": lists["commend"], "follow_ups": lists["follow_up"]}


def publication_json(publication: Publication) -> dict:
    """The shape ``publish_month --json`` prints (the content, with the version's number)."""
    content = dict(publication.content)
    return {"school": content.get("school"), "month": content.get("month"),
            "version": publication.version,
            "built_at": timezone.localtime(publication.built_at).isoformat(),
            **{k: v for k, v in content.items() if k not in ("school", "month")}}
