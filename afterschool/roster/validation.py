"""Step 2: every row to clean values or :class:`RowError` s, with checks across rows; no writes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..cleaning import (
    clean_code,
    clean_name,
    clean_phone,
    clean_text,
    parse_gender,
    parse_grade,
    parse_homeroom_label,
    parse_weekdays,
    parse_yes_no,
)
from .columns import EXAMPLE_STAFF, EXAMPLE_STUDENT
from .errors import EXAMPLE_ROW, ErrorLog, RowError
from .reading import Sheet

PROGRESS_EVERY = 250

Progress = Callable[[int, int], None]

BOARDING_YES = {"寄宿", "住校", "寄宿生", "住宿"}
BOARDING_NO = {"走读", "不寄宿", "走读生", "不住校"}
EXTERNAL_YES = {"校外", "校外教师", "外聘", "校外人员"}
EXTERNAL_NO = {"校内", "校内教师", "本校", "本校教师"}

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
