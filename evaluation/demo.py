"""The demo's statements, assessments and 公示: the months of the demo term before this one.

A demo step (``afterschool.demo.register_demo_step``, joined in ``EvaluationConfig.ready``),
after attendance's (which takes the roll calls). For the demo school:

- the month before last, as a month the school has closed: every statement final (its teachers
  confirmed them), the assessment confirmed by the principal, the 公示 built after that, so it
  carries the commendation and follow-up lists;
- last month, as the office finds it on the 1st: statements issued and waiting for their
  teachers — one confirmed, one with a disputed line for the office to resolve, the demo
  tutor's still to check — the assessment proposed for the principal, the 公示 built by the
  morning's job.

Idempotent: each part is done only when it is missing (the statements are issued through the
same service, which changes nothing when the ledger has not moved).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from afterschool import demo as core_demo
from afterschool.access import actor_for
from afterschool.models import Notice, User
from afterschool.selectors import current_term

from .display import month_label
from .models import (
    Assessment,
    Publication,
    PublicationJob,
    Statement,
    StatementLine,
    WorkloadPolicy,
)
from .months import first_of, month_key, shift
from .services import (
    assessment_compute,
    assessment_confirm,
    publication_build,
    statement_confirm,
    statement_dispute,
    statement_finalize,
    statements_issue,
)

DISPUTE_REASON = "这节课我因公外出，由其他老师代上，请核实后扣除"
EXTERNAL_RATE = Decimal("100")


def evaluation_demo(demo: dict, stdout=None) -> None:
    school = demo.get("school")
    term = current_term(school) if school is not None else None
    coordinator = User.objects.filter(phone=core_demo.COORDINATOR.phone).first()
    principal = User.objects.filter(phone=core_demo.PRINCIPAL.phone).first()
    if term is None or coordinator is None or principal is None:
        return
    office, head = actor_for(coordinator, school), actor_for(principal, school)
    # The demo's rates: its teachers' from the school's figure, external instructors per session.
    WorkloadPolicy.objects.get_or_create(school=school, defaults={
        "rate_teacher": school.subsidy_per_period, "rate_external": EXTERNAL_RATE})
    this_month = first_of(timezone.localdate())
    made = []
    for month in (shift(this_month, -2), shift(this_month, -1)):
        if month < first_of(term.start_date) or month > term.end_date:
            continue
        closed = month < shift(this_month, -1)
        issued = statements_issue(actor=office, school=school, month=month)
        if issued.created:
            made.append(f"{month.month}月月报 {issued.created} 份")
        _answer(school, month, closed=closed, office=office)
        if closed:  # the teachers read their notices when they confirmed
            Notice.objects.filter(school=school, read_at__isnull=True,
                                  title=f"{month_label(month)}课时补助月报待确认").update(
                read_at=timezone.now())
        assessment = Assessment.objects.filter(school=school, period=Assessment.Period.MONTH,
                                               start_date=month).first()
        if assessment is None:
            assessment = assessment_compute(actor=office, school=school,
                                            period=Assessment.Period.MONTH, month=month)
        if closed and assessment.status == Assessment.Status.PROPOSED:
            entries = list(assessment.entries.all())
            assessment_confirm(
                actor=head, assessment=assessment,
                commend_ids=[x.pk for x in entries if x.listed == "commend"],
                follow_up_ids=[x.pk for x in entries if x.listed == "follow_up"])
        if not Publication.objects.filter(school=school, month=month).exists():
            job, _ = PublicationJob.objects.get_or_create(
                school=school, trigger=f"beat:{month_key(month)}", defaults={"month": month})
            publication_build(job_id=job.pk)
            made.append(f"{month.month}月公示")
    if stdout is not None and made:
        stdout.write(f"{school.name}：" + "，".join(made) + "。")


def _answer(school, month: dt.date, *, closed: bool, office) -> None:
    """The teachers' answers: all of them in a closed month, two in the current one."""
    waiting = list(Statement.objects.filter(school=school, month=month,
                                            status=Statement.Status.ISSUED)
                   .select_related("staff__user").order_by("staff__name", "pk"))
    demo_phones = {core_demo.TUTOR.phone, core_demo.EXTERNAL.phone}
    if not closed:
        if Statement.objects.filter(school=school, month=month).exclude(
                status=Statement.Status.ISSUED).exists():
            return  # answered already
        waiting = [s for s in waiting if s.staff.phone not in demo_phones
                   and s.staff.user_id is not None][:2]
    for n, statement in enumerate(waiting):
        if statement.staff.user is None:
            statement_finalize(actor=office, statement=statement,
                               comment="本人未开通账号，按考勤记录定稿")
            continue
        teacher = actor_for(statement.staff.user, school)
        if not closed and n == 1:
            line = (StatementLine.objects.filter(statement=statement)
                    .order_by("-date", "pk").first())
            if line is not None:
                statement_dispute(actor=teacher, statement=statement, line=line,
                                  reason=DISPUTE_REASON)
                continue
        statement_confirm(actor=teacher, statement=statement)

