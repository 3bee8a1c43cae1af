"""Spreadsheets of the arrangement, built from selectors with openpyxl (write-only)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .models import Arrangement
from .selectors import (
    active_placements,
    homework_groups_detailed,
    placements_detailed,
    run_statistics,
    unplaced_detailed,
)

ROSTER_HEADER = ["课程", "教学班", "时间", "地点", "教师", "学生", "学籍号", "班级", "志愿"]


def _header(sheet, titles):
    bold = Font(bold=True)
    row = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        row.append(cell)
    sheet.append(row)


def arrangement_workbook(arrangement: Arrangement) -> bytes:
    """One run as a workbook: the flat roster, the unplaced, homework groups, statistics."""
    wb = Workbook(write_only=True)

    roster = wb.create_sheet("名单")
    roster.column_dimensions["A"].width = 14
    roster.column_dimensions["C"].width = 22
    _header(roster, ROSTER_HEADER)
    placements = placements_detailed(active_placements(arrangement.placements.all())).order_by(
        "course__name", "section__name", "student__homeroom__grade__number",
        "student__homeroom__number", "student__student_no")
    for p in placements.iterator(chunk_size=500):
        section = p.section
        roster.append([
            p.course.name, section.name, "、".join(str(s) for s in section.slots.all()),
            section.venue, "、".join(t.name for t in section.tutors.all()), p.student.name,
            p.student.student_no, p.student.homeroom.name, p.rank_label])

    unplaced = wb.create_sheet("未安排")
    _header(unplaced, ["学生", "学籍号", "班级", "原因"])
    for u in unplaced_detailed(arrangement):
        unplaced.append([u.student.name, u.student.student_no, u.student.homeroom.name,
                         u.reason])

    homework = wb.create_sheet("作业辅导")
    _header(homework, ["星期", "组别", "辅导教师", "人数", "学生", "学籍号", "班级"])
    for group in homework_groups_detailed(arrangement):
        tutor = group.tutor.name if group.tutor else f"未配（{group.unstaffed_reason}）"
        for m in group.members.all():
            homework.append([group.weekday_label, group.name, tutor, group.size,
                             m.student.name, m.student.student_no, m.student.homeroom.name])

    stats = run_statistics(arrangement)
    summary = wb.create_sheet("统计")
    _header(summary, ["项目", "数值"])
    summary.append(["版本", f"第{arrangement.version}版（{arrangement.get_status_display()}）"])
    summary.append(["分配方式", arrangement.get_mechanism_display()])
    summary.append(["抽签号", arrangement.seed])
    summary.append(["参加学生", stats.students])
    summary.append(["已安排", stats.placed])
    for row in stats.by_rank:
        summary.append([f"第{row['rank']}志愿", row["count"]])
    summary.append(["非志愿（人工调整）", stats.outside_preferences])
    summary.append(["未安排", stats.unplaced_count])
    summary.append([])
    _header(summary, ["课程", "教学班", "容量", "人数", "最少开班人数"])
    for fill in stats.courses:
        for s in fill.sections:
            summary.append([fill.course.name, s.section.name, s.section.capacity, s.placed,
                            fill.course.min_size])

    out = BytesIO()
    wb.save(out)
    return out.getvalue()
