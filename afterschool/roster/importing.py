"""The import service: read, validate, and write only if every row passed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied

from ..access import Actor, require
from ..models import Grade, Homeroom, Role, School
from .columns import COLUMNS, STUDENTS, Column
from .errors import TOO_MANY_ROWS, RowError
from .labels import grade_name
from .reading import Sheet, read_workbook
from .validation import Progress, validate_staff, validate_students
from .writing import _write_staff, _write_students


@dataclass
class ImportResult:
    kind: str
    summary: dict = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)  # the first MAX_LISTED_ERRORS
    total_rows: int = 0
    notes: list[str] = field(default_factory=list)
    error_count: int = 0  # all of them, listed or not
    # Entities the file would create that the school does not have yet (a 班级 "23班" in a
    # 22-class grade is more often a typo than a new class): nothing is written until the
    # coordinator confirms. {"grades": [name, …], "homerooms": [[label, students], …]}
    preview: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.preview) and not self.errors and not self.summary

    @property
    def errors_not_listed(self) -> int:
        return max(self.error_count - len(self.errors), 0)


def roster_import(*, school: School, path_or_file, kind: str = STUDENTS, actor: Actor | None = None,
                  progress: Progress | None = None, max_rows: int | None = None,
                  too_many_rows: str = TOO_MANY_ROWS,
                  create_homerooms: bool = False) -> ImportResult:
    """Validate a whole roster file; if every row passes, write it in one transaction.

    With any error nothing is written; ``result.errors`` lists the first
    :data:`MAX_LISTED_ERRORS` of them and ``result.error_count`` counts them all.
    ``progress(done, total)`` is called every :data:`PROGRESS_EVERY` rows while validating,
    outside the write transaction so that another connection can see it. A file of more than
    ``max_rows`` data rows (default ``settings.ROSTER_MAX_ROWS``) is refused with
    ``too_many_rows`` before it is read further.

    A student file that names grades or homerooms the school does not have writes nothing
    unless ``create_homerooms``: ``result.preview`` lists them (``result.needs_confirmation``)
    so that a person confirms them first.
    """
    if actor is not None:
        require(actor, Role.COORDINATOR)
        if actor.school != school:
            raise PermissionDenied("您没有权限导入其他学校的名册。")
    if kind not in COLUMNS:
        raise ValueError(f"unknown roster kind {kind!r}")
    columns = COLUMNS[kind]
    if max_rows is None:
        max_rows = settings.ROSTER_MAX_ROWS
    sheets, errors = read_workbook(path_or_file, columns, max_rows=max_rows,
                                   too_many_rows=too_many_rows)
    result = ImportResult(kind=kind, total_rows=sum(len(s.rows) for s in sheets))
    if sheets:
        result.notes = _notes(sheets, columns)
    if errors:
        result.errors, result.error_count = errors, len(errors)
        return result
    if progress:
        progress(0, result.total_rows)
    if kind == STUDENTS:
        rows, log = validate_students(sheets, progress)
    else:
        homerooms = {(g, n) for g, n in Homeroom.objects.filter(school=school)
                     .values_list("grade__number", "number")}
        rows, log = validate_staff(sheets, homerooms, progress)
    del sheets  # the raw cells are no longer needed while writing
    result.errors, result.error_count = log.listed, log.count
    if not log and kind == STUDENTS and not create_homerooms:
        result.preview = new_entities(school, rows)
        if result.preview:
            return result
    if not log:
        writer = _write_students if kind == STUDENTS else _write_staff
        result.summary = writer(school=school, rows=rows)
    return result


def new_entities(school: School, rows) -> dict:
    """The grades and homerooms these student rows name that the school does not have."""
    grades = dict(Grade.objects.filter(school=school).values_list("number", "name"))
    existing = set(Homeroom.objects.filter(school=school)
                   .values_list("grade__number", "number"))
    counts = Counter((r.grade, r.homeroom) for r in rows if (r.grade, r.homeroom) not in existing)
    if not counts:
        return {}
    new_grades = sorted({g for g, _ in counts} - grades.keys())
    return {
        "grades": [grade_name(g) for g in new_grades],
        "homerooms": [[f"{grades.get(g) or grade_name(g)}{n}班", count]
                      for (g, n), count in sorted(counts.items())],
    }


def preview_lines(preview: dict) -> list[str]:
    """"将新增班级：七年级23班（1 名学生）" and the like, for the page and the command line."""
    lines = []
    if preview.get("grades"):
        lines.append(f"将新增年级：{'、'.join(preview['grades'])}")
    if preview.get("homerooms"):
        lines.append("将新增班级：" + "、".join(f"{label}（{count} 名学生）"
                                          for label, count in preview["homerooms"]))
    return lines


def _notes(sheets: list[Sheet], columns: tuple[Column, ...]) -> list[str]:
    """What a person should know about how the file was read (columns it did not use)."""
    notes = []
    for sheet in sheets:
        prefix = f"「{sheet.label}」表：" if sheet.label else ""
        if sheet.header_row > 1:
            notes.append(f"{prefix}表头在第 {sheet.header_row} 行。")
        missing = [c.label for c in columns
                   if not c.required and c.key != "grade" and c.key not in sheet.columns]
        if missing:
            notes.append(f"{prefix}文件中没有这些列，对应信息保持不变：{'、'.join(missing)}。")
    return notes
