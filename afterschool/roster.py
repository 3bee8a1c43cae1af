"""Roster import: the student (with guardians) and staff lists a school already keeps in Excel.

An upload goes through three steps, each its own function so tests and the command can use
them alone:

1. :func:`read_workbook` finds the header row (not always the first: a merged title row above it
   is common) and maps headers to fields by name and synonym, in any column order.
2. ``validate_*`` turns every row into clean values or :class:`RowError` s — row number as
   Excel shows it, header as written in the file, reason in Chinese — and checks across rows
   (a 学籍号 twice, one phone with two names). Nothing here writes.
3. ``_write_*`` writes a file that passed, all at once in one transaction, with a handful of
   bulk queries whatever the size of the file. Importing the same file again changes nothing.

:func:`roster_import` runs the three; :func:`import_job_create` and :func:`import_job_run` are
the upload page's path through Celery, with progress on an :class:`ImportJob`.

Bounds, so one file cannot exhaust the server: at most ``settings.ROSTER_MAX_ROWS`` data rows
(fewer, ``ROSTER_INLINE_MAX_ROWS``, when no worker runs and the import happens inside the
request), counted while streaming so a larger file is refused without being read whole; and
only the first :data:`MAX_LISTED_ERRORS` errors are kept, with the total. The uploaded file is
private (``afterschool.storage``) and deleted when its job ends, or after
``IMPORT_FILE_RETENTION_HOURS`` by :func:`import_job_files_purge`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from openpyxl.utils.exceptions import InvalidFileException

from .access import Actor, require
from .cleaning import (
    clean_code,
    clean_name,
    clean_phone,
    clean_text,
    compact,
    parse_gender,
    parse_grade,
    parse_homeroom_label,
    parse_weekdays,
    parse_yes_no,
)
from .models import (
    WEEKDAY_LABELS,
    Grade,
    Guardian,
    Homeroom,
    ImportJob,
    Role,
    School,
    Staff,
    Student,
    StudentGuardian,
)
from .xlsx import open_streaming

logger = logging.getLogger(__name__)

STUDENTS = ImportJob.Kind.STUDENTS.value
STAFF = ImportJob.Kind.STAFF.value

HEADER_SEARCH_ROWS = 10
PROGRESS_EVERY = 250
# A job keeps, and the page shows, this many errors; the rest are only counted.
MAX_LISTED_ERRORS = 200

Progress = Callable[[int, int], None]

UNREADABLE_FILE = ("无法读取该文件。请上传 Excel 2007 及以上版本的 .xlsx 文件；"
                   "如果是 .xls 或 WPS 文件，请先“另存为” .xlsx 格式。")
EMPTY_FILE = "文件中没有找到任何数据行。"
UNEXPECTED_ERROR = "导入时发生意外错误，没有写入任何数据。请稍后重试；如仍失败，请联系系统管理员。"
EXAMPLE_ROW = "这是模板中的示例行，请删除后再导入。"
# {found} is "有 M 行" when the file says how many rows it has, else "超过 N 行".
TOO_MANY_ROWS = "名册最多 {limit} 行，本文件{found}。请把文件分成几个不超过 {limit} 行的文件分别导入。"
TOO_MANY_ROWS_INLINE = ("系统现在没有运行后台任务进程，名册在网页上直接导入，一次最多 {limit} 行，本文件{found}。"
                        "请把文件分成几个不超过 {limit} 行的文件分别导入，"
                        "或请系统管理员启动后台任务进程（worker）后重新上传。")
NO_HEADER = ("没有找到表头：前 {rows} 行中没有一行写着名册需要的列名。需要的列：{expected}"
             "（其他可识别的列名见导入页）。文件中最像表头的是{where}：{found}。")
ERRORS_NOT_LISTED = "另有 {count} 处错误未列出（只列出前 {listed} 处）。"


# ------------------------------------------------------------------ errors and columns

@dataclass(frozen=True)
class RowError:
    """One problem with one cell (or a whole row, or the file when ``row`` is ``None``)."""

    row: int | None
    column: str
    message: str
    sheet: str = ""  # set only when the workbook has several sheets with data

    def as_dict(self) -> dict:
        data = {"row": self.row, "column": self.column, "message": self.message}
        if self.sheet:
            data["sheet"] = self.sheet
        return data

    def describe(self) -> str:
        where = [f"「{self.sheet}」表"] if self.sheet else []
        if self.row:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"「{self.column}」列")
        return f"{''.join(where)}：{self.message}" if where else self.message


class ErrorLog:
    """Counts every error and keeps the first ``limit``.

    A file of 300,000 bad rows must not become 300,000 messages in the job and on the page;
    validation still goes on to the end, so the total is right.
    """

    def __init__(self, limit: int = MAX_LISTED_ERRORS):
        self.limit = limit
        self.listed: list[RowError] = []
        self.count = 0

    def append(self, error: RowError) -> None:
        self.count += 1
        if len(self.listed) < self.limit:
            self.listed.append(error)

    def __bool__(self) -> bool:
        return self.count > 0


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the header the template and the export write
    synonyms: tuple[str, ...] = ()
    required: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.label, *self.synonyms)


STUDENT_COLUMNS = (
    Column("student_no", "学籍号", ("学号", "学生学籍号", "全国学籍号", "学籍编号"), required=True),
    Column("name", "姓名", ("学生姓名",), required=True),
    Column("gender", "性别", ("学生性别",)),
    Column("grade", "年级", ("所在年级",)),
    Column("homeroom", "班级", ("班别", "所在班级", "班级名称"), required=True),
    Column("boarding", "是否寄宿", ("寄宿", "是否住校", "住校", "寄宿生", "寄宿/走读", "走读/寄宿")),
    Column("guardian_name", "监护人姓名", ("家长姓名", "监护人", "家长", "第一监护人姓名", "监护人1姓名"),
           required=True),
    Column("guardian_phone", "监护人电话",
           ("家长电话", "联系电话", "手机号", "手机号码", "监护人手机号", "家长手机号", "监护人手机",
            "家长手机", "联系方式", "第一监护人电话", "监护人1电话"), required=True),
    Column("guardian_relation", "与学生关系",
           ("关系", "与学生的关系", "监护人关系", "第一监护人关系", "监护人1关系")),
    Column("guardian2_name", "第二监护人姓名", ("第二监护人", "监护人2姓名")),
    Column("guardian2_phone", "第二监护人电话", ("第二监护人手机号", "第二监护人手机", "监护人2电话")),
    Column("guardian2_relation", "第二监护人关系", ("第二监护人与学生关系", "监护人2关系")),
)

STAFF_COLUMNS = (
    Column("name", "姓名", ("教师姓名", "教职工姓名"), required=True),
    Column("phone", "手机号", ("电话", "联系电话", "手机号码", "手机"), required=True),
    Column("subjects", "任教学科", ("学科", "科目", "任教科目")),
    Column("is_external", "类别", ("是否校外", "校外教师", "是否校外教师", "教师类别")),
    Column("homerooms", "班主任班级", ("担任班主任班级", "任班主任班级")),
    Column("weekdays", "可服务日", ("可服务时间", "服务日")),
)

COLUMNS = {STUDENTS: STUDENT_COLUMNS, STAFF: STAFF_COLUMNS}

SUMMARY_LABELS = {
    "students_created": "新增学生",
    "students_updated": "更新学生",
    "students_unchanged": "未变学生",
    "guardians_created": "新增监护人",
    "homerooms_created": "新增班级",
    "staff_created": "新增教职工",
    "staff_updated": "更新教职工",
    "staff_unchanged": "未变教职工",
}
SUMMARY_KEYS = {
    STUDENTS: ("students_created", "students_updated", "students_unchanged",
               "guardians_created", "homerooms_created"),
    STAFF: ("staff_created", "staff_updated", "staff_unchanged"),
}

BOARDING_YES = {"寄宿", "住校", "寄宿生", "住宿"}
BOARDING_NO = {"走读", "不寄宿", "走读生", "不住校"}
EXTERNAL_YES = {"校外", "校外教师", "外聘", "校外人员"}
EXTERNAL_NO = {"校内", "校内教师", "本校", "本校教师"}

# The example row of the downloadable template; a file that still holds it is refused.
EXAMPLE_STUDENT = {"学籍号": "2024070301", "姓名": "张三", "性别": "男", "年级": "七年级",
                   "班级": "3班", "是否寄宿": "否", "监护人姓名": "张建国", "监护人电话": "13800138000",
                   "与学生关系": "父亲", "第二监护人姓名": "李秀英", "第二监护人电话": "13800138001",
                   "第二监护人关系": "母亲"}
EXAMPLE_STAFF = {"姓名": "王示例", "手机号": "13900139000", "任教学科": "语文、书法", "类别": "校内",
                 "班主任班级": "七年级3班", "可服务日": "周一、周三"}


def grade_name(number: int) -> str:
    """The name a new grade gets: 一年级 … 九年级, 高一 … 高三."""
    if number >= 10:
        return "高" + "一二三"[number - 10]
    return "一二三四五六七八九"[number - 1] + "年级"


def grade_label(grade: Grade) -> str:
    """How the export writes a grade: its name, if the import reads the name back as it."""
    return grade.name if parse_grade(grade.name) == grade.number else f"{grade.number}年级"


def homeroom_label(homeroom: Homeroom) -> str:
    return f"{grade_label(homeroom.grade)}{homeroom.number}班"


def weekday_text(days: Iterable[int]) -> str:
    return "、".join(WEEKDAY_LABELS[d - 1] for d in sorted(days) if 1 <= d <= 7)


def summary_items(kind: str, summary: dict) -> list[tuple[str, int]]:
    """The summary's counts as (Chinese label, number), in a fixed order, for pages and output."""
    return [(SUMMARY_LABELS[k], summary.get(k, 0)) for k in SUMMARY_KEYS[kind]]


