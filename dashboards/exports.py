"""The dashboards' figures as .xlsx: the same aggregates as the pages, one sheet per table.

The principal's export (:func:`school_workbook`) and the bureau's (:func:`district_workbook`)
hold counts and rates only; the bureau's names schools, never a person.
"""

from __future__ import annotations

from afterschool.xlsx import Book

from . import selectors as sel
from .months import month_text


def _pct(value) -> str:
    return "—" if value is None else f"{value}%"


def school_workbook(school, month, context: dict) -> bytes:
    book = Book()
    stat, figures = context["stat"], context["figures"]
    sheet = book.sheet("概况", widths=[26, 16, 40])
    sheet.row([f"{school.name} {month_text(month)} 课后服务看板"])
    sheet.header(["指标", "数值", "构成"])
    sheet.row(["参与率", _pct(figures.participation),
               f"申请参加 {stat.applied} / 学生 {stat.students}（审核通过 {stat.approved}，"
               f"已安排 {stat.placed}，不参加 {stat.declined}）"])
    sheet.row(["出勤率", _pct(figures.attendance),
               f"出勤 {stat.present} + 迟到 {stat.late} / 应到 {stat.expected}（请假 {stat.leave}，"
               f"缺勤 {stat.absent}，未点名 {stat.missing}）"])
    sheet.row(["按时点名率", _pct(figures.on_time),
               f"按时 {stat.lessons_on_time} / 已点名 {stat.lessons_taken}（课次 {stat.lessons}）"])
    sheet.row(["教师参与率", _pct(figures.staff),
               f"参与 {stat.staff_taking_part} / 在职 {stat.staff_total}；课时合计 "
               f"{stat.period_equivalents}"])
    sheet.row(["家长满意率", _pct(figures.satisfaction),
               f"答卷 {stat.survey_responses}" if stat.survey_responses else "暂无调查"])
    sheet.row(["缺勤提醒", stat.alerts, f"已处理 {stat.alerts_handled}，平均 "
               f"{figures.alert_mean_minutes if figures.alert_mean_minutes is not None else '—'}"
               f" 分钟，30 分钟内 {_pct(figures.alerts_within_30)}"])
    sheet.row(["巡查", stat.patrols, f"发现问题 {stat.findings}，月末未关闭整改 "
               f"{stat.open_follow_ups}"])
    sheet.row(["已发补助（元）", float(stat.subsidy) if stat.subsidy is not None else "—", ""])

    rooms = book.sheet("参与与出勤（班级）", widths=[10, 14] + [9] * 12, freeze="C2")
    rooms.header(["年级", "班级", "学生", "申请参加", "审核通过", "已安排", "不参加", "参与率",
                  "应到", "出勤", "迟到", "请假", "缺勤", "未点名", "出勤率"])
    for grade in context["grades"]:
        for h in grade.homerooms:
            rooms.row([grade.name, h.homeroom.name, h.students, h.applied, h.approved, h.placed,
                       h.declined, _pct(sel.pct(h.applied, h.students)), h.expected, h.present,
                       h.late, h.leave, h.absent, h.missing, _pct(sel.attendance_rate(h))])

    weeks = book.sheet("出勤（按周）", widths=[18] + [9] * 11)
    weeks.header(["周", "应到", "出勤", "迟到", "请假", "缺勤", "未点名", "出勤率", "课次",
                  "已点名", "按时点名", "按时点名率"])
    for w in context["weeks"]:
        weeks.row([w.label, w.expected, w.present, w.late, w.leave, w.absent, w.missing,
                   _pct(w.rate), w.lessons, w.lessons_taken, w.lessons_on_time,
                   _pct(w.on_time_rate)])

    trend = book.sheet("趋势（按月）", widths=[12] + [10] * 6)
    trend.header(["月份", "出勤率", "按时点名率", "参与率", "教师参与率", "家长满意率", "巡查发现问题"])
    for t, f in context["trend_rows"]:
        trend.row([month_text(t.month), _pct(f.attendance), _pct(f.on_time),
                   _pct(f.participation), _pct(f.staff), _pct(f.satisfaction), t.findings])

    staff = book.sheet("教师工作量", widths=[14, 9, 9, 9, 9, 9])
    staff.header(["教师", "应上课次", "已上课次", "按时点名", "代课", "课时"])
    for s in context["staff"]:
        staff.row([s.staff.name, s.scheduled, s.delivered, s.on_time, s.substitutions,
                   float(s.period_equivalents)])

    courses = book.sheet("课程", widths=[16, 8, 8, 10, 10, 10])
    courses.header(["课程", "教学班", "学位", "已安排", "满员率", "出勤率"])
    for c, fill, rate in context["course_rows"]:
        courses.row([c.course.name, c.sections, c.capacity, c.placed_students, _pct(fill),
                     _pct(rate)])
    return book.to_bytes()


def district_workbook(district: str, month, rows, totals: dict) -> bytes:
    book = Book()
    sheet = book.sheet("各校对比", widths=[24] + [12] * 10, freeze="B2")
    sheet.header(["学校", "学生", "申请参加", "参与率", "出勤率", "按时点名率", "家长满意率",
                  "教师参与率", "已发补助（元）", "巡查次数", "发现问题"])
    for row in rows:
        s = row.stat
        if s is None:
            sheet.row([row.school.name, "本月无统计"])
            continue
        f = row.figures
        sheet.row([row.school.name, s.students, s.applied, _pct(f.participation),
                   _pct(f.attendance), _pct(f.on_time), _pct(f.satisfaction), _pct(f.staff),
                   float(s.subsidy) if s.subsidy is not None else "—",
                   s.patrols if s.patrols is not None else "—",
                   s.findings if s.findings is not None else "—"])
    sheet.row([f"{district}合计", totals["students"], totals["applied"],
               _pct(totals["participation"]), _pct(totals["attendance"]),
               _pct(totals["on_time"]), _pct(totals["satisfaction"]), _pct(totals["staff"]),
               float(totals["subsidy"]) if totals["subsidy"] is not None else "—", "",
               totals["findings"] if totals["findings"] is not None else "—"])
    return book.to_bytes()
