"""The respondent key: how a family finds its own answer without anyone else finding it.

``key(survey, student)`` is an HMAC of the survey's and the child's ids under the site's secret
key (Django's ``salted_hmac`` with a salt of our own). The database stores only the key, so a
copy of the database — or a member of staff with a report tool — cannot tell whose a response
is without the secret, and no page of the site asks for it. The same child always gets the same
key for the same survey, which the unique constraint on (survey, key) turns into "one answer per
child per survey".

When the secret key is rotated (``SECRET_KEY_FALLBACKS``), a family's earlier answer is still
found under a fallback key: :func:`candidate_keys` lists every key the child may have been
stored under, newest first.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "surveys.respondent"


def _key(survey_id: int, student_id: int, secret: str) -> str:
    return salted_hmac(SALT, f"{survey_id}:{student_id}", secret=secret,
                       algorithm="sha256").hexdigest()


def respondent_key(survey_id: int, student_id: int) -> str:
    """The key a new answer is stored under."""
    return _key(survey_id, student_id, settings.SECRET_KEY)


def candidate_keys(survey_id: int, student_id: int) -> list[str]:
    """Every key an earlier answer of this child may carry: the current secret's first."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return list(dict.fromkeys(_key(survey_id, student_id, s) for s in secrets))