# ------------------------------------------------------------------ reading

def normalize_header(value) -> str:
    """``学籍号*``, ``班级（如 7-3）``, ``监护人\\n电话`` → 学籍号, 班级, 监护人电话."""
    text = compact(value)
    # Notes in brackets and required-marks are not part of the name.
    out, depth = [], 0
    for ch in text:
        if ch in "(（[【":
            depth += 1
        elif ch in ")）]】":
            depth = max(0, depth - 1)
        elif not depth:
            out.append(ch)
    return "".join(out).strip("*:：")


@dataclass
class Sheet:
    """The data of one worksheet: where its header is and which column holds which field."""

    title: str
    header_row: int
    columns: dict[str, tuple[int, str]]  # key -> (0-based index, header as written)
    rows: list[tuple[int, tuple]] = field(default_factory=list)  # (Excel row number, values)
    label: str = ""  # the sheet's title in error messages, when there are several sheets

    def header(self, key: str) -> str:
        return self.columns[key][1]

    def value(self, values: tuple, key: str):
        if key not in self.columns:
            return None
        index = self.columns[key][0]
        return values[index] if index < len(values) else None

    def has(self, key: str) -> bool:
        return key in self.columns


def _match_header(values: tuple, columns: tuple[Column, ...]) -> tuple[dict, list]:
    """Which field each cell of a candidate header row names, and names used twice."""
    by_name = {normalize_header(name): col for col in columns for name in col.names}
    found: dict[str, tuple[int, str]] = {}
    duplicates = []
    for index, cell in enumerate(values):
        col = by_name.get(normalize_header(cell))
        if col is None:
            continue
        if col.key in found:
            duplicates.append((col, found[col.key][1], clean_text(cell)))
        else:
            found[col.key] = (index, clean_text(cell))
    return found, duplicates


