"""The workload ledger and the monthly statements: who a lesson counts for, weights, rates,
confirm, dispute, resolve, refresh, refusals."""

import datetime as dt
from decimal import Decimal

import pytest

from afterschool.models import Notice
from attendance.models import Lesson
from evaluation import exceptions as e
from evaluation.models import Statement, StatementChange, StatementLine, WorkloadPolicy
from evaluation.policy import workload_policy_for
from evaluation.selectors.ledger import ledger_lines, staff_counts
from evaluation.services import (
    statement_confirm,
    statement_dispute,
    statement_finalize,
    statement_line_resolve,
    statements_issue,
)

from .builders import DEC_5, NOV, as_staff, at, correct, make_lesson, office, take

pytestmark = pytest.mark.django_db
K = Lesson.Kind
S = Statement.Status
D = StatementLine.Dispute
NOV_30 = dt.date(2024, 11, 30)


@pytest.fixture
def month(world):
    """November 2024, by hand:

    - 11-04 作业辅导 (tutor), taken at 16:42: on time;
    - 11-05 篮球 (tutor, substitute external), taken by the substitute at 16:55: late;
    - 11-06 书法 (tutor), never taken;
    - 11-07 阅读写字 (homeroom teacher), never sent, but the office corrected a record after
      locking: delivered, not on time;
    - 11-11 寄宿生晚读 (homeroom teacher), taken at 18:58 for a 18:55 start: on time;
    - 11-12 作业辅导 (tutor), cancelled; 10-31 作业辅导 (tutor), taken, another month.
    """
    t, kids = world.term, [world.child, world.other_child]
    lessons = {
        "hw": make_lesson(t, dt.date(2024, 11, 4), kids, tutors=[world.tutor]),
        "club": make_lesson(t, dt.date(2024, 11, 5), kids, tutors=[world.tutor],
                            substitute=world.external, title="篮球", kind=K.COURSE),
        "missed": make_lesson(t, dt.date(2024, 11, 6), kids, tutors=[world.tutor],
                              title="书法", kind=K.COURSE),
        "fixed": make_lesson(t, dt.date(2024, 11, 7), kids, tutors=[world.homeroom_teacher],
                             title="阅读写字", kind=K.FIXED),
        "reading": make_lesson(t, dt.date(2024, 11, 11), [world.child],
                               tutors=[world.homeroom_teacher], title="寄宿生阅读",
                               kind=K.READING, start=(18, 55), end=(19, 35)),
        "cancelled": make_lesson(t, dt.date(2024, 11, 12), kids, tutors=[world.tutor],
                                 cancelled=True),
        "october": make_lesson(t, dt.date(2024, 10, 31), kids, tutors=[world.tutor]),
    }
    take(lessons["hw"], {world.child: "present", world.other_child: "late"}, by=world.tutor,
         when=at(dt.date(2024, 11, 4), 16, 42))
    take(lessons["club"], {world.child: "present", world.other_child: "present"},
         by=world.external, when=at(dt.date(2024, 11, 5), 16, 55))
    correct(lessons["fixed"], world.child, "present", by_user=world.coordinator,
            when=at(dt.date(2024, 11, 8), 9))
    take(lessons["reading"], {world.child: "present"}, by=world.homeroom_teacher,
         when=at(dt.date(2024, 11, 11), 18, 58))
    take(lessons["october"], {world.child: "present", world.other_child: "present"},
         by=world.tutor, when=at(dt.date(2024, 10, 31), 16, 41))
    WorkloadPolicy.objects.create(school=world.school, weight_course=Decimal("1.5"),
                                  weight_fixed=Decimal("0.5"), weight_reading=Decimal("0.8"),
                                  rate_teacher=Decimal("30"), rate_external=Decimal("80"))
    return lessons


def counts_of(world):
    found = staff_counts(world.school, NOV, NOV_30, workload_policy_for(world.school))
    return {pk: (c.scheduled, c.delivered, c.on_time, c.substitutions, c.equivalents)
            for pk, c in found.items()}


def test_the_ledger_by_hand(world, month):
    assert counts_of(world) == {
        world.tutor.pk: (2, 1, 1, 0, Decimal("1.00")),
        world.external.pk: (1, 1, 0, 1, Decimal("1.50")),
        world.homeroom_teacher.pk: (2, 2, 1, 0, Decimal("1.30")),
    }


def test_a_lesson_taught_by_two_counts_for_both(world, month):
    lesson = make_lesson(world.term, dt.date(2024, 11, 13), [world.child],
                         tutors=[world.tutor, world.duty_teacher], title="社团", kind=K.COURSE)
    take(lesson, {world.child: "present"}, by=world.tutor, when=at(lesson.date, 16, 41))
    counts = counts_of(world)
    assert counts[world.tutor.pk][:3] == (3, 2, 2)
    assert counts[world.duty_teacher.pk] == (1, 1, 1, 0, Decimal("1.50"))


