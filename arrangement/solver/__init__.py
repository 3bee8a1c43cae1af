"""The arrangement solver (统筹安排): places students into course sections from their preferences.

Pure Python with OR-Tools, no Django import; it reads and writes the exchange format of
``tests/arrangement/data/FORMAT.md`` (a copy of the exchange format). See :mod:`.exact` and
:mod:`.network` for the method.
"""

from .exact import solve
from .greedy import solve_first_come, solve_serial_dictatorship
from .instance import (
    FORMAT,
    Course,
    Instance,
    InstanceError,
    Section,
    Student,
    instance_to_dict,
    parse_instance,
)
from .solution import (
    Placement,
    Solution,
    Unplaced,
    check_feasible,
    explain,
    solution_from_dict,
)

__all__ = [
    "FORMAT",
    "Course",
    "Instance",
    "InstanceError",
    "Placement",
    "Section",
    "Solution",
    "Student",
    "Unplaced",
    "check_feasible",
    "explain",
    "instance_to_dict",
    "parse_instance",
    "solution_from_dict",
    "solve",
    "solve_first_come",
    "solve_serial_dictatorship",
]