def _find_header(title: str, head: list[tuple[int, tuple]], columns
                 ) -> tuple[Sheet | None, list[RowError], int]:
    """The sheet's header row; else why the likeliest row is not one, and how close it came."""
    required = {c.key for c in columns if c.required}
    best: tuple[int, int, dict] | None = None
    for row_no, values in head:
        found, duplicates = _match_header(values, columns)
        if required <= found.keys():
            errors = [RowError(row_no, later, f"与「{first}」列重复，都表示“{col.label}”，请只保留一列。")
                      for col, first, later in duplicates]
            return Sheet(title=title, header_row=row_no, columns=found), errors, len(found)
        if found and (best is None or len(found) > len(best[2])):
            best = (row_no, len(found), found)
    if best is None:
        return None, [], 0
    row_no, _, found = best
    errors = []
    for col in columns:
        if col.required and col.key not in found:
            accepted = "、".join(f"「{n}」" for n in col.names[:6])
            errors.append(RowError(row_no, "", f"表头缺少“{col.label}”列（可用列名：{accepted}）。"))
    return None, errors, len(found)


def _rows_found(limit: int, found: int | None) -> str:
    return f"有 {found} 行" if found and found > limit else f"超过 {limit} 行"


def _no_header_error(columns: tuple[Column, ...], widest: tuple[str, int, list[str]],
                     several_sheets: bool) -> RowError:
    """Which headers the import needs and which the file has, when no row matched any."""
    title, row_no, texts = widest
    expected = "、".join(f"「{c.label}」" for c in columns if c.required)
    found = "、".join(f"「{t[:20]}」" for t in texts[:15]) + ("等" if len(texts) > 15 else "")
    where = f"「{title}」表第 {row_no} 行" if several_sheets else f"第 {row_no} 行"
    return RowError(None, "", NO_HEADER.format(rows=HEADER_SEARCH_ROWS, expected=expected,
                                               where=where, found=found))


def read_workbook(path_or_file, columns: tuple[Column, ...], *, max_rows: int | None = None,
                  too_many_rows: str = TOO_MANY_ROWS) -> tuple[list[Sheet], list[RowError]]:
    """Every worksheet's header and non-blank data rows; or why the file cannot be used.

    The header is the first row, among the first :data:`HEADER_SEARCH_ROWS`, that names every
    required column. Sheets with no such row (a 填写说明 sheet) are passed over. Row numbers
    are Excel's own, so a person can find the row the error names.

    The file is streamed (openpyxl's read-only mode): with ``max_rows``, reading stops at the
    first data row beyond it and the file is refused with ``too_many_rows``.
    """
    try:
        workbook = open_streaming(path_or_file)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError,
            SyntaxError):  # SyntaxError: xml's ParseError, a damaged part of the file
        return [], [RowError(None, "", UNREADABLE_FILE)]
    sheets: list[Sheet] = []
    read_errors: list[RowError] = []  # of sheets that were read
    skipped_errors: list[RowError] = []  # of the sheet that came closest to having a header
    closest = 0
    widest: tuple[str, int, list[str]] | None = None  # the fullest row seen: (sheet, row, texts)
    data_rows = 0
    sheet_count = len(workbook.sheetnames)
    try:
        for worksheet in workbook.worksheets:
            declared_last = worksheet.max_row  # as the file says; only to word an error
            # Some exporters write a wrong size (<dimension ref="A1"/>); read-only mode would
            # trust it and cut the sheet down to one cell. Rows may then differ in length.
            worksheet.reset_dimensions()
            rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
            head = []
            for row_no, values in rows:
                head.append((row_no, values))
                texts = [t for t in (clean_text(v) for v in values) if t]
                if len(texts) > (len(widest[2]) if widest else 0):
                    widest = (worksheet.title, row_no, texts)
                if row_no >= HEADER_SEARCH_ROWS:
                    break
            sheet, errors, matched = _find_header(worksheet.title, head, columns)
            if sheet is None:
                if matched > closest:
                    closest = matched
                    skipped_errors = [RowError(e.row, e.column, e.message, worksheet.title)
                                      for e in errors]
                continue
            read_errors.extend(RowError(e.row, e.column, e.message, worksheet.title)
                               for e in errors)
            indexes = [i for i, _ in sheet.columns.values()]
            body = [(n, v) for n, v in head if n > sheet.header_row]
            for row_no, values in itertools.chain(body, rows):
                if not any(clean_text(values[i]) for i in indexes if i < len(values)):
                    continue
                if max_rows is not None and data_rows >= max_rows:
                    found = None
                    if declared_last and declared_last >= row_no:
                        found = data_rows + declared_last - row_no + 1
                    message = too_many_rows.format(limit=max_rows,
                                                   found=_rows_found(max_rows, found))
                    return [], [RowError(None, "", message)]
                data_rows += 1
                sheet.rows.append((row_no, values))
            sheets.append(sheet)
    except Exception:  # a damaged file fails anywhere inside openpyxl's XML parsing
        logger.info("unreadable roster workbook", exc_info=True)
        return [], [RowError(None, "", UNREADABLE_FILE)]
    finally:
        workbook.close()
    if not sheets:
        if not skipped_errors:
            if widest is None:
                return [], [RowError(None, "", EMPTY_FILE)]
            return [], [_no_header_error(columns, widest, sheet_count > 1)]
        # One sheet: its own title adds nothing to the message.
        if sheet_count == 1:
            skipped_errors = [RowError(e.row, e.column, e.message) for e in skipped_errors]
        return [], skipped_errors
    multi = len(sheets) > 1
    if multi:
        for sheet in sheets:
            sheet.label = sheet.title
    # Header problems of a sheet that was read (a duplicated column) still refuse the file.
    errors = [RowError(e.row, e.column, e.message, e.sheet if multi else "")
              for e in read_errors]
    if not any(s.rows for s in sheets):
        errors.append(RowError(None, "", EMPTY_FILE))
    return sheets, errors


