"""The duty roster as an .xlsx: the days, and how many duties each person has."""

from __future__ import annotations

from afterschool.models import WEEKDAY_LABELS
from afterschool.xlsx import Book

from . import selectors as sel


def roster_workbook(roster) -> bytes:
    term = roster.term
    book = Book()
    days = book.sheet("值日表", widths=[12, 8, 40, 20], freeze="A2")
    days.header(["日期", "星期", "值日教师", "值日领导"])
    for day in sel.roster_days(roster, term.start_date, term.end_date):
        days.row([day["date"], WEEKDAY_LABELS[day["date"].weekday()],
                  "、".join(a.staff.name for a in day["teachers"]),
                  "、".join(a.staff.name for a in day["leaders"])],
                 formats={0: "yyyy-mm-dd"})
    loads = book.sheet("值日次数", widths=[14, 14, 14, 10], freeze="A2")
    loads.header(["姓名", "值日教师（次）", "值日领导（次）", "合计"])
    for row in sel.duty_loads(roster):
        loads.row([row["staff"].name, row["teacher"], row["leader"], row["total"]])
    return book.to_bytes()
