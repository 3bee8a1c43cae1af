"""The .xlsx of attendance records, built from the report's queryset in write-only mode."""

from __future__ import annotations

from django.utils import timezone

from afterschool.xlsx import Book

STATUS_LABELS = {"present": "出勤", "late": "迟到", "leave": "请假", "absent": "缺勤", "": "未点名"}


def records_workbook(qs, chosen: dict) -> bytes:
    book = Book()
    sheet = book.sheet("考勤记录", widths=(12, 8, 14, 30, 14, 10, 8, 20, 16), freeze="A2")
    sheet.header(["日期", "时间", "班级", "课次", "学生", "学籍号", "状态", "备注", "点名时间"])
    for record in qs.iterator(chunk_size=2000):
        lesson, student = record.lesson, record.student
        sheet.row([lesson.date, f"{lesson.start_time:%H:%M}", student.homeroom.name,
                   lesson.title, student.name, student.student_no,
                   STATUS_LABELS.get(record.status, record.status), record.note,
                   f"{timezone.localtime(record.marked_at):%Y-%m-%d %H:%M}" if record.marked_at
                   else ""])
    return book.to_bytes()