# ------------------------------------------------------------------ validating

class _Checker:
    """Collects errors for one row, so every cell of every row is checked, not just the first."""

    def __init__(self, sheet: Sheet, row_no: int, values: tuple, errors: ErrorLog):
        self.sheet, self.row_no, self.values, self.errors = sheet, row_no, values, errors
        self.ok = True

    def raw(self, key):
        return self.sheet.value(self.values, key)

    def text(self, key) -> str:
        return clean_text(self.raw(key))

    def error(self, key: str, message: str) -> None:
        column = self.sheet.header(key) if self.sheet.has(key) else ""
        self.errors.append(RowError(self.row_no, column, message, self.sheet.label))
        self.ok = False

    def at(self) -> str:
        return where(self.sheet, self.row_no)


def where(sheet: Sheet, row_no: int) -> str:
    return f"「{sheet.label}」表第 {row_no} 行" if sheet.label else f"第 {row_no} 行"


def _limited(check: _Checker, key: str, value: str, limit: int) -> str:
    if len(value) > limit:
        check.error(key, f"不能超过 {limit} 个字（现为 {len(value)} 个）。")
    return value


# In the rows below, ``None`` means the file has no such column: the field is left as it is.

@dataclass(frozen=True)
class GuardianEntry:
    name: str
    phone: str
    relation: str | None
    is_primary: bool


@dataclass
class StudentRow:
    at: str
    student_no: str
    name: str
    gender: str | None
    grade: int
    homeroom: int
    is_boarder: bool | None
    guardians: list[GuardianEntry]
    # Whether the file says who the second guardian is (it has 第二监护人 columns).
    lists_second_guardian: bool


@dataclass
class StaffRow:
    at: str
    name: str
    phone: str
    subjects: str | None
    is_external: bool | None
    weekdays: list[int] | None
    homerooms: list[tuple[int, int]] | None


def _rows(sheets: list[Sheet]):
    for sheet in sheets:
        for row_no, values in sheet.rows:
            yield sheet, row_no, values


def _tick(progress: Progress | None, done: int, total: int) -> None:
    if progress and (done % PROGRESS_EVERY == 0 or done == total):
        progress(done, total)


def _student_no(check: _Checker) -> str:
    raw = check.raw("student_no")
    # Excel keeps 15 significant digits: a longer number typed into a number cell is already
    # wrong, and guessing the digits back would import the wrong student.
    if isinstance(raw, float) and abs(raw) >= 1e15:
        check.error("student_no", "学籍号被 Excel 存成了数字，超过 15 位的部分已丢失。"
                                  "请把该列设为“文本”格式后重新填写。")
        return ""
    value = clean_code(raw)
    if not value:
        check.error("student_no", "不能为空。")
    elif "E+" in value.upper() and value.replace(".", "").upper().split("E+")[0].isdigit():
        check.error("student_no", f"「{value}」是科学计数法，请把该列设为“文本”格式后重新填写学籍号。")
    return _limited(check, "student_no", value, 30)


def _homeroom(check: _Checker) -> tuple[int, int] | None:
    label = check.text("homeroom")
    if not label:
        check.error("homeroom", "不能为空。")
        return None
    parsed = parse_homeroom_label(check.raw("homeroom"))
    if parsed is None:
        check.error("homeroom", f"无法识别班级「{label}」，请写成 7-3、初一(3)班、七年级3班，"
                                "或在“年级”列填写年级、这里填写 3班。")
        return None
    grade, number = parsed
    grade_text = check.text("grade")
    column_grade = None
    if grade_text:
        column_grade = parse_grade(grade_text)
        if column_grade is None:
            check.error("grade", f"无法识别年级「{grade_text}」，请写成 7、七年级 或 初一。")
            return None
    if grade and column_grade and grade != column_grade:
        check.error("homeroom", f"班级「{label}」与年级「{grade_text}」不一致。")
        return None
    grade = grade or column_grade
    if grade is None:
        check.error("homeroom", f"班级「{label}」没有写年级，请写成 7-3 这样，或填写“年级”列。")
        return None
    return grade, number


