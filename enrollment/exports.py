"""The participation statistics as an .xlsx workbook; the view only wraps the bytes."""

from __future__ import annotations

from django.utils import timezone

from afterschool.formatting import weekdays_text
from afterschool.xlsx import BOLD, Book, Sheet

from .selectors import Statistics, StatRow

STAT_COLUMNS = [
    ("班级", "label", 14), ("班主任", "teacher", 10), ("学生数", "students", 8),
    ("已填报", "answered", 8), ("申请参加", "applied", 9), ("不参加", "declined", 8),
    ("待班主任审核", "pending", 12), ("已通过", "approved", 8),
    ("其中待学校复核", "class_approved", 14), ("退回修改", "returned", 9),
    ("未通过", "rejected", 8), ("已退出", "withdrawn", 8), ("未填报", "unanswered", 8),
    ("参与率", "rate", 9),
]
DEFINITION = ("参与率 = 申请参加 ÷ 学生数。已填报 = 已提交过的意向书（含不参加、已退出，不含草稿）；"
              "申请参加 = 已填报、选择参加且未退出；未填报 = 学生数 − 已填报。")
RATE_INDEX = [attr for _, attr, _ in STAT_COLUMNS].index("rate")


def _stat_line(ws: Sheet, row: StatRow, bold: bool = False) -> None:
    values = [getattr(row, attr) for _, attr, _ in STAT_COLUMNS]
    if values[RATE_INDEX] is not None:
        values[RATE_INDEX] = round(values[RATE_INDEX], 4)
    ws.row(values, font=BOLD if bold else None, formats={RATE_INDEX: "0.0%"})


def statistics_workbook(stats: Statistics, *, applications=None) -> bytes:
    """Sheet 1: per homeroom (and grade and school totals); 2: unfinished reviews;
    3: one line per application (for the office's own checks). Write-only: large schools fit.
    """
    book = Book()
    ws = book.sheet("参与统计", widths=[width for _, _, width in STAT_COLUMNS])
    ws.row([f"{stats.term.name} 课后服务参与统计"], font=BOLD)
    ws.row([DEFINITION])
    ws.header([title for title, _, _ in STAT_COLUMNS])
    if stats.grades:
        for grade in stats.grades:
            for row in grade.children:
                _stat_line(ws, row)
            _stat_line(ws, grade, bold=True)
        _stat_line(ws, stats.total, bold=True)
    else:
        for row in stats.homerooms:
            _stat_line(ws, row)

    pending = book.sheet("未完成审核的班级")
    pending.header(["班级", "班主任", "待审核份数"])
    for row in stats.unfinished:
        pending.row([row.label, row.teacher, row.pending])

    if applications is not None:
        detail = book.sheet("意向书明细")
        detail.header(["学籍号", "姓名", "班级", "状态", "是否参加", "参加日", "志愿", "离校方式",
                       "提交时间"])
        for app in applications.iterator(chunk_size=500):
            participates = {True: "参加", False: "不参加"}.get(app.participates, "未选择")
            prefs = " > ".join(p.course.name for p in app.preferences.all())
            submitted = (timezone.localtime(app.submitted_at).strftime("%Y-%m-%d %H:%M")
                         if app.submitted_at else "")
            detail.row([app.student.student_no, app.student.name, app.student.homeroom.name,
                        app.get_status_display(), participates, weekdays_text(app.weekdays or []),
                        prefs, app.get_dismissal_display(), submitted])

    return book.to_bytes()
