"""Monthly statements (课时补助月报): issued from the ledger, answered by the teacher, resolved
by the office, then final.

- :func:`statements_issue` makes each member of staff's statement of a month from the ledger,
  or brings one nobody has answered yet up to date (a correction or a substitute since); a
  statement the teacher has confirmed or disputed keeps its lines.
- :func:`statement_confirm` — the teacher: 确认无误, and it is final.
- :func:`statement_dispute` — the teacher disputes one line, or reports a missing item
  (补报), with a reason; the office is told.
- :func:`statement_line_resolve` — the office accepts a dispute with a corrected 课时, or
  declines it with a reason; the last one makes the statement final and tells the teacher.
- :func:`statement_finalize` — the office closes a statement nobody answered, with a reason.

Each write locks the statement row and checks the revision the page was built from, so two
phones (or a teacher and the office) never overwrite each other.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Role, School, Staff
from afterschool.notifications import NoticeSpec, notices_send
from attendance.duty import office_staff_of

from .. import exceptions as e
from ..display import month_label, number
from ..models import Statement, StatementLine
from ..months import first_of, last_of
from ..policy import workload_policy_for
from ..selectors.ledger import ledger_lines
from ..transitions import STATEMENT_MACHINE, STATEMENT_OFFICE_MACHINE

S = Statement.Status
D = StatementLine.Dispute
CENT = Decimal("0.01")
MAX_WEIGHT = Decimal("10")


@dataclass
class Issued:
    created: int = 0
    refreshed: int = 0
    unchanged: int = 0
    kept: int = 0          # answered already: their lines stay as the teacher saw them

    def __str__(self):
        parts = [f"新生成 {self.created} 份", f"按最新记录更新 {self.refreshed} 份"]
        if self.kept:
            parts.append(f"已确认或有异议的 {self.kept} 份未改动")
        return "，".join(parts)


def _require_office(actor: Actor, school: School, message: str) -> None:
    if not actor.has(Role.COORDINATOR) or actor.school is None or actor.school.pk != school.pk:
        raise e.EvaluationError(message)


def _lock(statement: Statement) -> Statement:
    return Statement.objects.select_for_update(of=("self",)).select_related(
        "staff__user", "school").get(pk=statement.pk)


def _check_revision(statement: Statement, revision: int | None) -> None:
    if revision is not None and revision != statement.revision:
        raise e.EvaluationError(e.STATEMENT_STALE.format(
            status=statement.get_status_display()))


def _retotal(statement: Statement, lines=None) -> None:
    lines = list(statement.lines.all()) if lines is None else lines
    total = sum((line.effective_weight for line in lines), Decimal("0")).quantize(CENT)
    statement.total = total
    statement.subsidy = (total * statement.rate).quantize(CENT)


def _line_rows(statement: Statement, items) -> list[StatementLine]:
    return [StatementLine(statement=statement, source=i.source, kind=i.kind, date=i.date,
                          title=i.title, weight=i.weight, lesson_id=i.lesson_id,
                          as_substitute=i.as_substitute) for i in items]


def _same(lines: list[StatementLine], items) -> bool:
    have = {(x.source, x.kind, x.date, x.title, x.weight.quantize(CENT)) for x in lines}
    want = {(i.source, i.kind, i.date, i.title, i.weight.quantize(CENT)) for i in items}
    return have == want


@transaction.atomic
def statements_issue(*, actor: Actor, school: School, month: dt.date,
                     now: dt.datetime | None = None) -> Issued:
    """Issue (or bring up to date) the month's statements of every member of staff who has a
    delivered lesson, a duty or a patrol in it, and tell each of them."""
    _require_office(actor, school, e.STATEMENT_ISSUE_NOT_ALLOWED)
    now = now or timezone.now()
    month = first_of(month)
    if month >= first_of(timezone.localdate(now)):
        raise e.EvaluationError(e.MONTH_FUTURE.format(month=month_label(month)))
    policy = workload_policy_for(school)
    by_staff: dict[int, list] = defaultdict(list)
    for item in ledger_lines(school, month, last_of(month), policy):
        by_staff[item.staff_id].append(item)
    staff = {s.pk: s for s in Staff.objects.filter(pk__in=list(by_staff)).select_related("user")}
    existing = {s.staff_id: s for s in Statement.objects.select_for_update().filter(
        school=school, month=month)}
    lines_of: dict[int, list[StatementLine]] = defaultdict(list)
    for line in StatementLine.objects.filter(statement__in=list(existing.values())):
        lines_of[line.statement_id].append(line)
    result = Issued()
    told = []
    for staff_id, items in sorted(by_staff.items()):
        person = staff[staff_id]
        statement = existing.pop(staff_id, None)
        if statement is None:
            statement = Statement(
                school=school, staff=person, month=month, issued_at=now,
                staff_type=(Statement.StaffType.EXTERNAL if person.is_external
                            else Statement.StaffType.TEACHER),
                rate=policy.rate_of(person))
            rows = _line_rows(statement, items)
            _retotal(statement, rows)
            statement.full_clean()
            statement.save()
            StatementLine.objects.bulk_create(rows)
            result.created += 1
            told.append(statement)
            continue
        if statement.status != S.ISSUED:
            result.kept += 1
            continue
        if _same(lines_of[statement.pk], items) and statement.rate == policy.rate_of(person):
            result.unchanged += 1
            continue
        _refresh(statement, items, policy.rate_of(person), actor, now)
        result.refreshed += 1
        told.append(statement)
    # Statements of people with nothing left in the ledger (every lesson corrected away):
    # emptied while nobody has answered them.
    for statement in existing.values():
        if statement.status == S.ISSUED and lines_of[statement.pk]:
            _refresh(statement, [], statement.rate, actor, now)
            result.refreshed += 1
    _tell_issued(school, month, told)
    return result


def _refresh(statement: Statement, items, rate: Decimal, actor: Actor, now) -> None:
    statement.lines.all().delete()
    rows = _line_rows(statement, items)
    StatementLine.objects.bulk_create(rows)
    statement.rate = rate
    _retotal(statement, rows)
    STATEMENT_MACHINE.transition(
        statement, S.ISSUED, actor=actor, at=now,
        comment=f"按最新考勤记录更新：合计 {number(statement.total)} 课时",
        values={"total": statement.total, "subsidy": statement.subsidy, "rate": rate,
                "issued_at": now, "revision": statement.revision + 1})


def _tell_issued(school: School, month: dt.date, statements: list[Statement]) -> None:
    specs = []
    for statement in statements:
        user = statement.staff.user
        if user is None:
            continue
        specs.append(NoticeSpec(
            user=user, title=f"{month_label(month)}课时补助月报待确认",
            body=(f"合计 {number(statement.total)} 课时，补助 {statement.subsidy} 元。"
                  "请核对每一项，无误请确认；有出入请对该项提出异议。"),
            url=reverse("evaluation:statement", args=[statement.pk]),
            key=f"statement:{statement.pk}:{statement.revision}"))
    notices_send(school=school, specs=specs)


@transaction.atomic
def statement_confirm(*, actor: Actor, statement: Statement, revision: int | None = None,
                      now: dt.datetime | None = None) -> Statement:
    now = now or timezone.now()
    statement = _lock(statement)
    _check_revision(statement, revision)
    STATEMENT_MACHINE.transition(
        statement, S.FINAL, actor=actor, at=now, comment="本人确认无误",
        in_scope=lambda role: actor.staff is not None and actor.staff.pk == statement.staff_id,
        values={"final_at": now, "revision": statement.revision + 1})
    return statement


def _reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise e.EvaluationError(e.DISPUTE_REASON_REQUIRED, field="reason")
    if len(text) > 200:
        raise e.EvaluationError(e.DISPUTE_REASON_TOO_LONG.format(length=len(text)),
                                field="reason")
    return text


@transaction.atomic
def statement_dispute(*, actor: Actor, statement: Statement, reason: str,
                      line: StatementLine | None = None, claim_date: dt.date | None = None,
                      claim_title: str = "", revision: int | None = None,
                      now: dt.datetime | None = None) -> StatementLine:
    """Dispute one line, or (no ``line``) report an item the ledger does not have (补报)."""
    now = now or timezone.now()
    statement = _lock(statement)
    if actor.staff is None or actor.staff.pk != statement.staff_id:
        raise e.EvaluationError(e.STATEMENT_NOT_YOURS)
    _check_revision(statement, revision)
    if statement.status not in (S.ISSUED, S.DISPUTED):
        raise e.EvaluationError(e.STATEMENT_NOT_OPEN.format(
            status=statement.get_status_display()))
    reason = _reason(reason)
    if line is not None:
        line = StatementLine.objects.select_for_update().filter(
            pk=line.pk, statement=statement).first()
        if line is None:
            raise e.EvaluationError(e.LINE_NOT_IN_STATEMENT)
        if line.dispute:
            raise e.EvaluationError(e.LINE_ALREADY_DISPUTED.format(
                date=f"{line.date:%m月%d日}", title=line.title, state=line.get_dispute_display()))
        line.dispute, line.dispute_reason, line.disputed_at = D.OPEN, reason, now
        line.full_clean()
        line.save(update_fields=["dispute", "dispute_reason", "disputed_at"])
        about = f"{line.date:%m月%d日} {line.title}"
    else:
        if claim_date is None:
            raise e.EvaluationError(e.CLAIM_DATE_REQUIRED, field="claim_date")
        if first_of(claim_date) != statement.month:
            raise e.EvaluationError(e.CLAIM_DATE_OUTSIDE.format(
                date=f"{claim_date:%m月%d日}", month=month_label(statement.month)),
                field="claim_date")
        n = statement.lines.filter(kind=StatementLine.Kind.CLAIM).count() + 1
        title = (claim_title or "").strip()[:150] or "漏记的课次"
        line = StatementLine(statement=statement, source=f"claim:{n}",
                             kind=StatementLine.Kind.CLAIM, date=claim_date,
                             title=f"补报：{title}", weight=Decimal("0"), dispute=D.OPEN,
                             dispute_reason=reason, disputed_at=now)
        line.full_clean()
        line.save()
        about = f"{claim_date:%m月%d日} 补报“{title}”"
    STATEMENT_MACHINE.transition(
        statement, S.DISPUTED, actor=actor, at=now, comment=f"{about}：{reason}",
        in_scope=lambda role: True, values={"revision": statement.revision + 1})
    _tell_office(statement, about, reason)
    return line


def _tell_office(statement: Statement, about: str, reason: str) -> None:
    specs = [NoticeSpec(user=user, title=f"{statement.staff.name}对{month_label(statement.month)}"
                        "课时月报有异议"[:100],
                        body=f"{about}：{reason}",
                        url=reverse("evaluation:statement", args=[statement.pk]))
             for user in office_staff_of(statement.school_id)]
    notices_send(school=statement.school, specs=specs)


def parse_weight(value) -> Decimal:
    try:
        weight = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise e.EvaluationError(e.RESOLVE_WEIGHT_BAD.format(value=str(value)[:20]),
                                field="corrected_weight") from None
    if not weight.is_finite() or weight < 0 or weight > MAX_WEIGHT \
            or weight != weight.quantize(CENT):
        raise e.EvaluationError(e.RESOLVE_WEIGHT_BAD.format(value=str(value)[:20]),
                                field="corrected_weight")
    return weight


@transaction.atomic
def statement_line_resolve(*, actor: Actor, line: StatementLine, accept: bool, note: str,
                           corrected_weight=None, revision: int | None = None,
                           now: dt.datetime | None = None) -> Statement:
    """The office answers one dispute; when none is left open the statement is final."""
    now = now or timezone.now()
    statement = _lock(line.statement)
    _require_office(actor, statement.school, e.RESOLVE_NOT_ALLOWED)
    _check_revision(statement, revision)
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    if line.dispute != D.OPEN:
        raise e.EvaluationError(e.RESOLVE_NOT_OPEN.format(state=line.get_dispute_display()))
    note = (note or "").strip()
    if not note:
        raise e.EvaluationError(e.RESOLVE_NOTE_REQUIRED, field="note")
    if len(note) > 200:
        raise e.EvaluationError(e.DISPUTE_REASON_TOO_LONG.format(length=len(note)),
                                field="note")
    if accept:
        if corrected_weight in (None, ""):
            raise e.EvaluationError(e.RESOLVE_WEIGHT_REQUIRED, field="corrected_weight")
        line.corrected_weight = parse_weight(corrected_weight)
        line.dispute = D.ACCEPTED
        verdict = f"采纳，课时 {number(line.weight)} → {number(line.corrected_weight)}"
    else:
        line.corrected_weight = None
        line.dispute = D.DECLINED
        verdict = "不采纳"
    line.resolution_note, line.resolved_by, line.resolved_at = note, actor.user, now
    line.full_clean()
    line.save(update_fields=["dispute", "corrected_weight", "resolution_note", "resolved_by",
                             "resolved_at"])
    _retotal(statement)
    still_open = statement.lines.filter(dispute=D.OPEN).exists()
    values = {"total": statement.total, "subsidy": statement.subsidy,
              "revision": statement.revision + 1}
    if not still_open:
        values["final_at"] = now
    STATEMENT_OFFICE_MACHINE.transition(
        statement, S.DISPUTED if still_open else S.FINAL, actor=actor, at=now,
        comment=f"{line.date:%m月%d日} {line.title}：{verdict}。{note}", values=values,
        in_scope=lambda role: True)
    if not still_open:
        _tell_resolved(statement)
    return statement


def _tell_resolved(statement: Statement) -> None:
    user = statement.staff.user
    if user is None:
        return
    notices_send(school=statement.school, specs=[NoticeSpec(
        user=user, title=f"{month_label(statement.month)}课时补助月报异议已处理，已定稿",
        body=f"合计 {number(statement.total)} 课时，补助 {statement.subsidy} 元。",
        url=reverse("evaluation:statement", args=[statement.pk]))])


@transaction.atomic
def statement_finalize(*, actor: Actor, statement: Statement, comment: str,
                       revision: int | None = None,
                       now: dt.datetime | None = None) -> Statement:
    """The office closes a statement its teacher never answered (e.g. 逾期未确认)."""
    now = now or timezone.now()
    statement = _lock(statement)
    _require_office(actor, statement.school, e.RESOLVE_NOT_ALLOWED)
    _check_revision(statement, revision)
    STATEMENT_OFFICE_MACHINE.transition(
        statement, S.FINAL, actor=actor, at=now, comment=comment, in_scope=lambda role: True,
        values={"final_at": now, "revision": statement.revision + 1})
    return statement