def _guardian(check: _Checker, prefix: str, is_primary: bool) -> GuardianEntry | None:
    name_key, phone_key, relation_key = f"{prefix}_name", f"{prefix}_phone", f"{prefix}_relation"
    name = clean_name(check.raw(name_key))
    raw_phone = check.text(phone_key)
    relation = check.text(relation_key) if check.sheet.has(relation_key) else None
    if not (name or raw_phone or relation) and not is_primary:
        return None
    phone = clean_phone(raw_phone)
    ok = True
    if not raw_phone:
        check.error(phone_key, "不能为空。" if is_primary else "填写了第二监护人，请同时填写其电话。")
        ok = False
    elif not phone:
        check.error(phone_key, f"「{raw_phone}」不是有效的 11 位手机号码。")
        ok = False
    if not name:
        check.error(name_key, "不能为空。" if is_primary else "填写了第二监护人电话，请同时填写其姓名。")
        ok = False
    _limited(check, name_key, name, 50)
    _limited(check, relation_key, relation or "", 20)
    return GuardianEntry(name, phone, relation, is_primary) if ok else None


def validate_students(sheets: list[Sheet], progress: Progress | None = None
                      ) -> tuple[list[StudentRow], ErrorLog]:
    """Every row of a student roster as a :class:`StudentRow`, or every error found.

    After the first error no more rows are kept (nothing will be written); every row is
    still checked, so the error count is complete.
    """
    errors = ErrorLog()
    rows: list[StudentRow] = []
    seen_no: dict[str, str] = {}
    seen_phone: dict[str, tuple[str, str]] = {}  # phone -> (name, where first seen)
    total = sum(len(s.rows) for s in sheets)
    for done, (sheet, row_no, values) in enumerate(_rows(sheets), start=1):
        _tick(progress, done, total)
        check = _Checker(sheet, row_no, values, errors)
        student_no = _student_no(check)
        name = _limited(check, "name", clean_name(check.raw("name")), 50)
        if not name:
            check.error("name", "不能为空。")
        if (student_no, name, clean_phone(check.raw("guardian_phone"))) == (
                EXAMPLE_STUDENT["学籍号"], EXAMPLE_STUDENT["姓名"], EXAMPLE_STUDENT["监护人电话"]):
            check.error("student_no", EXAMPLE_ROW)
        gender = "" if sheet.has("gender") else None
        if check.text("gender"):
            gender = parse_gender(check.raw("gender"))
            if gender is None:
                check.error("gender", f"「{check.text('gender')}」不是性别，请填写 男 或 女。")
        is_boarder = False if sheet.has("boarding") else None
        if check.text("boarding"):
            is_boarder = parse_yes_no(check.raw("boarding"), yes=BOARDING_YES, no=BOARDING_NO)
            if is_boarder is None:
                check.error("boarding", f"无法识别「{check.text('boarding')}」，请填写 是 或 否"
                                        "（也可填 寄宿、走读）。")
        homeroom = _homeroom(check)
        guardians = [g for g in (_guardian(check, "guardian", True),
                                 _guardian(check, "guardian2", False)) if g]
        if len(guardians) == 2 and guardians[0].phone == guardians[1].phone:
            check.error("guardian2_phone", "与第一监护人的电话相同。")
            guardians.pop()
        if student_no:
            if student_no in seen_no:
                check.error("student_no", f"学籍号「{student_no}」重复：{seen_no[student_no]}和"
                                          f"{check.at()}是同一个学籍号。")
            else:
                seen_no[student_no] = check.at()
        for prefix, guardian in zip(("guardian", "guardian2"), guardians, strict=False):
            first = seen_phone.setdefault(guardian.phone, (guardian.name, check.at()))
            if first[0] != guardian.name:
                check.error(f"{prefix}_phone",
                            f"手机号 {guardian.phone} 在{first[1]}是「{first[0]}」，在{check.at()}"
                            f"是「{guardian.name}」；同一手机号只能是同一位监护人。")
        if check.ok and not errors:
            rows.append(StudentRow(
                check.at(), student_no, name, gender, homeroom[0], homeroom[1], is_boarder,
                guardians, sheet.has("guardian2_name") or sheet.has("guardian2_phone")))
    return rows, errors


