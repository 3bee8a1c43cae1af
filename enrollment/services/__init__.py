"""Writes of enrollment, one module per sub-domain; the public services are named here.

``filling`` (open, save, sign and submit the intention form), ``review`` (every status change,
one or many, along ``enrollment.transitions``), ``notifications`` (telling the guardians),
``term`` (the application window, the texts, the agreement); ``common`` holds what they share.
"""

from .filling import (
    Submission,
    application_save_and_submit,
    application_sign,
    application_start,
    application_update,
)
from .notifications import (
    NOTICE_TEXT,
    families_remind,
    mark_not_notified,
    transitions_notify,
    transitions_pending,
)
from .privacy import (
    ConsentWithdrawal,
    privacy_consent_give,
    privacy_consent_withdraw,
    privacy_notice_publish,
)
from .review import (
    application_place,
    application_rejoin,
    application_submit,
    application_transition,
    application_withdraw,
    applications_approve,
    applications_place,
    applications_transition_bulk,
)
from .term import TERM_ENROLLMENT_FIELDS, agreement_publish, term_update_enrollment, window_check

__all__ = [
    "NOTICE_TEXT",
    "ConsentWithdrawal",
    "TERM_ENROLLMENT_FIELDS",
    "Submission",
    "agreement_publish",
    "application_place",
    "application_rejoin",
    "application_save_and_submit",
    "application_sign",
    "application_start",
    "application_submit",
    "application_transition",
    "application_update",
    "application_withdraw",
    "applications_approve",
    "applications_place",
    "applications_transition_bulk",
    "families_remind",
    "mark_not_notified",
    "privacy_consent_give",
    "privacy_consent_withdraw",
    "privacy_notice_publish",
    "term_update_enrollment",
    "transitions_notify",
    "transitions_pending",
    "window_check",
]
