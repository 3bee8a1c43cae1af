"""Duties and patrols in the ledger and the 公示; the assessment: indicators absent, not zero,
without data; a score with its breakdown; the lists proposed and confirmed by the principal."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluation import exceptions as e
from evaluation.models import Assessment, AssessmentScheme, Statement
from evaluation.services import (
    assessment_compute,
    assessment_confirm,
    assessment_reopen,
    assessment_scheme_update,
    statements_issue,
)
from evaluation.services.publications import month_content
from safety.models import DutyAssignment, DutyRoster, FollowUp, PatrolReport

from .builders import DEC_5, NOV, as_staff, at, office, principal
from .test_statements import counts_of, month  # noqa: F401  (the month fixture)

pytestmark = pytest.mark.django_db
D = dt.date
NOV_30 = D(2024, 11, 30)


@pytest.fixture
def patrolled(world, month):  # noqa: F811
    """吴老师 on duty on 4 and 5 November, 周校长 the leader on the 5th; 吴老师 patrols 赵老师's
    作业辅导 on the 4th (in order) and the homeroom teacher's 阅读写字 on the 7th (late: a
    finding, its follow-up still open). Nobody visits 钱教练's lesson."""
    roster = DutyRoster.objects.create(term=world.term, teachers_per_day=1, leaders_per_day=1,
                                       from_date=world.term.start_date)
    head = world.principal.staff_profiles.get()
    for day, staff, kind in ((D(2024, 11, 4), world.duty_teacher, "teacher"),
                             (D(2024, 11, 5), world.duty_teacher, "teacher"),
                             (D(2024, 11, 5), head, "leader")):
        DutyAssignment.objects.create(roster=roster, date=day, staff=staff, kind=kind)

    def patrol(lesson, teacher, when, presence="present"):
        return PatrolReport.objects.create(
            school=world.school, lesson=lesson, date=lesson.date, patrolled_at=when,
            recorded_by=world.duty_teacher.user, teacher=teacher, presence=presence,
            has_finding=presence != "present")

    patrol(month["hw"], world.tutor, at(D(2024, 11, 4), 16, 50))
    late = patrol(month["fixed"], world.homeroom_teacher, at(D(2024, 11, 7), 16, 55),
                  presence="late")
    FollowUp.objects.create(patrol=late, school=world.school)
    return {"head": head}


def test_duties_and_patrol_days_are_in_the_ledger_and_the_publication(world, patrolled):
    counts = counts_of(world)
    # 吴老师: 2 duty days × 1 + 2 days with patrols × 0.5; no lesson.
    assert counts[world.duty_teacher.pk] == (0, 0, 0, 0, Decimal("3.00"))
    assert counts[patrolled["head"].pk] == (0, 0, 0, 0, Decimal("1.00"))
    statements_issue(actor=office(world), school=world.school, month=NOV, now=DEC_5)
    lines = list(Statement.objects.get(staff=world.duty_teacher).lines.order_by("date", "source")
                 .values_list("date", "kind", "title", "weight"))
    assert lines == [
        (D(2024, 11, 4), "duty", "值日教师", Decimal("1.00")),
        (D(2024, 11, 4), "patrol", "巡查 1 次", Decimal("0.50")),
        (D(2024, 11, 5), "duty", "值日教师", Decimal("1.00")),
        (D(2024, 11, 7), "patrol", "巡查 1 次", Decimal("0.50")),
    ]
    content = month_content(world.school, NOV)
    wu = next(t for t in content["teachers"] if t["name"] == world.duty_teacher.name)
    assert (wu["duties"], wu["patrols"], wu["period_equivalents"]) == (2, 2, 3.0)
    assert wu["lessons_scheduled"] == 0
    assert dict(content["patrols"]["rows"]) == {
        "巡查次数": 2, "发现问题的巡查": 1, "辅导教师迟到": 1, "辅导教师缺岗": 0,
        "讲授新课或考试": 0, "人数与点名不符": 0, "其他问题": 0, "尚未完成的整改": 1}


def compute(world, **kw):
    return assessment_compute(actor=office(world), school=world.school, period="month",
                              month=NOV, now=DEC_5, **kw)


def breakdown(entry) -> dict:
    return {i["code"]: i["value"] for i in entry.breakdown}


