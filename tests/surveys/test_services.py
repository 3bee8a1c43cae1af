"""The survey's services: the office's editing and moves, and every refusal of an answer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from afterschool.access import actor_for
from afterschool.models import Notice
from surveys import exceptions as e
from surveys import services
from surveys.anonymity import respondent_key
from surveys.models import Respondent, Survey, SurveyAnswer, SurveyChange, SurveyResponse
from tests import factories as f

from .builders import answer_as, answers, attended, survey_world

pytestmark = pytest.mark.django_db


def guardian_actor(world):
    return actor_for(world.guardian.user, world.school)


# ---------------------------------------------------------------------------- the office


def test_a_new_survey_has_the_default_questionnaire_in_chinese(world):
    sw = survey_world(world, publish=False)
    questions = list(sw.survey.questions.order_by("number"))
    assert [q.topic for q in questions] == ["safety", "homework", "clubs", "tutors", "homework",
                                            "overall", "other"]
    assert [q.kind for q in questions].count("scale") == 5
    assert questions[-1].kind == "text" and not questions[-1].required
    assert "安全" in questions[0].text and "总体" in questions[5].text
    assert sw.survey.status == Survey.Status.DRAFT


@pytest.mark.parametrize("who", ["principal", "tutor", "guardian"])
def test_only_the_office_creates_a_survey(world, who):
    user = {"principal": world.principal, "tutor": world.tutor.user,
            "guardian": world.guardian.user}[who]
    with pytest.raises(e.SurveyError, match="只有课后服务办公室"):
        services.survey_create(actor=actor_for(user, world.school), term=world.term,
                               title="调查", closes_at=timezone.now() + dt.timedelta(days=3))
    assert not Survey.objects.exists()


def test_create_refuses_another_schools_term_a_past_deadline_and_a_taken_title(world):
    office = actor_for(world.coordinator, world.school)
    later = timezone.now() + dt.timedelta(days=3)
    foreign = f.TermFactory(school=world.other_school)
    with pytest.raises(e.SurveyError, match=e.TERM_OTHER_SCHOOL):
        services.survey_create(actor=office, term=foreign, title="调查", closes_at=later)
    with pytest.raises(e.SurveyError, match="已经过去"):
        services.survey_create(actor=office, term=world.term, title="调查",
                               closes_at=timezone.now() - dt.timedelta(minutes=1))
    services.survey_create(actor=office, term=world.term, title="调查", closes_at=later)
    with pytest.raises(e.SurveyError, match="已有名为“调查”"):
        services.survey_create(actor=office, term=world.term, title=" 调查 ", closes_at=later)
    assert Survey.objects.count() == 1


def test_questions_are_edited_in_draft_and_frozen_once_published(world):
    sw = survey_world(world, publish=False)
    q = services.question_save(actor=sw.office, survey=sw.survey, text="孩子喜欢哪类社团？",
                               kind="choice", topic="clubs", options=["体育", "艺术", "科技"])
    assert q.number == 8 and q.options == ["体育", "艺术", "科技"]
    with pytest.raises(e.SurveyError, match="第 8 题：单选题至少要有 2 个选项"):
        services.question_save(actor=sw.office, survey=sw.survey, question_id=q.pk,
                               text="孩子喜欢哪类社团？", kind="choice", topic="clubs",
                               options=["体育"])
    services.question_move(actor=sw.office, survey=sw.survey, question_id=q.pk, up=True)
    order = list(sw.survey.questions.order_by("number").values_list("pk", flat=True))
    assert order.index(q.pk) == 6
    services.question_delete(actor=sw.office, survey=sw.survey, question_id=q.pk)
    services.survey_publish(actor=sw.office, survey=sw.survey)
    first = sw.survey.questions.first()
    with pytest.raises(e.SurveyError, match="已发布，题目不能再修改"):
        services.question_save(actor=sw.office, survey=sw.survey, question_id=first.pk,
                               text="改题", kind="scale", topic="other")
    with pytest.raises(e.SurveyError, match="已发布"):
        services.question_delete(actor=sw.office, survey=sw.survey, question_id=first.pk)
    assert sw.survey.questions.count() == 7


def test_publishing_needs_a_scale_question_and_children_who_attended(world):
    office = actor_for(world.coordinator, world.school)
    survey = services.survey_create(actor=office, term=world.term, title="调查",
                                    closes_at=timezone.now() + dt.timedelta(days=3))
    with pytest.raises(e.SurveyError, match="还没有学生参加过课后服务"):
        services.survey_publish(actor=office, survey=survey)
    attended(world.term, [world.child])
    survey.questions.filter(kind="scale").delete()
    with pytest.raises(e.SurveyError, match="至少要有一道满意度"):
        services.survey_publish(actor=office, survey=survey)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.DRAFT and not survey.changes.exists()


def test_publishing_opens_it_and_tells_the_families_of_children_who_attended(world):
    sw = survey_world(world)
    survey = sw.survey
    assert survey.status == Survey.Status.OPEN and survey.invited == 3
    told = set(Notice.objects.filter(key=f"survey:{survey.pk}").values_list("user_id", flat=True))
    assert told == {world.guardian.user_id, world.other_guardian.user_id}
    change = SurveyChange.objects.get(survey=survey)
    assert (change.from_status, change.to_status, change.actor) == ("draft", "open",
                                                                    world.coordinator)


def test_close_and_reopen_with_a_reason(world):
    sw = survey_world(world)
    services.survey_close(actor=sw.office, survey=sw.survey)
    with pytest.raises(e.SurveyError, match="请填写“重新开放”的原因"):
        services.survey_reopen(actor=sw.office, survey=sw.survey, comment=" ",
                               closes_at=timezone.now() + dt.timedelta(days=2))
    services.survey_reopen(actor=sw.office, survey=sw.survey, comment="家长会后再收一周",
                           closes_at=timezone.now() + dt.timedelta(days=2))
    sw.survey.refresh_from_db()
    assert sw.survey.status == "open" and sw.survey.closed_at is None


def test_the_beat_closes_surveys_past_their_deadline_once(world):
    sw = survey_world(world)
    later = sw.survey.closes_at + dt.timedelta(minutes=1)
    assert services.surveys_close_due(now=later - dt.timedelta(minutes=2)) == 0
    assert services.surveys_close_due(now=later) == 1
    assert services.surveys_close_due(now=later) == 0
    change = sw.survey.changes.get(to_status="closed")
    assert change.actor is None and change.actor_role == "system"


# ---------------------------------------------------------------------------- the family


def test_a_guardian_answers_and_changes_the_answer_until_it_closes(world):
    sw = survey_world(world)
    response = answer_as(world.guardian, sw.survey, world.child, 4, text="很好")
    assert response.revision == 1
    assert SurveyAnswer.objects.filter(response=response).count() == 7
    assert set(response.courses.values_list("name", flat=True)) == {"篮球"}
    assert set(response.tutors.all()) == {world.tutor, world.external}
    assert (response.grade_id, response.homeroom_id) == (world.homeroom.grade_id,
                                                         world.homeroom.pk)
    services.response_submit(actor=guardian_actor(world), survey=sw.survey, student=world.child,
                             answers=answers(sw.survey, 2), revision=1)
    response.refresh_from_db()
    assert response.revision == 2
    assert SurveyResponse.objects.count() == Respondent.objects.count() == 1
    assert set(response.answers.exclude(scale=None).values_list("scale", flat=True)) == {2}
    assert not response.answers.filter(question__kind="text").exists()


def test_a_second_answer_for_the_same_child_is_refused(world):
    sw = survey_world(world)
    answer_as(world.guardian, sw.survey, world.child, 5)
    with pytest.raises(e.SurveyError, match="另一位家长刚刚为张小明提交了答卷"):
        answer_as(world.guardian, sw.survey, world.child, 1)
    with pytest.raises(e.SurveyError, match="被另一位家长修改过"):
        services.response_submit(actor=guardian_actor(world), survey=sw.survey,
                                 student=world.child, answers=answers(sw.survey, 1), revision=7)
    assert SurveyResponse.objects.count() == 1
    assert set(SurveyAnswer.objects.exclude(scale=None).values_list("scale", flat=True)) == {5}


def test_the_database_holds_one_answer_per_child(world):
    sw = survey_world(world)
    response = answer_as(world.guardian, sw.survey, world.child)
    other = SurveyResponse.objects.create(survey=sw.survey)
    with pytest.raises(IntegrityError), transaction.atomic():
        Respondent.objects.create(survey=sw.survey, response=other,
                                  key=respondent_key(sw.survey.pk, world.child.pk))
    assert Respondent.objects.get().response == response


def test_answers_after_closing_or_past_the_deadline_are_refused(world):
    sw = survey_world(world)
    with pytest.raises(e.SurveyError, match="已于 .* 截止"):
        services.response_submit(actor=guardian_actor(world), survey=sw.survey,
                                 student=world.child, answers=answers(sw.survey),
                                 now=sw.survey.closes_at)
    services.survey_close(actor=sw.office, survey=sw.survey)
    with pytest.raises(e.SurveyError, match="不能再提交或修改答卷"):
        answer_as(world.guardian, sw.survey, world.child)
    assert not SurveyResponse.objects.exists()


def test_a_draft_takes_no_answer(world):
    sw = survey_world(world, publish=False)
    with pytest.raises(e.SurveyError, match="尚未发布"):
        answer_as(world.guardian, sw.survey, world.child)


def test_only_for_ones_own_child_who_attended(world):
    sw = survey_world(world)
    with pytest.raises(e.SurveyError, match="李华不是您的孩子"):
        answer_as(world.guardian, sw.survey, world.other_child)
    newcomer = f.StudentFactory(school=world.school, homeroom=world.homeroom, name="新同学")
    f.link_guardian(newcomer, world.guardian)
    with pytest.raises(e.SurveyError, match="新同学本学期没有参加过课后服务"):
        answer_as(world.guardian, sw.survey, newcomer)
    foreign = actor_for(world.foreign_coordinator, world.other_school)
    with pytest.raises(e.SurveyError, match="不是您的孩子"):
        services.response_submit(actor=foreign, survey=sw.survey, student=world.child,
                                 answers=answers(sw.survey))
    assert not SurveyResponse.objects.exists()


def test_a_child_only_on_leave_was_not_there(world):
    sw = survey_world(world)
    absent = f.StudentFactory(school=world.school, homeroom=world.homeroom, name="请假生")
    f.link_guardian(absent, world.guardian)
    attended(world.term, [absent], status="leave", day=dt.date(2024, 11, 12))
    with pytest.raises(e.SurveyError, match="没有参加过"):
        answer_as(world.guardian, sw.survey, absent)


@pytest.mark.parametrize(("change", "message"), [
    ("missing", "请回答第 1 题"),
    ("scale:9", "第 1 题的评分“9”无效"),
    ("scale:abc", "第 1 题的评分“abc”无效"),
    ("choice:都不是", "第 5 题的选项“都不是”不在可选项中"),
    ("text:long", "第 7 题最多 500 个字，现在有 501 个"),
    ("unknown", "题目（编号 999999）不在这份调查中"),
])
def test_bad_answers_are_refused_naming_the_question_and_nothing_is_written(world, change,
                                                                              message):
    sw = survey_world(world)
    questions = list(sw.survey.questions.order_by("number"))
    raw = answers(sw.survey)
    kind, _, value = change.partition(":")
    if kind == "missing":
        raw.pop(questions[0].pk)
    elif kind == "scale":
        raw[questions[0].pk] = value
    elif kind == "choice":
        raw[questions[4].pk] = value
    elif kind == "text":
        raw[questions[6].pk] = "好" * 501
    else:
        raw[999999] = "5"
    with pytest.raises(e.SurveyError, match=message):
        services.response_submit(actor=guardian_actor(world), survey=sw.survey,
                                 student=world.child, answers=raw)
    assert not SurveyResponse.objects.exists() and not Respondent.objects.exists()
    assert not SurveyAnswer.objects.exists()


def test_the_bulk_writer_writes_what_the_page_writes(world):
    sw = survey_world(world)
    page = answer_as(world.guardian, sw.survey, world.child, 4)
    written = services.responses_bulk_create(survey=sw.survey, answers={
        world.child: answers(sw.survey, 1), world.other_child: answers(sw.survey, 4)})
    assert written == 1   # the child already answered is skipped
    bulk = SurveyResponse.objects.exclude(pk=page.pk).get()
    for response in (page, bulk):
        assert set(response.courses.values_list("name", flat=True)) == {"篮球"}
        assert set(response.tutors.all()) == {world.tutor, world.external}
    assert sorted(page.answers.values_list("question__number", "scale", "choice")) == \
        sorted(bulk.answers.values_list("question__number", "scale", "choice"))
    with pytest.raises(e.SurveyError, match="另一位家长"):
        answer_as(world.other_guardian, sw.survey, world.other_child)


def test_the_threshold_setting_is_the_offices(world):
    office = actor_for(world.coordinator, world.school)
    assert services.policy_update(actor=office, min_answers=8).min_answers == 8
    with pytest.raises(e.SurveyError, match=e.POLICY_NOT_ALLOWED):
        services.policy_update(actor=actor_for(world.principal, world.school), min_answers=3)
    with pytest.raises(Exception, match="3"):
        services.policy_update(actor=office, min_answers=1)

