"""Labels and badges of safety in templates (the words live in ``safety/display.py``)."""

from django import template

from attendance import display as attendance_display

from .. import display

register = template.Library()


@register.filter
def day_label(day) -> str:
    return attendance_display.day_label(day) if day else ""


@register.filter
def when_label(moment) -> str:
    return attendance_display.when_label(moment)


@register.filter
def role_label(code: str) -> str:
    return attendance_display.ROLE_LABELS.get(code, code)


@register.filter
def follow_up_tone(status: str) -> str:
    return display.FOLLOW_UP_TONE.get(status, "secondary")


@register.filter
def presence_tone(status: str) -> str:
    return display.PRESENCE_TONE.get(status, "secondary")