def test_scores_by_hand_with_absent_indicators_left_out(world, patrolled):
    AssessmentScheme.objects.create(school=world.school, min_lessons=1,
                                    commend_min_score=Decimal("80"),
                                    follow_up_below_score=Decimal("70"))
    assessment = compute(world)
    entries = {x.staff_id: x for x in assessment.entries.all()}
    tutor, teacher = entries[world.tutor.pk], entries[world.homeroom_teacher.pk]
    external = entries[world.external.pk]
    # 赵老师: 1 of 2 lessons (50), punctual 1 of 1 (100), visited without finding (100), no
    # open follow-up (100); no survey: (50×40 + 100×20 + 100×20 + 100×10) / 90.
    assert breakdown(tutor) == {"delivery": 50.0, "punctual": 100.0, "patrol": 100.0,
                                "follow_up": 100.0, "satisfaction": None}
    assert tutor.score == Decimal("77.8")
    # The homeroom teacher: 2 of 2, 1 of 2 on time, one finding (−20), one open follow-up
    # (−25): (100×40 + 50×20 + 80×20 + 75×10) / 90 = 81.7.
    assert breakdown(teacher) == {"delivery": 100.0, "punctual": 50.0, "patrol": 80.0,
                                  "follow_up": 75.0, "satisfaction": None}
    assert teacher.score == Decimal("81.7")
    # 钱教练 substituted once (1 of 1, late), and no patrol visited him: his patrol and
    # follow-up indicators are absent, not 100 and not 0: (100×40 + 0×20) / 60.
    assert breakdown(external) == {"delivery": 100.0, "punctual": 0.0, "patrol": None,
                                   "follow_up": None, "satisfaction": None}
    assert external.score == Decimal("66.7")
    assert {i["code"]: i["detail"] for i in external.breakdown}["patrol"] == \
        "本期没有巡查到该教师的课"
    # 吴老师 had duties and patrols but no lesson: not assessed.
    assert world.duty_teacher.pk not in entries
    assert {x.staff_id: x.proposed for x in entries.values()} == {
        world.tutor.pk: "", world.homeroom_teacher.pk: "commend",
        world.external.pk: "follow_up"}
    assert assessment.measured_until == NOV_30


def test_too_few_lessons_are_scored_but_not_listed(world, patrolled):
    assessment = compute(world)  # default: at least 4 lessons
    assert not assessment.entries.exclude(proposed="").exists()
    assert assessment.entries.filter(score__isnull=False).count() == 3


def test_the_principal_confirms_the_lists_and_the_publication_shows_them(world, patrolled):
    AssessmentScheme.objects.create(school=world.school, min_lessons=1,
                                    commend_min_score=Decimal("80"),
                                    follow_up_below_score=Decimal("70"))
    assessment = compute(world)
    entries = {x.staff_id: x for x in assessment.entries.all()}
    with pytest.raises(e.AssessmentTransitionRefused):
        assessment_confirm(actor=office(world), assessment=assessment, commend_ids=[],
                           follow_up_ids=[])
    # The principal adds 赵老师 to the commendations and keeps the proposed follow-up.
    assessment_confirm(actor=principal(world), assessment=assessment,
                       commend_ids=[entries[world.homeroom_teacher.pk].pk,
                                    entries[world.tutor.pk].pk],
                       follow_up_ids=[entries[world.external.pk].pk],
                       revision=assessment.revision)
    assessment.refresh_from_db()
    assert assessment.status == "confirmed" and assessment.confirmed_by == world.principal
    content = month_content(world.school, NOV)
    assert content["lists_confirmed"] is True
    assert [x["name"] for x in content["commendations"]] == [
        world.homeroom_teacher.name, world.tutor.name]
    assert [x["name"] for x in content["follow_ups"]] == [world.external.name]
    with pytest.raises(e.EvaluationError, match="已由校长确认"):
        compute(world)
    with pytest.raises(e.AssessmentTransitionRefused, match="原因"):
        assessment_reopen(actor=principal(world), assessment=assessment, comment="")
    assessment_reopen(actor=principal(world), assessment=assessment, comment="补充巡查记录后重评")
    assert compute(world).status == "proposed"
    assert month_content(world.school, NOV)["lists_confirmed"] is False


def test_confirm_refuses_an_unknown_entry_and_a_person_on_both_lists(world, patrolled):
    assessment = compute(world)
    entry = assessment.entries.first()
    with pytest.raises(e.EvaluationError, match="编号 999999"):
        assessment_confirm(actor=principal(world), assessment=assessment,
                           commend_ids=[999999], follow_up_ids=[])
    with pytest.raises(e.EvaluationError):
        assessment_confirm(actor=principal(world), assessment=assessment,
                           commend_ids=[entry.pk], follow_up_ids=[entry.pk])
    assessment.refresh_from_db()
    assert assessment.status == "proposed"


