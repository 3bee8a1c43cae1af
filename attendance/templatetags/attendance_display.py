"""Badges and labels of attendance in templates (the words live in ``attendance/display.py``)."""

from django import template

from .. import display

register = template.Library()


@register.filter
def record_tone(status: str) -> str:
    return display.RECORD_TONE.get(status or "", "secondary")


@register.filter
def record_label(status: str) -> str:
    return display.record_label(status or "")


@register.filter
def leave_tone(status: str) -> str:
    return display.LEAVE_TONE.get(status, "secondary")


@register.filter
def alert_tone(status: str) -> str:
    return display.ALERT_TONE.get(status, "secondary")


@register.filter
def role_label(code: str) -> str:
    return display.ROLE_LABELS.get(code, code)


@register.filter
def leave_span(leave) -> str:
    return display.leave_span(leave)


@register.filter
def day_label(day) -> str:
    return display.day_label(day) if day else ""


@register.filter
def when_label(moment) -> str:
    return display.when_label(moment)
