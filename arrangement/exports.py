"""Spreadsheets of the arrangement, built from selectors with :mod:`afterschool.xlsx`."""

from __future__ import annotations

from afterschool.xlsx import Book

from .models import Arrangement
from .selectors import active_placements, homework_groups_with_rosters, run_statistics

ROSTER_HEADER = ["课程", "教学班", "时间", "地点", "教师", "学生", "学籍号", "班级", "志愿"]


def safety_roster_workbook(title: str, rows, *, with_student_no: bool,
                           with_rank: bool = False) -> bytes:
    """A section's or a homework group's roster with each child's safety details.

    学籍号 only when ``with_student_no`` (the office): it often holds an ID-card number."""
    book = Book()
    sheet = book.sheet("名单", widths=[5, 10, 12])
    header = ["序号", "姓名", "班级"] + (["学籍号"] if with_student_no else [])
    header += (["志愿"] if with_rank else []) + [
        "离校方式", "接送人及电话", "紧急联系电话", "过敏史", "健康情况", "签到"]
    sheet.row([title])
    sheet.header(header)
    for row in rows:
        student = row.student
        values = [row.number, student.name, student.homeroom.name]
        values += [student.student_no] if with_student_no else []
        values += [row.rank_label] if with_rank else []
        values += [row.way_home, "；".join(row.pickups), row.contact_phone, row.allergies,
                   row.health_notes, ""]
        sheet.row(values)
    return book.to_bytes()


def arrangement_workbook(arrangement: Arrangement) -> bytes:
    """One run as a workbook: the flat roster, the unplaced, homework groups, statistics.

    The sections come once, with the statistics; each sheet's rows are one query: the same
    handful of queries for any size of school."""
    book = Book()
    stats = run_statistics(arrangement)
    sections = {fill.section.pk: fill.section for course in stats.courses
                for fill in course.sections}

    roster = book.sheet("名单", widths=[14, None, 22])
    roster.header(ROSTER_HEADER)
    placements = (active_placements(arrangement.placements.all())
                  .select_related("student__homeroom__grade", "course", "section")
                  .order_by("course__name", "section__name", "student__homeroom__grade__number",
                            "student__homeroom__number", "student__student_no"))
    for p in placements.iterator(chunk_size=500):
        # A seat in a section the run's statistics do not list (not expected) still reads.
        section = sections.get(p.section_id)
        slots = "、".join(str(s) for s in section.slots.all()) if section else ""
        tutors = "、".join(t.name for t in section.tutors.all()) if section else ""
        roster.row([p.course.name, p.section.name, slots, p.section.venue, tutors,
                    p.student.name, p.student.student_no, p.student.homeroom.name,
                    p.rank_label])

    unplaced = book.sheet("未安排")
    unplaced.header(["学生", "学籍号", "班级", "原因"])
    for u in (arrangement.unplaced.select_related("student__homeroom__grade")
              .order_by("student__homeroom__grade__number", "student__homeroom__number",
                        "student__student_no")):
        unplaced.row([u.student.name, u.student.student_no, u.student.homeroom.name,
                      u.reason])

    homework = book.sheet("作业辅导")
    homework.header(["星期", "组别", "辅导教师", "人数", "学生", "学籍号", "班级"])
    for group in homework_groups_with_rosters(arrangement):
        tutor = group.tutor.name if group.tutor else f"未配（{group.unstaffed_reason}）"
        for m in group.roster:
            homework.row([group.weekday_label, group.name, tutor, group.size,
                          m.student.name, m.student.student_no, m.student.homeroom.name])

    summary = book.sheet("统计")
    summary.header(["项目", "数值"])
    summary.row(["版本", f"第{arrangement.version}版（{arrangement.get_status_display()}）"])
    summary.row(["分配方式", arrangement.get_mechanism_display()])
    summary.row(["抽签号", arrangement.seed])
    summary.row(["参加学生", stats.students])
    summary.row(["已安排", stats.placed])
    for row in stats.by_rank:
        summary.row([f"第{row['rank']}志愿", row["count"]])
    summary.row(["非志愿（人工调整）", stats.outside_preferences])
    summary.row(["未安排", stats.unplaced_count])
    summary.row([])
    summary.header(["课程", "教学班", "容量", "人数", "最少开班人数"])
    for fill in stats.courses:
        for s in fill.sections:
            summary.row([fill.course.name, s.section.name, s.section.capacity, s.placed,
                         fill.course.min_size])

    return book.to_bytes()
