"""The results: rates counted by hand, each cut shown only with enough answers (and never
one that could be worked out from the others), the tutor figure the assessment reads."""

from __future__ import annotations

import pytest

from afterschool.access import actor_for
from surveys.models import SurveyPolicy
from surveys.selectors import (
    CutRow,
    group_results,
    satisfaction_by_tutor,
    school_satisfaction,
    suppress,
    survey_results,
)
from tests import factories as f

from .builders import answer_as, attended, family, survey_world

pytestmark = pytest.mark.django_db


def crowd(world, sw, homeroom, scales, *, club=True, prefix="学生"):
    """One family per entry of ``scales`` in ``homeroom``: the child attended (and the club),
    the guardian answered every scale question with that value."""
    children = []
    for i, scale in enumerate(scales):
        child, guardian = family(world.school, homeroom, f"{prefix}{homeroom.number}-{i}")
        attended(world.term, [child], tutors=[world.tutor])
        if club:
            attended(world.term, [child], tutors=[world.external], section=sw.section,
                     title="篮球")
        answer_as(guardian, sw.survey, child, scale)
        children.append(child)
    return children


def test_nothing_is_shown_below_the_threshold(world):
    sw = survey_world(world)
    crowd(world, sw, world.homeroom, [5, 5, 4, 1])
    results = survey_results(sw.survey)
    assert results.responses == 4 and not results.shown
    assert results.rate is None and results.cuts == {} and results.texts == {}
    assert all(q.answered == 0 for q in results.questions)


def test_rates_overall_and_per_question_equal_a_hand_count(world):
    sw = survey_world(world)
    crowd(world, sw, world.homeroom, [5, 4, 3, 2, 1, 5])
    results = survey_results(sw.survey)
    assert results.shown and results.responses == 6
    # The overall question: 5, 4, 5 satisfied of 6 → 50.0%.
    assert (results.satisfied, results.answered, results.rate) == (3, 6, 50.0)
    safety = results.questions[0]
    assert safety.counts == {5: 2, 4: 1, 3: 1, 2: 1, 1: 1}
    assert (safety.rate, safety.mean) == (50.0, 3.33)
    choice = results.questions[4]
    assert choice.counts == {"明显提前": 6} and choice.rate is None


def test_small_cuts_are_hidden_and_so_is_the_group_that_would_reveal_them(world):
    sw = survey_world(world)
    grade8 = f.GradeFactory(school=world.school, number=8, name="八年级")
    big = f.HomeroomFactory(school=world.school, grade=grade8, number=1)
    small = f.HomeroomFactory(school=world.school, grade=grade8, number=2)
    crowd(world, sw, world.homeroom, [5] * 6)
    crowd(world, sw, big, [4] * 7)
    crowd(world, sw, small, [1, 1])
    results = survey_results(sw.survey)
    homerooms = {r.label: r for r in results.cuts["homeroom"]}
    assert not homerooms["七年级1班"].suppressed
    assert homerooms["七年级1班"].rate == 100.0
    # 八年级2班 has 2 answers; 八年级1班 (7) is hidden too, or 八年级 (9) − 八年级1班 would
    # give 八年级2班's answers.
    assert homerooms["八年级2班"].suppressed and homerooms["八年级1班"].suppressed
    assert homerooms["八年级2班"].rate is None and homerooms["八年级2班"].questions == {}
    grades = {r.label: r for r in results.cuts["grade"]}
    assert grades["八年级"].responses == 9 and grades["八年级"].rate == round(700 / 9, 1)


def test_the_suppression_rule_on_its_own():
    rows = [CutRow(key=i, label=str(i), responses=n, parent=p)
            for i, (n, p) in enumerate([(2, 1), (9, 1), (30, 1), (6, 2), (7, 2), (1, 3)])]
    suppress(rows, 5)
    assert [r.suppressed for r in rows] == [True, True, False, False, False, True]
    # A lone small group with no shown sibling stays hidden alone: nothing to subtract from.


def test_a_hidden_cut_asked_for_by_url_is_refused_and_a_shown_one_answers(world):
    sw = survey_world(world)
    grade8 = f.GradeFactory(school=world.school, number=8, name="八年级")
    small = f.HomeroomFactory(school=world.school, grade=grade8, number=2)
    crowd(world, sw, world.homeroom, [5] * 6)
    crowd(world, sw, small, [1, 2])
    assert group_results(sw.survey, "homeroom", small.pk) is None
    assert group_results(sw.survey, "homeroom", 999999) is None
    assert group_results(sw.survey, "nothing", small.pk) is None
    shown = group_results(sw.survey, "homeroom", world.homeroom.pk)
    assert shown.row.responses == 6
    assert all(q.answered == 6 for q in shown.questions)


def test_per_tutor_and_per_course_cuts(world):
    sw = survey_world(world)
    crowd(world, sw, world.homeroom, [5, 5, 5, 4, 2])
    crowd(world, sw, world.other_homeroom, [3, 3], club=False, prefix="不参加社团")
    results = survey_results(sw.survey)
    tutors = {r.label: r for r in results.cuts["tutor"]}
    # 赵老师 taught all seven; 钱教练 the five of the club.
    assert tutors["赵老师"].responses == 7 and tutors["钱教练"].responses == 5
    assert tutors["钱教练"].rate == 80.0
    course = results.cuts["course"][0]
    assert (course.label, course.responses, course.rate) == ("篮球", 5, 80.0)


def test_satisfaction_by_tutor_reads_the_tutor_question_and_needs_enough_answers(world):
    sw = survey_world(world)
    crowd(world, sw, world.homeroom, [5, 5, 4, 2, 1])
    crowd(world, sw, world.other_homeroom, [5], club=False)
    found = satisfaction_by_tutor(world.school, world.term)
    assert set(found) == {world.tutor.pk, world.external.pk}
    assert (found[world.external.pk].responses, found[world.external.pk].satisfied,
            found[world.external.pk].rate) == (5, 3, 60.0)
    assert (found[world.tutor.pk].responses, found[world.tutor.pk].rate) == (6, round(400 / 6, 1))
    SurveyPolicy.objects.create(school=world.school, min_answers=6)
    assert set(satisfaction_by_tutor(world.school, world.term)) == {world.tutor.pk}
    assert satisfaction_by_tutor(world.other_school, world.term) == {}


def test_school_satisfaction_for_the_dashboards(world):
    sw = survey_world(world)
    assert school_satisfaction(world.school.pk, world.term.pk) is None
    crowd(world, sw, world.homeroom, [5, 5, 4, 3, 1])
    found = school_satisfaction(world.school.pk, world.term.pk)
    assert (found.responses, found.answered, found.satisfied, found.rate) == (5, 5, 3, 60.0)


def test_free_text_is_listed_by_its_content_without_phone_numbers(world):
    sw = survey_world(world)
    for i, text in enumerate(["希望多些体育课", "有事请打13912345678找我", "感谢老师"]):
        child, guardian = family(world.school, world.homeroom, f"写意见{i}")
        attended(world.term, [child])
        answer_as(guardian, sw.survey, child, 5, text=text)
    crowd(world, sw, world.homeroom, [5, 5])
    results = survey_results(sw.survey)
    (texts,) = results.texts.values()
    assert texts == sorted(texts)
    assert "有事请打1**********找我" in texts and not any("13912345678" in t for t in texts)


def test_a_principal_reads_them_too(world):
    sw = survey_world(world)
    assert actor_for(world.principal, world.school).has("principal")
    assert survey_results(sw.survey).responses == 0