def validate_staff(sheets: list[Sheet], homerooms: set[tuple[int, int]],
                   progress: Progress | None = None) -> tuple[list[StaffRow], ErrorLog]:
    """Every row of a staff roster as a :class:`StaffRow`, or every error found.

    ``homerooms`` are the school's (grade, number) pairs: a 班主任班级 must name one of them.
    Errors are kept and rows dropped as in :func:`validate_students`.
    """
    errors = ErrorLog()
    rows: list[StaffRow] = []
    seen_phone: dict[str, str] = {}
    seen_homeroom: dict[tuple[int, int], str] = {}
    total = sum(len(s.rows) for s in sheets)
    for done, (sheet, row_no, values) in enumerate(_rows(sheets), start=1):
        _tick(progress, done, total)
        check = _Checker(sheet, row_no, values, errors)
        name = _limited(check, "name", clean_name(check.raw("name")), 50)
        if not name:
            check.error("name", "不能为空。")
        raw_phone, phone = check.text("phone"), clean_phone(check.raw("phone"))
        if not raw_phone:
            check.error("phone", "不能为空。")
        elif not phone:
            check.error("phone", f"「{raw_phone}」不是有效的 11 位手机号码。")
        elif phone in seen_phone:
            check.error("phone", f"手机号 {phone} 重复：{seen_phone[phone]}和{check.at()}。")
        else:
            seen_phone[phone] = check.at()
        if (name, phone) == (EXAMPLE_STAFF["姓名"], EXAMPLE_STAFF["手机号"]):
            check.error("name", EXAMPLE_ROW)
        subjects = None
        if sheet.has("subjects"):
            parts = re.split(r"[、,，;；/]", check.text("subjects"))
            subjects = _limited(check, "subjects", "、".join(p.strip() for p in parts if p.strip()),
                                100)
        is_external = False if sheet.has("is_external") else None
        if check.text("is_external"):
            is_external = parse_yes_no(check.raw("is_external"), yes=EXTERNAL_YES, no=EXTERNAL_NO)
            if is_external is None:
                check.error("is_external", f"无法识别「{check.text('is_external')}」，"
                                           "请填写 校内 或 校外（也可填 是、否）。")
        weekdays = [] if sheet.has("weekdays") else None
        if check.text("weekdays"):
            weekdays = parse_weekdays(check.raw("weekdays"))
            if weekdays is None:
                check.error("weekdays", f"无法识别「{check.text('weekdays')}」，"
                                        "请写成 周一、周三 或 1,3。")
        headed = [] if sheet.has("homerooms") else None
        raw = check.raw("homerooms")
        labels = [raw] if isinstance(raw, dt.date) else filter(None, (
            p.strip() for p in re.split(r"[、,，;；]", check.text("homerooms"))))
        for label in labels:
            parsed = parse_homeroom_label(label)
            if parsed is None or parsed[0] is None:
                check.error("homerooms", f"无法识别班级「{label}」，请写成 7-3 或 七年级3班。")
                continue
            if parsed not in homerooms:
                check.error("homerooms", f"本校没有班级「{label}」，请先导入学生名册或核对班级。")
                continue
            if parsed in seen_homeroom:
                check.error("homerooms", f"班级「{label}」在{seen_homeroom[parsed]}和{check.at()}"
                                         "都填了班主任，一个班只能有一位班主任。")
                continue
            seen_homeroom[parsed] = check.at()
            headed.append(parsed)
        if check.ok and not errors:
            rows.append(StaffRow(check.at(), name, phone, subjects, is_external, weekdays, headed))
    return rows, errors


# ------------------------------------------------------------------ writing

def _lock_school(school: School) -> None:
    """Two imports into one school wait for each other instead of racing on the same rows."""
    list(School.objects.select_for_update().filter(pk=school.pk).values_list("pk", flat=True))


