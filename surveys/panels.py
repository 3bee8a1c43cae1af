"""Home-page panels of the surveys (registered in ``SurveysConfig.ready``)."""

from __future__ import annotations

from afterschool.access import Actor
from afterschool.models import Role


def guardian_survey_panel(actor: Actor) -> dict | None:
    """家长: an open survey waiting for a child's answer (or answered, changeable until it
    closes)."""
    if not actor.has(Role.GUARDIAN) or actor.school is None:
        return None
    from .family import family_surveys

    rows = [r for r in family_surveys(actor, only_open=True) if r.open]
    if not rows:
        return None
    waiting = any(not r.answered for r in rows)
    return {"template": "surveys/_panel_guardian.html", "order": 9 if waiting else 40,
            "rows": rows, "waiting": waiting}


def office_survey_panel(actor: Actor) -> dict | None:
    """办公室、校长: the open surveys and how many answers are in."""
    if actor.school is None or not actor.has(Role.COORDINATOR, Role.PRINCIPAL):
        return None
    from .access import surveys_visible_to
    from .models import Survey
    from .selectors import surveys_with_counts

    surveys = list(surveys_with_counts(surveys_visible_to(actor).filter(
        status=Survey.Status.OPEN))[:3])
    if not surveys:
        return None
    return {"template": "surveys/_panel_office.html", "order": 45, "surveys": surveys}
