"""Deletion by anonymisation: a child's (and a guardian's) personal fields are blanked, while the
rows the 公示 and the statistics count stay where they are.

What stays: the student row with its homeroom, gender-free and nameless; its applications with
their status, participation and weekdays (participation rates); placements, attendance records,
leave requests, dismissals and alerts with their dates and statuses (attendance tables, the
monthly aggregates, the dashboards). What goes: the name and 学籍号, health notes, allergies,
every phone number, the pickup persons (the list, the one-day changes, the pickup codes), every
free text a person typed about the child, and the child's name inside notices already sent.

A guardian with no other child in the school is anonymised too: name, phone, e-mail, the login's
link to the school, their notices; the login itself is closed when it has no other role anywhere.
Consent records (E1's PrivacyConsent, a withdrawal's words scrubbed) and the access log are kept:
they prove what was agreed and who looked, and name the child only by the (now nameless) row.

Run inside the caller's transaction (:func:`privacy.services.data_request_carry_out`).
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Q, Value
from django.db.models.functions import Replace

from afterschool.models import (
    AccountEvent,
    AccountLink,
    Guardian,
    Notice,
    RoleAssignment,
    Staff,
    Student,
    StudentGuardian,
    new_activation_code,
)
from attendance.models import (
    AbsenceAlert,
    AttendanceCorrection,
    AttendanceRecord,
    Dismissal,
    DutyHandover,
    LeaveRequest,
    LeaveRequestChange,
    PickupChange,
    PickupCode,
)
from enrollment.models import (
    Application,
    ApplicationTransition,
    PickupPerson,
    PrivacyConsent,
    Signature,
)
from surveys.family import own_response
from surveys.models import Survey, SurveyAnswer

from .models import DataRequest

# What a blanked name reads as wherever it is still shown (rosters of past terms, the 公示).
ERASED = "（已删除）"
# An anonymised child's 学籍号 starts with this (the number stays unique per school).
ERASED_NO_PREFIX = "已删除-"
# Shortest text replaced inside notices: a one-character "name" would rewrite unrelated words.
MIN_REPLACED = 2


def placeholder_phone(pk: int) -> str:
    """An 11-digit number no mobile has (no Chinese mobile number starts with 10), unique per
    row, so the phone's validator and uniqueness still hold."""
    return f"10{pk:09d}"


def _scrub_notices(school_id: int, texts: set[str]) -> int:
    """Replace each of ``texts`` in the school's notices (title and body) by :data:`ERASED`."""
    changed = 0
    for text in sorted(t for t in texts if t and len(t) >= MIN_REPLACED and t != ERASED):
        changed += (Notice.objects.filter(school_id=school_id)
                    .filter(Q(title__contains=text) | Q(body__contains=text))
                    .update(title=Replace("title", Value(text), Value(ERASED)),
                            body=Replace("body", Value(text), Value(ERASED))))
    return changed


