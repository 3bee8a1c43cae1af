"""Rosters as .xlsx, in the very columns the import reads: an export imports back as 未变.

Each function takes a queryset already scoped by ``access`` and returns the file's bytes; the
view only adds a filename. Workbooks are built with :mod:`afterschool.xlsx` (write-only, every
string a text cell).
"""

from django.db.models import QuerySet
from openpyxl.styles import Font

from . import selectors
from .cleaning import mask_phone
from .formatting import weekdays_text
from .models import Staff, Student
from .roster import (
    EXAMPLE_STAFF,
    EXAMPLE_STUDENT,
    STAFF,
    STAFF_COLUMNS,
    STUDENT_COLUMNS,
    STUDENTS,
    grade_label,
    homeroom_label,
)
from .xlsx import BOLD, TEXT_FORMAT, Book

STUDENT_HEADERS = [c.label for c in STUDENT_COLUMNS]
STAFF_HEADERS = [c.label for c in STAFF_COLUMNS]
WIDTHS = {"学籍号": 16, "姓名": 10, "性别": 6, "年级": 9, "班级": 7, "是否寄宿": 9,
          "监护人姓名": 11, "监护人电话": 14, "与学生关系": 11, "第二监护人姓名": 14,
          "第二监护人电话": 15, "第二监护人关系": 14, "手机号": 14, "任教学科": 16, "类别": 7,
          "班主任班级": 14, "可服务日": 22}
# Columns of long digit strings: typed into as numbers, Excel would round them.
CODE_HEADERS = ("学籍号", "监护人电话", "第二监护人电话", "手机号")


def _widths(headers: list[str]) -> list[int]:
    return [WIDTHS.get(header, 12) for header in headers]


def student_row(student: Student, *, full_phones: bool = False) -> list[str]:
    """One student in the import's columns (first two guardians, the primary one first);
    phones 138****8000 unless ``full_phones`` (the office, asked with a reason)."""
    links = list(student.guardian_links.all())  # prefetched, primary first
    guardian_cells = []
    for link in links[:2]:
        phone = link.guardian.phone if full_phones else mask_phone(link.guardian.phone)
        guardian_cells += [link.guardian.name, phone, link.relation]
    guardian_cells += [""] * (6 - len(guardian_cells))
    homeroom = student.homeroom
    # Every value is a string: a 学籍号 or phone written as text stays text when the file
    # is opened and saved again in Excel.
    return [student.student_no, student.name, student.get_gender_display(),
            grade_label(homeroom.grade), f"{homeroom.number}班",
            "是" if student.is_boarder else "否", *guardian_cells]


def students_workbook(students: QuerySet[Student], *, title: str = "学生名册",
                      full_phones: bool = False) -> bytes:
    """The active students of ``students`` with their guardians, by grade, homeroom, 学籍号.

    Guardians' phones are masked unless ``full_phones``: only then does the file import back
    (the import needs whole numbers), and only the office, giving a reason, gets it."""
    book = Book()
    sheet = book.sheet(title, widths=_widths(STUDENT_HEADERS), freeze="A2")
    sheet.header(STUDENT_HEADERS)
    queryset = selectors.students_with_guardians(students.filter(is_active=True)).order_by(
        "homeroom__grade__number", "homeroom__number", "student_no")
    for student in queryset:
        sheet.row(student_row(student, full_phones=full_phones))
    return book.to_bytes()


def staff_row(person: Staff, *, full_phones: bool = True) -> list[str]:
    headed = sorted(person.homerooms.all(), key=lambda h: (h.grade.number, h.number))
    phone = person.phone if full_phones else mask_phone(person.phone)
    return [person.name, phone, person.subjects, "校外" if person.is_external else "校内",
            "、".join(homeroom_label(h) for h in headed), weekdays_text(person.available_weekdays or [])]


def staff_workbook(staff: QuerySet[Staff], *, title: str = "教职工名册",
                   full_phones: bool = True) -> bytes:
    book = Book()
    sheet = book.sheet(title, widths=_widths(STAFF_HEADERS), freeze="A2")
    sheet.header(STAFF_HEADERS)
    for person in selectors.staff_with_roles(staff.filter(is_active=True)):
        sheet.row(staff_row(person, full_phones=full_phones))
    return book.to_bytes()


_GUIDE = {
    STUDENTS: [
        ("学籍号", "必填，本校内不能重复。请把该列设为“文本”格式，以免长数字被 Excel 改写。"),
        ("姓名", "必填。也可写作“学生姓名”。"),
        ("性别", "男 / 女（也可填 M / F）。"),
        ("年级", "7、七年级、初一 都可以；班级已写明年级（如 7-3）时可不填。"),
        ("班级", "必填。7-3、7.3、初一(3)班、七年级3班，或只写 3班 并填写年级列。"),
        ("是否寄宿", "是 / 否（也可填 寄宿 / 走读、Y / N、1 / 0），不填视为走读。"),
        ("监护人姓名", "必填。也可写作“家长姓名”。"),
        ("监护人电话", "必填，11 位手机号。也可写作“家长电话”“联系电话”“手机号”。"
                    "兄弟姐妹的监护人填同一个手机号，系统只建一个家长账号。"),
        ("与学生关系", "如 父亲、母亲、祖父。"),
        ("第二监护人姓名 / 电话 / 关系", "选填。"),
    ],
    STAFF: [
        ("姓名", "必填。"),
        ("手机号", "必填，11 位手机号，用于登录，本校内不能重复。"),
        ("任教学科", "多个学科用顿号分隔，如 语文、书法。"),
        ("类别", "校内 / 校外（也可写作“是否校外”，填 是 / 否）。"),
        ("班主任班级", "选填，如 七年级3班 或 7-3；班级须已存在（先导入学生名册）。"),
        ("可服务日", "如 周一、周三，或 1,3，或 周一至周四。"),
    ],
}


def template_workbook(kind: str) -> bytes:
    """An empty roster with the expected headers, one example row and a 填写说明 sheet.

    The header sits below a title row, as in the files schools keep; the import finds it.
    """
    headers = STUDENT_HEADERS if kind == STUDENTS else STAFF_HEADERS
    example = EXAMPLE_STUDENT if kind == STUDENTS else EXAMPLE_STAFF
    title = "学生及监护人名册" if kind == STUDENTS else "教职工名册"
    book = Book()
    sheet = book.sheet(title, widths=_widths(headers), freeze="A3")
    sheet.row([f"{title}（第 2 行是表头，请勿修改；第 3 行是示例，导入前请删除）"],
              font=Font(bold=True, size=13))
    sheet.header(headers)
    # The example's code cells are text, so what a person types over them stays text.
    sheet.row([example[h] for h in headers], font=Font(italic=True, color="808080"),
              formats={i: TEXT_FORMAT for i, h in enumerate(headers) if h in CODE_HEADERS})
    guide = book.sheet("填写说明", widths=[26, 90])
    guide.row(["列名", "怎么填"], font=BOLD)
    for row in _GUIDE[kind]:
        guide.row(row)
    guide.row([])
    guide.row(["说明", "列的顺序可以任意调整；表头上方可以有标题行；空行会被跳过。"
                     "校验有任何错误时整个文件都不会导入，请按错误列表改正后重新上传。"])
    return book.to_bytes()