def test_a_term_assessment_counts_only_lessons_already_due(world, patrolled):
    assessment = assessment_compute(actor=principal(world), school=world.school, period="term",
                                    term=world.term, now=at(D(2024, 11, 6), 12))
    assert (assessment.start_date, assessment.end_date, assessment.measured_until) == (
        world.term.start_date, world.term.end_date, D(2024, 11, 5))
    tutor = assessment.entries.get(staff=world.tutor)
    # Due by 5 November: October's taken lesson and the 4 November one (the 6th is not yet).
    assert tutor.lessons_scheduled == 2 and breakdown(tutor)["delivery"] == 100.0
    with pytest.raises(e.EvaluationError, match="只有课后服务办公室或校长"):
        assessment_compute(actor=as_staff(world, world.tutor), school=world.school,
                           period="month", month=NOV, now=DEC_5)


def test_the_scheme_is_edited_whole_and_refuses_what_cannot_work(world):
    with pytest.raises(e.EvaluationError, match="须高于通报线"):
        assessment_scheme_update(actor=principal(world), school=world.school,
                                 values={"commend_min_score": Decimal("50"),
                                         "follow_up_below_score": Decimal("60")})
    with pytest.raises(e.EvaluationError, match="至少要有一项权重"):
        assessment_scheme_update(actor=office(world), school=world.school, values={
            "weight_delivery": 0, "weight_punctual": 0, "weight_patrol": 0,
            "weight_follow_up": 0, "weight_satisfaction": 0})
    assert not AssessmentScheme.objects.exists()
    with pytest.raises(e.EvaluationError, match="只有课后服务办公室或校长"):
        assessment_scheme_update(actor=as_staff(world, world.tutor), school=world.school,
                                 values={"weight_delivery": 50})
    assessment_scheme_update(actor=principal(world), school=world.school,
                             values={"weight_delivery": 50})
    assert AssessmentScheme.objects.get().weight_delivery == 50


def test_the_pages_of_the_assessment(world, patrolled, login):
    client = login(world.coordinator)
    assert client.post(reverse("evaluation:assessments"),
                       {"period": "month", "month": "2024-11"}).status_code == 302
    assessment = Assessment.objects.get()
    page = client.get(reverse("evaluation:assessment", args=[assessment.pk])).content.decode()
    assert "得分构成" in page and "尚无家长满意度调查" in page and "确认表彰" not in page
    client = login(world.principal)
    page = client.get(reverse("evaluation:assessment", args=[assessment.pk])).content.decode()
    assert "确认表彰和通报名单" in page
    entry = assessment.entries.get(staff=world.tutor)
    response = client.post(reverse("evaluation:assessment", args=[assessment.pk]),
                           {"action": "confirm", "revision": assessment.revision,
                            f"list-{entry.pk}": "commend"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "confirmed"
    assert list(assessment.entries.exclude(listed="").values_list("staff_id", "listed")) == [
        (world.tutor.pk, "commend")]
    # The teacher sees their own result and why, not a colleague's, nor the list page.
    client = login(world.tutor.user)
    page = client.get(reverse("evaluation:assessment_entry", args=[entry.pk])).content.decode()
    assert "列入表彰名单" in page and "课次完成" in page and "不计入" in page
    other = assessment.entries.get(staff=world.homeroom_teacher)
    assert client.get(reverse("evaluation:assessment_entry", args=[other.pk])).status_code == 404
    assert client.get(reverse("evaluation:assessment", args=[assessment.pk])).status_code == 403


def test_the_commendation_list_keeps_the_best_within_its_places(world, patrolled):
    AssessmentScheme.objects.create(school=world.school, min_lessons=1, commend_limit=1,
                                    commend_min_score=Decimal("70"),
                                    follow_up_below_score=Decimal("50"))
    entries = {x.staff_id: x.proposed for x in compute(world).entries.all()}
    # 81.7 and 77.8 pass the line of 70; one place: the better one.
    assert entries == {world.homeroom_teacher.pk: "commend", world.tutor.pk: "",
                       world.external.pk: ""}


def test_satisfaction_counts_when_enough_families_answered_the_terms_survey(world):
    from tests.surveys.builders import survey_world
    from tests.surveys.test_results import crowd

    sw = survey_world(world)
    crowd(world, sw, world.homeroom, [5, 5, 4, 2, 1])
    crowd(world, sw, world.other_homeroom, [5], club=False)
    AssessmentScheme.objects.create(school=world.school, satisfaction_min_answers=6)
    entries = {x.staff_id: x for x in compute(world).entries.all()}
    tutor, external = entries[world.tutor.pk], entries[world.external.pk]
    # 赵老师: six families answered about him, four satisfied (the survey's own count).
    assert breakdown(tutor)["satisfaction"] == round(400 / 6, 1)
    assert next(i["detail"] for i in tutor.breakdown
                if i["code"] == "satisfaction").startswith("本学期家长问卷 6 份答卷")
    # 钱教练: five — enough for the survey's results, not for this scheme's six: absent.
    assert breakdown(external)["satisfaction"] is None
    assert "不足 6 份" in next(i["detail"] for i in external.breakdown
                             if i["code"] == "satisfaction")
