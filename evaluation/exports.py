"""Workbooks of evaluation, through :mod:`afterschool.xlsx` (write-only, text stays text).

- :func:`publication_workbook`: the 公示, one sheet per table, from a version's content.
- :func:`payroll_workbook`: the month's final statements for payroll (补助发放表) and their
  lines (明细), streamed from the database.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from afterschool.cleaning import mask_phone
from afterschool.xlsx import BOLD, Book

PERCENT = "0.0"


def _attendance_sheet(book: Book, title: str, first_column: str, rows: list[dict],
                      total: dict | None) -> None:
    sheet = book.sheet(title, widths=[26, 10, 10, 10, 10, 10, 10, 10, 12], freeze="B2",
                       number_formats={8: PERCENT})
    sheet.header([first_column, "学生数", "应到", "出勤", "迟到", "请假", "缺勤", "未点名",
                  "出勤率（%）"])
    for row in rows:
        sheet.row([row["name"], row["students"], row["expected"], row["present"], row["late"],
                   row["leave"], row["absent"], row["missing"], row["rate"]])
    if total is not None:
        sheet.row(["合计", None, total["expected"], total["present"], total["late"],
                   total["leave"], total["absent"], total["missing"], total["rate"]], font=BOLD)


def publication_workbook(content: dict) -> bytes:
    book = Book()
    teachers = book.sheet("教师", widths=[14, 10, 10, 12, 10, 10, 12, 10], freeze="B2")
    teachers.header(["姓名", "应上课次", "实上课次", "按时点名", "代课", "值日（天）",
                     "巡查（天）", "课时"])
    for t in content["teachers"]:
        teachers.row([t["name"], t["lessons_scheduled"], t["lessons_delivered"],
                      t["roll_calls_on_time"], t["substitutions"], t["duties"], t["patrols"],
                      t["period_equivalents"]])
    _attendance_sheet(book, "班级", "班级", content["homerooms"], content.get("totals"))
    _attendance_sheet(book, "课程", "课程", content["courses"], content.get("totals"))
    sheet = book.sheet("巡查", widths=[20, 12])
    sheet.header(["项目", "数量"])
    for label, value in content["patrols"]["rows"]:
        sheet.row([label, value])
    if content.get("lists_confirmed"):
        sheet = book.sheet("表彰与通报", widths=[10, 14, 10])
        sheet.header(["名单", "姓名", "考核得分"])
        for item in content.get("commendations", []):
            sheet.row(["表彰", item["name"], item["score"]])
        for item in content.get("follow_ups", []):
            sheet.row(["通报", item["name"], item["score"]])
    return book.to_bytes()


def payroll_workbook(statements, lines, *, month_text: str, full_phones: bool = True) -> bytes:
    """``statements``: final ones, with ``staff`` joined; ``lines``: theirs, ordered.
    ``full_phones``: False for the principal, whose exports are masked (issue 15)."""
    book = Book()
    pay = book.sheet("补助发放表", widths=[6, 12, 14, 10, 10, 14, 14, 18], freeze="C2")
    pay.header(["序号", "姓名", "手机号", "类别", "课时", "标准（元/课时）", "金额（元）",
                "定稿时间"])
    total_hours, total_money = Decimal("0"), Decimal("0")
    for n, s in enumerate(statements, start=1):
        phone = s.staff.phone if full_phones else mask_phone(s.staff.phone)
        pay.row([n, s.staff.name, phone, s.get_staff_type_display(), float(s.total),
                 float(s.rate), float(s.subsidy),
                 f"{timezone.localtime(s.final_at):%Y-%m-%d %H:%M}" if s.final_at else ""],
                formats={4: "0.00", 5: "0.00", 6: "#,##0.00"})
        total_hours += s.total
        total_money += s.subsidy
    pay.row(["合计", None, None, None, float(total_hours), None, float(total_money), month_text],
            font=BOLD, formats={4: "0.00", 6: "#,##0.00"})
    detail = book.sheet("明细", widths=[12, 12, 10, 40, 8, 10, 30], freeze="A2")
    detail.header(["姓名", "日期", "类型", "内容", "课时", "异议处理", "处理意见"])
    for line in lines:
        detail.row([line.statement.staff.name, line.date.isoformat(), line.get_kind_display(),
                    line.title, float(line.effective_weight),
                    line.get_dispute_display() if line.dispute else "",
                    line.resolution_note])
    return book.to_bytes()

