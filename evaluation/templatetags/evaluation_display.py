"""Template filters of evaluation: 课时 and amounts without noise, badge tones, month names."""

from django import template

from afterschool.models import Role
from afterschool.workflow import SYSTEM, SYSTEM_LABEL

from .. import display

register = template.Library()
ROLE_LABELS = {**{r.value: r.label for r in Role}, SYSTEM: SYSTEM_LABEL}


@register.filter
def hours(value) -> str:
    """12.50 → 12.5; 3.00 → 3."""
    return display.number(value)


@register.filter
def money(value) -> str:
    return display.money(value)


@register.filter
def month_text(value) -> str:
    return display.month_label(value) if value else ""


@register.filter
def statement_tone(status: str) -> str:
    return display.STATEMENT_TONE.get(status, "secondary")


@register.filter
def dispute_tone(state: str) -> str:
    return display.DISPUTE_TONE.get(state, "secondary")


@register.filter
def job_tone(status: str) -> str:
    return display.JOB_TONE.get(status, "secondary")


@register.filter
def assessment_tone(status: str) -> str:
    return display.ASSESSMENT_TONE.get(status, "secondary")


@register.filter
def role_label(code: str) -> str:
    return ROLE_LABELS.get(code, code or "")


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


@register.filter
def score(value) -> str:
    return "—" if value is None else display.number(value)
