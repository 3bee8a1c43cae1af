"""Roster import: the student (with guardians) and staff lists a school already keeps in Excel.

An upload goes through three steps, each its own module so tests and the command can use
them alone:

1. :mod:`.reading` — :func:`read_workbook` finds the header row (not always the first: a merged
   title row above it is common) and maps headers to fields by name and synonym, in any column
   order (the columns and their synonyms are in :mod:`.columns`).
2. :mod:`.validation` — ``validate_*`` turns every row into clean values or :class:`RowError` s
   (:mod:`.errors`) — row number as Excel shows it, header as written in the file, reason in
   Chinese — and checks across rows (a 学籍号 twice, one phone with two names). Nothing here
   writes.
3. :mod:`.writing` — ``_write_*`` writes a file that passed, all at once in one transaction,
   with a handful of bulk queries whatever the size of the file. Importing the same file again
   changes nothing.

:func:`roster_import` (:mod:`.importing`) runs the three; :func:`import_job_create` and
:func:`import_job_run` (:mod:`.jobs`) are the upload page's path through Celery, with progress
on an :class:`ImportJob`. :mod:`.labels` writes grades, homerooms and weekdays the way the import
reads them back, for the exports.

Bounds, so one file cannot exhaust the server: at most ``settings.ROSTER_MAX_ROWS`` data rows
(fewer, ``ROSTER_INLINE_MAX_ROWS``, when no worker runs and the import happens inside the
request), counted while streaming so a larger file is refused without being read whole; and
only the first :data:`MAX_LISTED_ERRORS` errors are kept, with the total. The uploaded file is
private (``afterschool.storage``) and deleted when its job ends, or after
``IMPORT_FILE_RETENTION_HOURS`` by :func:`import_job_files_purge`.
"""

from .columns import (
    COLUMNS,
    EXAMPLE_STAFF,
    EXAMPLE_STUDENT,
    STAFF,
    STAFF_COLUMNS,
    STUDENT_COLUMNS,
    STUDENTS,
    SUMMARY_KEYS,
    SUMMARY_LABELS,
    Column,
)
from .errors import (
    EMPTY_FILE,
    ERRORS_NOT_LISTED,
    EXAMPLE_ROW,
    MAX_LISTED_ERRORS,
    NO_HEADER,
    TOO_MANY_ROWS,
    TOO_MANY_ROWS_INLINE,
    UNEXPECTED_ERROR,
    UNREADABLE_FILE,
    ErrorLog,
    RowError,
)
from .importing import ImportResult, new_entities, preview_lines, roster_import
from .jobs import (
    import_job_cancel,
    import_job_confirm,
    import_job_create,
    import_job_files_purge,
    import_job_run,
)
from .labels import grade_label, grade_name, homeroom_label, summary_items
from .reading import HEADER_SEARCH_ROWS, Sheet, normalize_header, read_workbook
from .validation import (
    PROGRESS_EVERY,
    GuardianEntry,
    Progress,
    StaffRow,
    StudentRow,
    validate_staff,
    validate_students,
)

__all__ = [
    "COLUMNS", "EMPTY_FILE", "ERRORS_NOT_LISTED", "EXAMPLE_ROW", "EXAMPLE_STAFF",
    "EXAMPLE_STUDENT", "HEADER_SEARCH_ROWS", "MAX_LISTED_ERRORS", "NO_HEADER", "PROGRESS_EVERY",
    "STAFF", "STAFF_COLUMNS", "STUDENTS", "STUDENT_COLUMNS", "SUMMARY_KEYS", "SUMMARY_LABELS",
    "TOO_MANY_ROWS", "TOO_MANY_ROWS_INLINE", "UNEXPECTED_ERROR", "UNREADABLE_FILE", "Column",
    "ErrorLog", "GuardianEntry", "ImportResult", "Progress", "RowError", "Sheet", "StaffRow",
    "StudentRow", "grade_label", "grade_name", "homeroom_label", "import_job_create",
    "import_job_cancel", "import_job_confirm", "import_job_files_purge", "import_job_run",
    "new_entities", "preview_lines", "normalize_header", "read_workbook",
    "roster_import", "summary_items", "validate_staff", "validate_students",
]