def student_anonymise(student: Student) -> Counter:
    """Blank one child's personal fields everywhere; return what was changed, by kind."""
    done: Counter = Counter()
    student = Student.objects.select_for_update().get(pk=student.pk)
    # Every name and phone that may have been copied into a notice's words.
    texts = {student.name, student.student_no}
    applications = Application.objects.filter(student=student)
    for row in PickupPerson.objects.filter(application__in=applications):
        texts |= {row.name, row.phone}
    for row in PickupChange.objects.filter(student=student):
        texts |= {row.name, row.phone}
    for row in PickupCode.objects.filter(student=student):
        texts |= {row.person_name, row.person_phone}
    for row in Dismissal.objects.filter(student=student):
        texts |= {row.to_name, row.to_phone}
    for row in DutyHandover.objects.filter(student=student):
        texts |= {row.person_name, row.person_phone}
    for row in applications:
        texts.add(row.contact_phone)

    done["意向书"] = applications.update(
        health_notes="", allergies="", contact_phone="", decision_comment="")
    applications.exclude(withdraw_reason="").update(withdraw_reason=ERASED)
    done["授权接送人"] = PickupPerson.objects.filter(application__in=applications).delete()[0]
    done["协议签署"] = Signature.objects.filter(application__in=applications).update(
        signed_name=ERASED, ip_address=None)
    ApplicationTransition.objects.filter(application__in=applications).exclude(
        comment="").update(comment="")
    leaves = LeaveRequest.objects.filter(student=student)
    done["请假"] = leaves.update(reason=ERASED, decision_comment="")
    LeaveRequestChange.objects.filter(leave__in=leaves).exclude(comment="").update(comment="")
    done["点名备注"] = AttendanceRecord.objects.filter(student=student).exclude(note="").update(
        note="")
    AttendanceCorrection.objects.filter(record__student=student).update(reason=ERASED)
    AbsenceAlert.objects.filter(student=student).exclude(outcome="").update(outcome=ERASED)
    done["当日接送人"] = PickupChange.objects.filter(student=student).delete()[0]
    # Dismissals point at their code (SET_NULL): the handover itself stays.
    done["接送码"] = PickupCode.objects.filter(student=student).delete()[0]
    done["放学交接"] = Dismissal.objects.filter(student=student).update(
        to_name=ERASED, to_relation="", to_phone="", note="")
    # A picked-up dismissal must name a person (a constraint): ERASED stays there; others blank.
    Dismissal.objects.filter(student=student).exclude(method=Dismissal.Method.PICKED_UP).update(
        to_name="")
    done["移交值日教师"] = DutyHandover.objects.filter(student=student).update(
        person_relation="", person_phone="")
    DutyHandover.objects.filter(student=student, reason=DutyHandover.Reason.UNLISTED).update(
        person_name=ERASED)
    DutyHandover.objects.filter(student=student).exclude(
        reason=DutyHandover.Reason.UNLISTED).update(person_name="")
    # Survey answers are anonymous already; the child's own free-text answers are cleared,
    # the scores (the satisfaction rates) stay.
    done["调查文字回答"] = SurveyAnswer.objects.filter(
        response__in=child_responses(student)).exclude(text="").update(text="")
    # Consents are never deleted (they prove what was agreed); a withdrawal's words may name
    # people, so those are scrubbed like every other text.
    for consent in PrivacyConsent.objects.filter(student=student).exclude(withdraw_reason=""):
        consent.withdraw_reason = _without(consent.withdraw_reason, texts) or ERASED
        consent.save(update_fields=["withdraw_reason"])
    for request in DataRequest.objects.filter(student=student):
        request.text = _without(request.text, texts)
        request.outcome = _without(request.outcome, texts)
        request.save(update_fields=["text", "outcome"])
    done["通知"] = _scrub_notices(student.school_id, texts)

    student.name = ERASED
    student.student_no = f"{ERASED_NO_PREFIX}{student.pk}"
    student.gender = ""
    student.save(update_fields=["name", "student_no", "gender"])
    done["学生"] = 1

    for guardian in Guardian.objects.filter(student_links__student=student).distinct():
        others = (StudentGuardian.objects.filter(guardian=guardian)
                  .exclude(student=student)
                  .exclude(student__student_no__startswith=ERASED_NO_PREFIX))
        if not others.exists():
            done["家长"] += guardian_anonymise(guardian)
    return done


def published_surveys(school_id: int) -> list[Survey]:
    return list(Survey.objects.filter(school_id=school_id).exclude(status=Survey.Status.DRAFT)
                .order_by("pk"))


def child_responses(student: Student, surveys: list[Survey] | None = None) -> list:
    """The child's own survey answers, found through the respondent key (surveys.family): one
    query per survey of the school, a handful a year."""
    if surveys is None:
        surveys = published_surveys(student.school_id)
    found = []
    for survey in surveys:
        response = own_response(survey, student)
        if response is not None:
            found.append(response)
    return found


def _without(text: str, texts: set[str]) -> str:
    for word in texts:
        if word and len(word) >= MIN_REPLACED:
            text = text.replace(word, ERASED)
    return text


def guardian_anonymise(guardian: Guardian) -> int:
    """Blank a guardian's details, unlink their login from this school, and close the login
    when it holds no other role anywhere. Returns 1 (a count for the caller's report)."""
    guardian = Guardian.objects.select_for_update().get(pk=guardian.pk)
    user = guardian.user
    _scrub_notices(guardian.school_id, {guardian.name, guardian.phone, guardian.email})
    if user is not None:
        Notice.objects.filter(school_id=guardian.school_id, user=user).delete()
    AccountLink.objects.filter(guardian=guardian).delete()
    AccountEvent.objects.filter(guardian=guardian).update(detail="", ip_address=None)
    guardian.name = ERASED
    guardian.phone = placeholder_phone(guardian.pk)
    guardian.email = ""
    guardian.user = None
    guardian.activation_code = new_activation_code()
    guardian.letter_printed_at = guardian.activation_expires_at = None
    guardian.save(update_fields=["name", "phone", "email", "user", "activation_code",
                                 "letter_printed_at", "activation_expires_at"])
    if user is not None and not _has_other_roles(user):
        user.name = ""
        user.email = ""
        user.phone = placeholder_phone(user.pk)
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["name", "email", "phone", "is_active", "password"])
    return 1


def _has_other_roles(user) -> bool:
    return (Guardian.objects.filter(user=user).exists()
            or Staff.objects.filter(user=user).exists()
            or RoleAssignment.objects.filter(user=user).exists()
            or user.is_staff or user.is_superuser)
