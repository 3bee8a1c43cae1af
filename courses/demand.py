"""How much families want each course, told by the app that records their choices.

The catalog sits below enrollment and never imports it, yet the office's course list shows how
many children ranked each course, and a course somebody ranked may be closed but not deleted or
made a fixed item. Enrollment owns the choices, so it registers a :class:`Demand` in its
``AppConfig.ready``, as the apps above register home panels with the core. Without one (the
catalog on its own) nobody has chosen anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import IntegerField, Value


@dataclass(frozen=True)
class Demand:
    # Annotations for a Course queryset: ``preference_count`` (any rank) and
    # ``first_choice_count``, counting the forms still in the running.
    annotations: Callable[[], dict]
    # How many choices name this course, in any form (what deleting it would destroy).
    chosen: Callable[[object], int]


_demand: Demand | None = None


def register_demand(demand: Demand) -> None:
    global _demand
    _demand = demand


def demand_annotations() -> dict:
    if _demand is None:
        return {name: Value(0, output_field=IntegerField())
                for name in ("preference_count", "first_choice_count")}
    return _demand.annotations()


def times_chosen(course) -> int:
    return _demand.chosen(course) if _demand is not None else 0
