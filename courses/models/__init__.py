"""Models of the courses app, split by sub-domain: the catalog and the arrangement."""

from .arrangement import (
    Arrangement,
    ArrangementChange,
    HomeroomModePeriod,
    HomeworkGroup,
    HomeworkGroupMember,
    Placement,
    UnplacedEntry,
)
from .catalog import BUILTIN_CATEGORIES, Course, Section, SectionSlot

__all__ = [
    "BUILTIN_CATEGORIES",
    "Arrangement",
    "ArrangementChange",
    "Course",
    "HomeroomModePeriod",
    "HomeworkGroup",
    "HomeworkGroupMember",
    "Placement",
    "Section",
    "SectionSlot",
    "UnplacedEntry",
]