def test_a_late_substitution_and_a_correction_flow_into_the_ledger(world, month):
    # The office gives the never-taken 书法 lesson to a substitute after the fact, and the
    # substitute's roll call is entered as a correction.
    missed = month["missed"]
    missed.substitute = world.duty_teacher
    missed.save(update_fields=["substitute"])
    correct(missed, world.child, "present", by_user=world.coordinator, when=at(NOV_30, 9))
    counts = counts_of(world)
    assert counts[world.tutor.pk][:2] == (1, 1)
    assert counts[world.duty_teacher.pk] == (1, 1, 0, 1, Decimal("1.50"))


def test_the_lines_name_each_lesson_with_its_weight(world, month):
    lines = list(ledger_lines(world.school, NOV, NOV_30, workload_policy_for(world.school),
                              staff_ids=[world.external.pk, world.homeroom_teacher.pk]))
    assert [(x.staff_id, x.date.day, x.kind, x.weight, x.as_substitute, x.title)
            for x in lines] == [
        (world.external.pk, 5, "course", Decimal("1.5"), True, "16:40 篮球（代课）"),
        (world.homeroom_teacher.pk, 7, "fixed", Decimal("0.5"), False, "16:40 阅读写字"),
        (world.homeroom_teacher.pk, 11, "reading", Decimal("0.8"), False, "18:55 寄宿生阅读"),
    ]


def issue(world, **kw):
    return statements_issue(actor=office(world), school=world.school, month=NOV, now=DEC_5, **kw)


def test_issue_makes_one_statement_per_person_with_rate_by_staff_type(world, month):
    result = issue(world)
    assert (result.created, result.refreshed) == (3, 0)
    rows = {s.staff_id: (s.staff_type, s.rate, s.total, s.subsidy, s.lines.count())
            for s in Statement.objects.all()}
    assert rows == {
        world.tutor.pk: ("teacher", Decimal("30.00"), Decimal("1.00"), Decimal("30.00"), 1),
        world.external.pk: ("external", Decimal("80.00"), Decimal("1.50"), Decimal("120.00"), 1),
        world.homeroom_teacher.pk: ("teacher", Decimal("30.00"), Decimal("1.30"),
                                    Decimal("39.00"), 2),
    }
    assert set(Notice.objects.values_list("title", flat=True)) == {"2024年11月课时补助月报待确认"}
    # Issuing again changes nothing.
    again = issue(world)
    assert (again.created, again.refreshed, again.unchanged) == (0, 0, 3)


def test_an_unanswered_statement_follows_a_correction_an_answered_one_does_not(world, month):
    issue(world)
    tutor_statement = Statement.objects.get(staff=world.tutor)
    statement_confirm(actor=as_staff(world, world.homeroom_teacher),
                      statement=Statement.objects.get(staff=world.homeroom_teacher))
    # Two corrections after locking: the tutor's missed 书法 was held after all; the homeroom
    # teacher's 阅读写字 record goes back (nothing delivered there any more).
    correct(month["missed"], world.child, "present", by_user=world.coordinator,
            when=at(NOV_30, 9))
    result = issue(world)
    assert (result.refreshed, result.kept) == (1, 1)
    tutor_statement.refresh_from_db()
    assert (tutor_statement.total, tutor_statement.subsidy, tutor_statement.revision) == (
        Decimal("2.50"), Decimal("75.00"), 1)
    assert StatementChange.objects.filter(statement=tutor_statement, to_status="issued").exists()
    kept = Statement.objects.get(staff=world.homeroom_teacher)
    assert (kept.status, kept.total) == (S.FINAL, Decimal("1.30"))


def test_confirm_makes_it_final_and_only_its_owner_may(world, month):
    issue(world)
    statement = Statement.objects.get(staff=world.tutor)
    with pytest.raises(e.StatementTransitionRefused):
        statement_confirm(actor=as_staff(world, world.external), statement=statement)
    with pytest.raises(e.StatementTransitionRefused):
        statement_confirm(actor=office(world), statement=statement)
    statement_confirm(actor=as_staff(world, world.tutor), statement=statement, revision=0)
    statement.refresh_from_db()
    assert statement.status == S.FINAL and statement.final_at is not None
    with pytest.raises(e.StatementTransitionRefused, match="已定稿"):
        statement_confirm(actor=as_staff(world, world.tutor), statement=statement)