@transaction.atomic
def _write_students(*, school: School, rows: list[StudentRow]) -> dict:
    """Create or update students, guardians, homerooms and links for validated rows.

    The file is the truth for the students it lists: their guardian links become exactly the
    guardians of their row (a file without 第二监护人 columns leaves second guardians alone),
    and a listed student who had left is 在读 again. Students not in the file are left as they
    are. ``validate_students`` checked every value against the model's rules, so the bulk
    queries here skip ``full_clean``.
    """
    _lock_school(school)
    summary = dict.fromkeys(SUMMARY_KEYS[STUDENTS], 0)

    grades = {g.number: g for g in Grade.objects.filter(school=school)}
    new_grades = [Grade(school=school, number=n, name=grade_name(n))
                  for n in sorted({r.grade for r in rows} - grades.keys())]
    grades.update((g.number, g) for g in Grade.objects.bulk_create(new_grades))

    homerooms = {(h.grade.number, h.number): h
                 for h in Homeroom.objects.filter(school=school).select_related("grade")}
    new_homerooms = [Homeroom(school=school, grade=grades[g], number=n)
                     for g, n in sorted({(r.grade, r.homeroom) for r in rows} - homerooms.keys())]
    homerooms.update(((h.grade.number, h.number), h)
                     for h in Homeroom.objects.bulk_create(new_homerooms))
    summary["homerooms_created"] = len(new_homerooms)

    guardians = {g.phone: g for g in Guardian.objects.filter(school=school)
                 .only("pk", "school_id", "phone", "name")}
    new_guardians: dict[str, Guardian] = {}
    renamed: dict[str, Guardian] = {}
    for row in rows:
        for entry in row.guardians:
            guardian = guardians.get(entry.phone)
            if guardian is None:
                new_guardians.setdefault(entry.phone, Guardian(school=school, name=entry.name,
                                                               phone=entry.phone))
            elif guardian.name != entry.name:
                guardian.name = entry.name
                renamed[entry.phone] = guardian
    Guardian.objects.bulk_create(new_guardians.values(), batch_size=500)
    Guardian.objects.bulk_update(renamed.values(), ["name"], batch_size=500)
    guardians.update(new_guardians)
    summary["guardians_created"] = len(new_guardians)

    existing = {s.student_no: s for s in Student.objects.filter(school=school)}
    created, changed, students = [], [], []
    for row in rows:
        wanted = {"name": row.name, "homeroom_id": homerooms[(row.grade, row.homeroom)].pk,
                  "is_active": True}
        if row.gender is not None:
            wanted["gender"] = row.gender
        if row.is_boarder is not None:
            wanted["is_boarder"] = row.is_boarder
        student = existing.get(row.student_no)
        if student is None:
            student = Student(school=school, student_no=row.student_no, **wanted)
            created.append(student)
        elif any(getattr(student, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(student, k, v)
            changed.append(student)
        students.append(student)
    Student.objects.bulk_create(created, batch_size=500)
    Student.objects.bulk_update(changed, ["name", "gender", "homeroom", "is_boarder", "is_active"],
                                batch_size=500)

    links: dict[int, dict[int, StudentGuardian]] = defaultdict(dict)
    for link in StudentGuardian.objects.filter(student__school=school):
        links[link.student_id][link.guardian_id] = link
    new_links, updated_links, removed_links = [], [], []
    touched = {s.pk for s in changed}
    for row, student in zip(rows, students, strict=True):
        current = links.get(student.pk, {})
        wanted_links = {guardians[e.phone].pk: e for e in row.guardians}
        for guardian_id, entry in wanted_links.items():
            link = current.get(guardian_id)
            relation = entry.relation
            if link is None:
                new_links.append(StudentGuardian(student=student, guardian_id=guardian_id,
                                                 relation=relation or "",
                                                 is_primary=entry.is_primary))
                touched.add(student.pk)
                continue
            relation = link.relation if relation is None else relation
            if (link.relation, link.is_primary) != (relation, entry.is_primary):
                link.relation, link.is_primary = relation, entry.is_primary
                updated_links.append(link)
                touched.add(student.pk)
        for guardian_id, link in current.items():
            if guardian_id not in wanted_links and (link.is_primary or row.lists_second_guardian):
                removed_links.append(link.pk)
                touched.add(student.pk)
        if any(e.phone in renamed for e in row.guardians):
            touched.add(student.pk)
    StudentGuardian.objects.filter(pk__in=removed_links).delete()
    StudentGuardian.objects.bulk_update(updated_links, ["relation", "is_primary"], batch_size=500)
    StudentGuardian.objects.bulk_create(new_links, batch_size=500)

    created_ids = {s.pk for s in created}
    summary["students_created"] = len(created)
    summary["students_updated"] = len(touched - created_ids)
    summary["students_unchanged"] = len(rows) - len(created) - summary["students_updated"]
    return summary


@transaction.atomic
def _write_staff(*, school: School, rows: list[StaffRow]) -> dict:
    """Create or update staff by phone; a column the file lacks leaves that field alone.

    With a 班主任班级 column, the homerooms a listed person heads become exactly those named
    (a blank cell: none). New staff get no login here; 重置密码 on the staff page creates it.
    """
    _lock_school(school)
    existing = {s.phone: s for s in Staff.objects.filter(school=school)}
    created, changed, people = [], [], []
    for row in rows:
        wanted = {"name": row.name, "is_active": True}
        for key, value in (("subjects", row.subjects), ("is_external", row.is_external),
                           ("available_weekdays", row.weekdays)):
            if value is not None:
                wanted[key] = value
        person = existing.get(row.phone)
        if person is None:
            person = Staff(school=school, phone=row.phone, **wanted)
            created.append(person)
        elif any(getattr(person, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(person, k, v)
            changed.append(person)
        people.append(person)
    Staff.objects.bulk_create(created, batch_size=500)
    Staff.objects.bulk_update(changed, ["name", "is_active", "subjects", "is_external",
                                        "available_weekdays"], batch_size=500)
    touched = {p.pk for p in changed}

    managed = [(row, person) for row, person in zip(rows, people, strict=True)
               if row.homerooms is not None]
    if managed:
        homerooms = {(h.grade.number, h.number): h
                     for h in Homeroom.objects.filter(school=school).select_related("grade")}
        head = {h.pk: h.head_teacher_id for h in homerooms.values()}
        listed = {person.pk for _, person in managed}
        # First release what listed people head, then assign what the file says: a homeroom
        # handed from one listed teacher to another ends with the new one in any row order.
        for homeroom in homerooms.values():
            if homeroom.head_teacher_id in listed:
                head[homeroom.pk] = None
        for row, person in managed:
            for key in row.homerooms:
                if key in homerooms:  # validated; missing only if deleted meanwhile
                    head[homerooms[key].pk] = person.pk
        moved = []
        for homeroom in homerooms.values():
            if head[homeroom.pk] != homeroom.head_teacher_id:
                touched.update({homeroom.head_teacher_id, head[homeroom.pk]} & listed)
                homeroom.head_teacher_id = head[homeroom.pk]
                moved.append(homeroom)
        Homeroom.objects.bulk_update(moved, ["head_teacher"], batch_size=500)

    created_ids = {p.pk for p in created}
    updated = len(touched - created_ids)
    return {"staff_created": len(created), "staff_updated": updated,
            "staff_unchanged": len(rows) - len(created) - updated}


# ------------------------------------------------------------------ the service

@dataclass
class ImportResult:
    kind: str
    summary: dict = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)  # the first MAX_LISTED_ERRORS
    total_rows: int = 0
    notes: list[str] = field(default_factory=list)
    error_count: int = 0  # all of them, listed or not

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors_not_listed(self) -> int:
        return max(self.error_count - len(self.errors), 0)


def roster_import(*, school: School, path_or_file, kind: str = STUDENTS, actor: Actor | None = None,
                  progress: Progress | None = None, max_rows: int | None = None,
                  too_many_rows: str = TOO_MANY_ROWS) -> ImportResult:
    """Validate a whole roster file; if every row passes, write it in one transaction.

    With any error nothing is written; ``result.errors`` lists the first
    :data:`MAX_LISTED_ERRORS` of them and ``result.error_count`` counts them all.
    ``progress(done, total)`` is called every :data:`PROGRESS_EVERY` rows while validating,
    outside the write transaction so that another connection can see it. A file of more than
    ``max_rows`` data rows (default ``settings.ROSTER_MAX_ROWS``) is refused with
    ``too_many_rows`` before it is read further.
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
    if not log:
        writer = _write_students if kind == STUDENTS else _write_staff
        result.summary = writer(school=school, rows=rows)
    return result


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


# ------------------------------------------------------------------ jobs (upload page + Celery)

@transaction.atomic
def import_job_create(*, actor: Actor, kind: str, file) -> ImportJob:
    """Keep the uploaded file and queue its import once the job row is committed."""
    require(actor, Role.COORDINATOR)
    original_name = getattr(file, "name", "")[:200]
    # Stored under a name of our own: the person's file name may carry a child's or a class's
    # name, and the page shows original_name anyway.
    file.name = f"{kind}-{uuid.uuid4().hex}.xlsx"
    job = ImportJob(school=actor.school, kind=kind, file=file, original_name=original_name,
                    created_by=actor.user)
    job.full_clean()
    job.save()
    from .tasks import roster_import_task

    transaction.on_commit(lambda: roster_import_task.delay(job.pk))
    return job


def import_job_run(*, job_id: int, inline: bool = False) -> ImportJob | None:
    """Run one queued import, recording progress, then the summary or the errors.

    ``inline``: the import runs inside the upload's request (no worker), so a file of more than
    ``settings.ROSTER_INLINE_MAX_ROWS`` rows is refused with a message saying what to do.

    Safe to run twice: a finished job is left alone, and a job interrupted midway (a worker
    that died) runs again — importing the same file twice changes nothing the second time.
    The uploaded file is deleted when the job ends, unless ``IMPORT_FILE_RETENTION_HOURS``
    keeps it for :func:`import_job_files_purge`.
    """
    claimed = (ImportJob.objects.filter(pk=job_id, status__in=[ImportJob.Status.PENDING,
                                                               ImportJob.Status.RUNNING])
               .update(status=ImportJob.Status.RUNNING, processed_rows=0))
    if not claimed:
        return None
    job = ImportJob.objects.select_related("school").get(pk=job_id)

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done, total_rows=total)

    max_rows, too_many_rows = settings.ROSTER_MAX_ROWS, TOO_MANY_ROWS
    if inline and settings.ROSTER_INLINE_MAX_ROWS < max_rows:
        max_rows, too_many_rows = settings.ROSTER_INLINE_MAX_ROWS, TOO_MANY_ROWS_INLINE
    try:
        with job.file.open("rb") as fh:
            result = roster_import(school=job.school, path_or_file=fh, kind=job.kind,
                                   progress=progress, max_rows=max_rows,
                                   too_many_rows=too_many_rows)
    except Exception:  # any failure must end as a failed job the page can show, not a spinner
        logger.exception("roster import job %s failed", job_id)
        result = ImportResult(kind=job.kind, errors=[RowError(None, "", UNEXPECTED_ERROR)],
                              error_count=1)
    job.refresh_from_db(fields=["total_rows"])
    job.total_rows = result.total_rows or job.total_rows
    job.processed_rows = job.total_rows if result.ok else job.processed_rows
    job.status = ImportJob.Status.DONE if result.ok else ImportJob.Status.FAILED
    job.summary = ({**result.summary, "notes": result.notes} if result.ok
                   else {"error_count": result.error_count})
    job.errors = [e.as_dict() for e in result.errors]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "total_rows", "processed_rows", "summary", "errors",
                            "finished_at"])
    if settings.IMPORT_FILE_RETENTION_HOURS <= 0:
        _job_file_delete(job)
    return job


def _job_file_delete(job: ImportJob) -> None:
    """Delete a job's uploaded file; the job keeps its name, counts and errors."""
    name = job.file.name
    if not name:
        return
    try:
        job.file.storage.delete(name)
        # Uploads before private storage were kept under MEDIA_ROOT, where anyone could
        # fetch them: remove such a public copy too.
        if default_storage.exists(name):
            default_storage.delete(name)
    except OSError:
        logger.warning("could not delete the file of roster import job %s", job.pk,
                       exc_info=True)
        return
    ImportJob.objects.filter(pk=job.pk).update(file="")
    job.file.name = ""


def import_job_files_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the uploaded files of jobs that finished more than the retention time ago.

    For a periodic task (``afterschool.tasks.import_job_files_purge_task``): with
    ``IMPORT_FILE_RETENTION_HOURS = 0`` each job deletes its file as it ends, and this only
    catches a file whose deletion failed and uploads kept before that. A job still pending or
    running keeps its file. Returns how many jobs were cleared.
    """
    hours = max(settings.IMPORT_FILE_RETENTION_HOURS, 0)
    cutoff = (now or timezone.now()) - dt.timedelta(hours=hours)
    jobs = (ImportJob.objects.filter(status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED],
                                     finished_at__lte=cutoff)
            .exclude(file="").only("pk", "file"))
    count = 0
    for job in jobs:
        _job_file_delete(job)
        count += 1
    return count
