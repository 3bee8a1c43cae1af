"""The catalog's 作业辅导 entry, told its real meetings by the app that forms the groups.

Homework tutoring is a fixed item with no sections of its own: the arrangement forms homework
groups (by homeroom, each in a named room) when it places the children. The catalog sits below
the arrangement and never imports it, so the arrangement registers a provider in its
``AppConfig.ready`` (as enrollment registers its demand, :mod:`courses.demand`); until groups
exist, or without a provider, the entry says when the groups will be formed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from afterschool import formatting

HOMEWORK_CATEGORY = "作业辅导"


@dataclass(frozen=True)
class HomeworkGroups:
    """The homework groups of a term (of one grade, when asked): when and where they meet."""

    weekdays: tuple[int, ...]
    period_number: int | None
    start_time: object = None
    end_time: object = None
    # Groups of the week: the same children in the same room every day.
    groups: int = 0
    rooms: tuple[str, ...] = ()
    children: int = 0
    # Which arrangement they come from: "第2版统筹安排" or "第3版草稿".
    source: str = ""

    @property
    def weekdays_text(self) -> str:
        return formatting.weekdays_text(self.weekdays)

    @property
    def rooms_text(self) -> str:
        """At most four rooms by name, then how many more."""
        shown = "、".join(self.rooms[:4])
        return shown + (f" 等 {len(self.rooms)} 处" if len(self.rooms) > 4 else "")


# ``provider(term, grade=None, drafts=False)``: the groups of the published arrangement (with
# ``drafts``, else of the newest computed draft), or None when there are none.
Provider = Callable[..., HomeworkGroups | None]

_provider: Provider | None = None


def register_homework_groups(provider: Provider) -> None:
    global _provider
    _provider = provider


def is_homework(course) -> bool:
    return course.is_fixed and course.category == HOMEWORK_CATEGORY


def homework_groups(term, *, grade=None, drafts: bool = False) -> HomeworkGroups | None:
    if _provider is None or term is None:
        return None
    return _provider(term, grade=grade, drafts=drafts)


def attach_homework_groups(courses, term, *, grade=None, drafts: bool = False) -> None:
    """Mark the 作业辅导 entries among ``courses`` (``is_homework_entry``) and give them
    ``homework_groups`` (None until groups exist): one ask, whatever the number of entries."""
    entries = {c.pk for c in courses if is_homework(c)}
    summary = homework_groups(term, grade=grade, drafts=drafts) if entries else None
    for course in courses:
        course.is_homework_entry = course.pk in entries
        course.homework_groups = summary if course.pk in entries else None
