"""Domain errors of attendance; messages are constants so tests import rather than retype.

A message with ``{placeholders}`` is filled in by the raising service (``.format(...)``).
"""

from afterschool.exceptions import DomainError


class AttendanceError(DomainError):
    """A rule of attendance (课次、点名、校历) was broken."""

    message = "考勤操作失败。"