def test_dispute_then_resolve_accept_and_decline(world, month):
    issue(world)
    statement = Statement.objects.get(staff=world.homeroom_teacher)
    teacher = as_staff(world, world.homeroom_teacher)
    fixed, reading = statement.lines.order_by("date")
    statement_dispute(actor=teacher, statement=statement, line=fixed,
                      reason="阅读写字我上满了一节，应记 1 课时")
    statement_dispute(actor=teacher, statement=statement, claim_date=dt.date(2024, 11, 20),
                      claim_title="16:40 作业辅导（代李老师）", reason="当天代课，系统没有记录")
    statement.refresh_from_db()
    assert statement.status == S.DISPUTED and statement.revision == 2
    told = list(Notice.objects.filter(user=world.coordinator).values_list("title", flat=True))
    assert told == [f"{world.homeroom_teacher.name}对2024年11月课时月报有异议"] * 2
    claim = statement.lines.get(kind="claim")
    assert (claim.weight, claim.dispute, claim.title) == (Decimal("0"), D.OPEN,
                                                          "补报：16:40 作业辅导（代李老师）")
    statement_line_resolve(actor=office(world), line=fixed, accept=True, corrected_weight="1",
                           note="核对课表，按 1 课时计")
    statement.refresh_from_db()
    assert (statement.status, statement.total) == (S.DISPUTED, Decimal("1.80"))
    statement_line_resolve(actor=office(world), line=claim, accept=False,
                           note="当天作业辅导已由李老师本人点名")
    statement.refresh_from_db()
    assert (statement.status, statement.total, statement.subsidy) == (
        S.FINAL, Decimal("1.80"), Decimal("54.00"))
    assert Notice.objects.filter(user=world.homeroom_teacher.user,
                                 title="2024年11月课时补助月报异议已处理，已定稿").exists()
    moves = list(statement.changes.values_list("from_status", "to_status", "actor_role"))
    assert moves == [("issued", "disputed", "tutor"), ("disputed", "disputed", "tutor"),
                     ("disputed", "disputed", "coordinator"), ("disputed", "final", "coordinator")]


def test_refusals_name_what_is_wrong_and_write_nothing(world, month):
    issue(world)
    statement = Statement.objects.get(staff=world.tutor)
    line = statement.lines.get()
    tutor = as_staff(world, world.tutor)
    with pytest.raises(e.EvaluationError, match="请写明异议的原因"):
        statement_dispute(actor=tutor, statement=statement, line=line, reason="  ")
    with pytest.raises(e.EvaluationError, match="这不是您的月报"):
        statement_dispute(actor=as_staff(world, world.external), statement=statement,
                          line=line, reason="不对")
    with pytest.raises(e.EvaluationError, match="不在2024年11月之内"):
        statement_dispute(actor=tutor, statement=statement, claim_date=dt.date(2024, 12, 2),
                          reason="漏记")
    with pytest.raises(e.EvaluationError, match="刷新页面"):
        statement_dispute(actor=tutor, statement=statement, line=line, reason="不对",
                          revision=7)
    statement.refresh_from_db()
    assert statement.status == S.ISSUED and not statement.lines.exclude(dispute="").exists()
    statement_dispute(actor=tutor, statement=statement, line=line, reason="这节是代课")
    with pytest.raises(e.EvaluationError, match="已提出过异议"):
        statement_dispute(actor=tutor, statement=statement, line=line, reason="再提一次")
    with pytest.raises(e.EvaluationError, match="只有课后服务办公室"):
        statement_line_resolve(actor=tutor, line=line, accept=False, note="自己处理")
    with pytest.raises(e.EvaluationError, match="“abc”无效"):
        statement_line_resolve(actor=office(world), line=line, accept=True,
                               corrected_weight="abc", note="核对")
    with pytest.raises(e.EvaluationError, match="“-1”无效"):
        statement_line_resolve(actor=office(world), line=line, accept=True,
                               corrected_weight="-1", note="核对")
    with pytest.raises(e.EvaluationError, match="请填写处理意见"):
        statement_line_resolve(actor=office(world), line=line, accept=False, note="")
    line.refresh_from_db()
    assert line.dispute == D.OPEN


def test_a_month_not_over_cannot_be_issued_and_other_schools_may_not(world, month):
    with pytest.raises(e.EvaluationError, match="还没有结束"):
        statements_issue(actor=office(world), school=world.school, month=NOV,
                         now=at(NOV_30, 12))
    from afterschool.access import actor_for

    foreign = actor_for(world.foreign_coordinator, world.other_school)
    with pytest.raises(e.EvaluationError, match="只有课后服务办公室"):
        statements_issue(actor=foreign, school=world.school, month=NOV, now=DEC_5)
    assert not Statement.objects.exists()


def test_the_office_finalizes_an_unanswered_statement_with_a_reason(world, month):
    issue(world)
    statement = Statement.objects.get(staff=world.external)
    with pytest.raises(e.StatementTransitionRefused, match="原因"):
        statement_finalize(actor=office(world), statement=statement, comment="")
    statement_finalize(actor=office(world), statement=statement, comment="逾期未确认，按记录定稿")
    statement.refresh_from_db()
    assert statement.status == S.FINAL


def test_the_database_refuses_a_dispute_without_its_reason(world, month):
    from django.db import IntegrityError, transaction

    issue(world)
    line = StatementLine.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementLine.objects.filter(pk=line.pk).update(dispute="open", dispute_reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.create(school=world.school, staff=line.statement.staff, month=NOV,
                                 staff_type="teacher", rate=1)
