"""How attendance reads to people: labels and badge tones of records, leave requests and
absence alerts, the names and button styles of the leave moves, dates in plain Chinese."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from afterschool.models import WEEKDAY_LABELS, Role
from afterschool.workflow import SYSTEM, SYSTEM_LABEL

from .models import AbsenceAlert, AttendanceRecord, LeaveRequest

RecordStatus = AttendanceRecord.Status
LeaveStatus = LeaveRequest.Status
AlertStatus = AbsenceAlert.Status

# A record's badge; "" is a roll call not taken yet.
RECORD_TONE = {RecordStatus.PRESENT: "success", RecordStatus.LATE: "warning",
               RecordStatus.LEAVE: "info", RecordStatus.ABSENT: "danger", "": "secondary"}
RECORD_NOT_TAKEN = "未点名"

LEAVE_TONE = {LeaveStatus.PENDING: "warning", LeaveStatus.APPROVED: "success", LeaveStatus.DECLINED: "danger",
              LeaveStatus.CANCELLED: "secondary"}
ALERT_TONE = {AlertStatus.OPEN: "danger", AlertStatus.ESCALATED: "danger", AlertStatus.HANDLED: "success"}

# The moves of ``attendance.transitions.LEAVE_TRANSITIONS`` by name.
LEAVE_MOVE_LABELS = {
    "approve": "批准",
    "decline": "不批准",
    "cancel": "撤销请假",
}
LEAVE_MOVE_STYLES = {
    "approve": "success",
    "decline": "outline-danger",
    "cancel": "outline-secondary",
}

# Who acted, in a history: a role, or the system.
ROLE_LABELS = {**{r.value: r.label for r in Role}, SYSTEM: SYSTEM_LABEL}

# What the person handling an absence alert most often writes: one tap each.
ALERT_OUTCOMES = ("家长已接回", "已联系，在家", "已联系，在校内找到", "已联系，家长知情")
# The outcome written when a correction of the roll call closes an alert.
OUTCOME_CORRECTED = "点名更正"
# … and when a leave approved after the roll call explains the absence.
OUTCOME_LEAVE_APPROVED = "请假已批准"


def record_label(status: str) -> str:
    return RecordStatus(status).label if status else RECORD_NOT_TAKEN


def day_label(day: dt.date) -> str:
    """E.g. "12月3日（周四）"."""
    return f"{day.month}月{day.day}日（{WEEKDAY_LABELS[day.weekday()]}）"


def when_label(moment: dt.datetime | None) -> str:
    """E.g. "12月3日 16:52"."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def leave_span(leave: LeaveRequest, lessons=None) -> str:
    """What a leave covers: "12月3日（周四）", "12月3日（周四）至12月5日（周六）", or the named
    lessons ("12月3日（周四）17:30 篮球"). ``lessons`` are its prefetched lessons, if any."""
    named = list(lessons if lessons is not None else leave.lessons.all())
    if named:
        return "、".join(f"{day_label(x.date)}{x.start_time:%H:%M} {x.title}" for x in named)
    if leave.start_date == leave.end_date:
        return f"{day_label(leave.start_date)}全天"
    return f"{day_label(leave.start_date)}至{day_label(leave.end_date)}"


# ---------------------------------------------------------------------------- dismissal

def dismissal_text(dismissal) -> str:
    """What the family reads: "17:52 已由 王丽（母亲）接走", "17:50 已护送出校门"."""
    from .models import Dismissal

    method = Dismissal.Method
    at = f"{timezone.localtime(dismissal.released_at):%H:%M}"
    if dismissal.method == method.PICKED_UP:
        person = (f"{dismissal.to_name}（{dismissal.to_relation}）" if dismissal.to_relation
                  else dismissal.to_name)
        return f"{at} 已由 {person}接走"
    if dismissal.method == method.BUS:
        return f"{at} 已送上校车" + (f"（{dismissal.bus_route}）" if dismissal.bus_route else "")
    if dismissal.method == method.DORMITORY:
        return f"{at} 已交宿舍"
    return f"{at} 已护送出校门"


DISMISSAL_VIA_TONE = {"group": "secondary", "code": "success", "list": "primary",
                      "confirmed": "warning"}


def qr_svg(text: str) -> str:
    """``text`` as an inline SVG QR code (drawn here: the school's network reaches no CDN)."""
    import segno
    from django.utils.safestring import mark_safe

    svg = segno.make(text, error="m").svg_inline(scale=6, border=2, omitsize=True,
                                                  title="接送码二维码")
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-label="接送码二维码" ', 1))  # noqa: S308 - segno's own markup
