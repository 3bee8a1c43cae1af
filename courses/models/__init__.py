"""Models of the courses app, split by sub-domain: the catalog and the arrangement."""

from .arrangement import *  # noqa: F403
from .catalog import BUILTIN_CATEGORIES, Course, Section, SectionSlot

__all__ = ["BUILTIN_CATEGORIES", "Course", "Section", "SectionSlot"]
