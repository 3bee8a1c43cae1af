"""The homework groups' hold on teachers and rooms, for the catalog's clash checks.

Registered with :func:`courses.occupancy.register_occupancy`: a section may not be given a
teacher or a venue a homework group has at the homework period. The groups that count are
those families may meet: the published run's, and those of computed drafts newer than it
(each may be published next); an older draft no longer can be and holds nothing.
"""

from __future__ import annotations

from courses.occupancy import Occupied

from .models import Arrangement, HomeworkGroup
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
