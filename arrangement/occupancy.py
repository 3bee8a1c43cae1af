"""What the catalog is told of the homework groups, through its registries.

:func:`homework_occupancy` (``courses.occupancy``): a section may not be given a teacher or a
venue a homework group has at the homework period. The groups that count are those families
may meet: the published run's, and those of computed drafts newer than it (each may be
published next); an older draft no longer can be and holds nothing.

:func:`homework_groups_summary` (``courses.homework``): the 作业辅导 entry's real times, groups
and rooms instead of an entry without sections.
"""

from __future__ import annotations

from django.db.models import Count

from courses.homework import HomeworkGroups
from courses.occupancy import Occupied

from .models import Arrangement, HomeworkGroup, HomeworkGroupMember
from .selectors.runs import homework_period


def homework_occupancy(term) -> list[Occupied]:
    period = homework_period(term)
    if period is None:
        return []
    runs = Arrangement.objects.filter(term=term).exclude(status=Arrangement.Status.FAILED)
    published = runs.filter(status=Arrangement.Status.PUBLISHED).values_list(
        "version", flat=True).first()
    live = runs.filter(status=Arrangement.Status.DRAFT, finished_at__isnull=False)
    if published is not None:
        live = live.filter(version__gt=published) | runs.filter(
            status=Arrangement.Status.PUBLISHED)
    groups = (HomeworkGroup.objects.filter(arrangement__in=live)
              .values_list("weekday", "name", "tutor_id", "room", "arrangement__version",
                           "arrangement__status"))
    return [Occupied(weekday=weekday, period_id=period.pk, period_number=period.number,
                     label=f"作业辅导「{name}」（第{version}版{_status_word(status)}）",
                     tutor_id=tutor_id, venue=room or "")
            for weekday, name, tutor_id, room, version, status in groups]


def _status_word(status: str) -> str:
    return "" if status == Arrangement.Status.PUBLISHED else "草稿"


def homework_groups_summary(term, *, grade=None, drafts: bool = False) -> HomeworkGroups | None:
    """The published run's homework groups (of ``grade`` if given); with ``drafts`` and
    nothing published, the newest computed draft's. None when there are none."""
    runs = Arrangement.objects.filter(term=term)
    run = runs.filter(status=Arrangement.Status.PUBLISHED).first()
    if run is None and drafts:
        run = (runs.filter(status=Arrangement.Status.DRAFT, finished_at__isnull=False)
               .order_by("-version").first())
    if run is None:
        return None
    groups = run.homework_groups.all()
    if grade is not None:
        groups = groups.filter(homerooms__grade=grade).distinct()
    rows = list(groups.values("weekday", "name", "room").annotate(size=Count("members")))
    if not rows:
        return None
    children = (HomeworkGroupMember.objects.filter(group__in=groups.values("pk"))
                .values("student_id").distinct().count())
    period = homework_period(term)
    source = (f"第{run.version}版统筹安排" if run.status == Arrangement.Status.PUBLISHED
              else f"第{run.version}版草稿")
    return HomeworkGroups(
        weekdays=tuple(sorted({r["weekday"] for r in rows})),
        period_number=period.number if period else None,
        start_time=period.start_time if period else None,
        end_time=period.end_time if period else None,
        # A week group has one name (and one room) on every day.
        groups=len({r["name"] for r in rows}),
        rooms=tuple(sorted({r["room"] for r in rows if r["room"]})),
        children=children, source=source)
