"""Retention: what a term collected about families is cleared once the term has been over for
the school's retention time (:class:`privacy.models.RetentionPolicy`).

For each school, the terms whose end date is more than ``retention_days`` ago are expired, and
``boundary`` is the latest such end date. Then:

- applications of expired terms lose their health notes, allergies and emergency phone;
- their pickup persons (授权接送人) are deleted;
- one-day pickup persons and pickup codes dated on or before the boundary are deleted;
- dismissals and duty handovers dated on or before the boundary lose the receiver's name
  (a pick-up keeps the word “（已删除）”, which its constraint needs), relation and phone;
- roster import files uploaded on or before the boundary are deleted, and their error lists
  (which quote the rows: names and phones) cleared.

What the 公示 and the statistics count (statuses, dates, attendance) stays. Each step selects
only rows not yet cleared, so a second run changes nothing and counts zero (idempotent);
``dry_run`` counts the same rows without touching them.

The logs have their own retention, ``ACCESS_LOG_RETENTION_DAYS`` (the Cybersecurity Law's six
months by default): the access log of children's details is deleted by the core's
:func:`afterschool.audit.sensitive_access_purge`, and the families' download records here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from afterschool.audit import sensitive_access_purge
from afterschool.models import ImportJob, School, Term
from attendance.models import Dismissal, DutyHandover, PickupChange, PickupCode
from enrollment.models import Application, PickupPerson

from .anonymise import ERASED
from .models import RETENTION_DEFAULT_DAYS, DataExport, RetentionPolicy

logger = logging.getLogger(__name__)

# The report's lines, in order.
LABELS = {
    "applications": "意向书（健康情况、过敏史、紧急联系电话）",
    "pickup_persons": "授权接送人",
    "pickup_changes": "当日接送人",
    "pickup_codes": "接送码",
    "dismissals": "放学交接接收人",
    "duty_handovers": "移交值日教师的来接人",
    "import_files": "名册导入文件",
}


@dataclass(frozen=True)
class Expiry:
    school: School
    retention_days: int
    boundary: dt.date          # the latest end date of an expired term
    term_ids: tuple[int, ...]


def expiries(*, today: dt.date) -> list[Expiry]:
    """Each school with an expired term: its retention and what expired."""
    days = dict(RetentionPolicy.objects.values_list("school_id", "retention_days"))
    found = []
    for school in School.objects.order_by("pk"):
        keep = days.get(school.pk, RETENTION_DEFAULT_DAYS)
        cutoff = today - dt.timedelta(days=keep)
        terms = Term.objects.filter(school=school, end_date__lt=cutoff)
        boundary = terms.aggregate(last=Max("end_date"))["last"]
        if boundary is not None:
            found.append(Expiry(school=school, retention_days=keep, boundary=boundary,
                                term_ids=tuple(terms.values_list("pk", flat=True))))
    return found


def _targets(expiry: Expiry) -> dict:
    """The rows each step would change, not yet cleared."""
    school, boundary = expiry.school, expiry.boundary
    applications = Application.objects.filter(term_id__in=expiry.term_ids)
    return {
        "applications": applications.filter(
            ~Q(health_notes="") | ~Q(allergies="") | ~Q(contact_phone="")),
        "pickup_persons": PickupPerson.objects.filter(application__in=applications),
        "pickup_changes": PickupChange.objects.filter(student__school=school,
                                                      date__lte=boundary),
        "pickup_codes": PickupCode.objects.filter(school=school, date__lte=boundary),
        "dismissals": Dismissal.objects.filter(school=school, date__lte=boundary).filter(
            (~Q(to_name="") & ~Q(to_name=ERASED)) | ~Q(to_relation="") | ~Q(to_phone="")),
        "duty_handovers": DutyHandover.objects.filter(school=school, date__lte=boundary).filter(
            (~Q(person_name="") & ~Q(person_name=ERASED)) | ~Q(person_relation="")
            | ~Q(person_phone="")),
        "import_files": ImportJob.objects.filter(
            school=school, created_at__lt=_day_after(boundary)).exclude(
            status__in=[ImportJob.Status.PENDING, ImportJob.Status.RUNNING]).filter(
            ~Q(file="") | ~Q(errors=[])),
    }


def _day_after(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def _delete_file(job: ImportJob) -> None:
    name = job.file.name
    if not name:
        return
    try:
        job.file.storage.delete(name)
        if default_storage.exists(name):
            default_storage.delete(name)
    except OSError:  # the next run tries again: the row still names the file
        logger.warning("could not delete the file of roster import job %s", job.pk,
                       exc_info=True)
        raise


@transaction.atomic
def _clear(expiry: Expiry) -> Counter:
    done: Counter = Counter()
    targets = _targets(expiry)
    done["applications"] = targets["applications"].update(
        health_notes="", allergies="", contact_phone="")
    done["pickup_persons"] = targets["pickup_persons"].delete()[0]
    done["pickup_changes"] = targets["pickup_changes"].delete()[0]
    # Dismissals point at their code (SET_NULL): the handover itself stays.
    done["pickup_codes"] = targets["pickup_codes"].delete()[0]
    dismissals = list(targets["dismissals"].values_list("pk", flat=True))
    Dismissal.objects.filter(pk__in=dismissals).update(to_relation="", to_phone="")
    Dismissal.objects.filter(pk__in=dismissals, method=Dismissal.Method.PICKED_UP).update(
        to_name=ERASED)
    Dismissal.objects.filter(pk__in=dismissals).exclude(
        method=Dismissal.Method.PICKED_UP).update(to_name="")
    done["dismissals"] = len(dismissals)
    handovers = list(targets["duty_handovers"].values_list("pk", flat=True))
    DutyHandover.objects.filter(pk__in=handovers).update(person_relation="", person_phone="")
    DutyHandover.objects.filter(pk__in=handovers, reason=DutyHandover.Reason.UNLISTED).update(
        person_name=ERASED)
    DutyHandover.objects.filter(pk__in=handovers).exclude(
        reason=DutyHandover.Reason.UNLISTED).update(person_name="")
    done["duty_handovers"] = len(handovers)
    jobs = list(targets["import_files"].only("pk", "file"))
    for job in jobs:
        _delete_file(job)
    ImportJob.objects.filter(pk__in=[j.pk for j in jobs]).update(file="", errors=[])
    done["import_files"] = len(jobs)
    return done


@dataclass
class PurgeReport:
    """What one run cleared (or, dry, would clear): per school and in total."""

    dry_run: bool
    schools: list[tuple[Expiry, Counter]]
    access_log: int = 0
    downloads: int = 0

    @property
    def totals(self) -> Counter:
        total: Counter = Counter()
        for _, counts in self.schools:
            total.update(counts)
        return total


def purge_expired(*, today: dt.date | None = None, dry_run: bool = False) -> PurgeReport:
    """Clear (or count, ``dry_run``) every school's expired personal details. Safe to run
    twice: the second run finds nothing left."""
    now = timezone.now() if today is None else timezone.make_aware(
        dt.datetime.combine(today, timezone.localtime().time()))
    today = today or timezone.localdate()
    report = PurgeReport(dry_run=dry_run, schools=[])
    for expiry in expiries(today=today):
        if dry_run:
            counts = Counter({key: qs.count() for key, qs in _targets(expiry).items()})
        else:
            counts = _clear(expiry)
        report.schools.append((expiry, counts))
    report.access_log = sensitive_access_purge(now=now, dry_run=dry_run)
    old = DataExport.objects.filter(
        at__lt=now - dt.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS))
    report.downloads = old.count() if dry_run else old.delete()[0]
    return report
