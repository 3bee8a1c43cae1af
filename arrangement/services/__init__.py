"""Writes of the arrangement, one module per sub-domain; the public services are named here.

``runs`` (start, compute, fail, publish), ``homework`` (homework tutoring groups and their
tutors), ``adjustment`` (changing a draft by hand), ``freed_seats`` (withdrawals and filling the
seats they free), ``homeroom_mode`` (按班级开展 ranges); ``common`` holds what they share.
"""

from .adjustment import (
    placement_create,
    placement_move,
    placement_remove,
    placement_swap,
    section_change_tutor,
)
from .freed_seats import arrangement_fill_freed_seats, arrangement_release_withdrawn
from .homeroom_mode import homeroom_mode_end, homeroom_mode_start
from .runs import (
    arrangement_compute,
    arrangement_fail,
    arrangement_publish,
    arrangement_start,
)

__all__ = [
    "arrangement_compute",
    "arrangement_fail",
    "arrangement_fill_freed_seats",
    "arrangement_publish",
    "arrangement_release_withdrawn",
    "arrangement_start",
    "homeroom_mode_end",
    "homeroom_mode_start",
    "placement_create",
    "placement_move",
    "placement_remove",
    "placement_swap",
    "section_change_tutor",
]
