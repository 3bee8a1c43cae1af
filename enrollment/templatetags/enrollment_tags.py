from django import template

from afterschool.cleaning import mask_phone as _mask_phone
from afterschool.formatting import weekdays_text

from ..display import (
    ROLE_LABELS,
    STATUS_SHORT,
    STATUS_TONE,
    acted_by,
    move_label,
    move_style,
    status_sentence,
)

register = template.Library()


@register.filter
def status_text(application):
    return status_sentence(application)


@register.filter
def status_tone(application):
    return STATUS_TONE.get(getattr(application, "status", ""), "light")


@register.filter
def role_label(value):
    return ROLE_LABELS.get(value, value or "")


@register.filter
def weekdays(value):
    return weekdays_text(value or [])


@register.filter
def mask_phone(value):
    return _mask_phone(value or "")


@register.filter
def status_short(application):
    return STATUS_SHORT.get(getattr(application, "status", ""), "")


@register.filter(name="move_label")
def move_label_filter(move):
    return move_label(move)


@register.filter(name="move_style")
def move_style_filter(move):
    return move_style(move)


@register.filter(name="acted_by")
def acted_by_filter(transition):
    return acted_by(transition)
