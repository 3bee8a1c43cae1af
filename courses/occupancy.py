"""Who and what is already taken at a weekly slot outside the catalog's own sections.

The catalog refuses a tutor or a venue in two places at once, but some of those places belong
to apps above it: the arrangement's homework groups (作业辅导组) hold a teacher and a classroom
at the homework period. The catalog never imports them, so such an app registers a provider in
its ``AppConfig.ready`` (as enrollment registers its demand, :mod:`courses.demand`); the
catalog's clash checks and its staffing proposal read every provider's answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from afterschool import formatting


@dataclass(frozen=True)
class Occupied:
    """Something that meets at ``(weekday, period)`` with this tutor and in this venue."""

    weekday: int
    period_id: int
    period_number: int
    # What it is, as a coordinator reads it: 作业辅导「七年级1班」（第2版）.
    label: str
    tutor_id: int | None = None
    venue: str = ""

    @property
    def slot_label(self) -> str:
        return formatting.slot_label(self.weekday, self.period_number)


# A provider answers for one term: ``provider(term)`` → what it holds, at any slot.
Provider = Callable[[object], Iterable[Occupied]]

_providers: list[Provider] = []


def register_occupancy(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def occupied(term) -> list[Occupied]:
    return [item for provider in _providers for item in provider(term)]
