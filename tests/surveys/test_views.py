"""The survey pages: who gets in, the office's editing and moves, the family's answer page,
the results with their refusals, and query counts that do not grow with the answers."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from surveys import exceptions as e
from surveys.models import Question, Survey, SurveyResponse
from tests import factories as f

from .builders import answer_as, answers, attended, family, survey_world

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_log_in(client, world):
    sw = survey_world(world)
    for path in ("/surveys/", "/surveys/my/", f"/surveys/{sw.survey.pk}/results/",
                 f"/surveys/{sw.survey.pk}/answer/{world.child.pk}/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_staff_without_the_role_and_other_schools_are_turned_away(client, login, world):
    sw = survey_world(world)
    login(world.tutor.user)
    assert client.get("/surveys/").status_code == 403
    assert client.get(f"/surveys/{sw.survey.pk}/results/").status_code == 403
    assert client.get(f"/surveys/{sw.survey.pk}/answer/{world.child.pk}/").status_code == 403
    login(world.foreign_coordinator)
    assert client.get(f"/surveys/{sw.survey.pk}/").status_code == 404
    assert client.get(f"/surveys/{sw.survey.pk}/results/").status_code == 404
    login(world.principal)
    assert client.post(f"/surveys/{sw.survey.pk}/move/", {"action": "close"}).status_code == 403


def test_the_office_creates_edits_and_publishes(client, login, world):
    attended(world.term, [world.child])
    login(world.coordinator)
    page = client.get("/surveys/")
    assert "新建调查" in page.content.decode()
    closes = (timezone.localtime() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/surveys/", {"term": world.term.pk, "title": "期末满意度调查",
                                         "closes_at": closes})
    survey = Survey.objects.get()
    assert response["Location"] == f"/surveys/{survey.pk}/"
    question = survey.questions.get(number=1)
    client.post(f"/surveys/{survey.pk}/questions/{question.pk}/", {
        f"q{question.pk}-text": "您对放学护送是否满意？", f"q{question.pk}-kind": "scale",
        f"q{question.pk}-topic": "safety", f"q{question.pk}-required": "on",
        "action": "save"})
    question.refresh_from_db()
    assert question.text == "您对放学护送是否满意？"
    client.post(f"/surveys/{survey.pk}/questions/", {
        "new-text": "孩子最喜欢哪个时段？", "new-kind": "choice", "new-topic": "other",
        "new-options": "第一节\n第二节\n第三节"})
    assert survey.questions.get(number=8).options == ["第一节", "第二节", "第三节"]
    response = client.post(f"/surveys/{survey.pk}/questions/", {
        "new-text": "坏题", "new-kind": "choice", "new-topic": "other", "new-options": "只有一个"},
        follow=True)
    assert "单选题至少要有 2 个选项" in response.content.decode()
    response = client.post(f"/surveys/{survey.pk}/move/", {"action": "publish"}, follow=True)
    assert "已发布“期末满意度调查”" in response.content.decode()
    survey.refresh_from_db()
    assert survey.status == "open"
    response = client.post(f"/surveys/{survey.pk}/questions/{question.pk}/",
                           {"action": "delete"}, follow=True)
    assert "题目不能再修改" in response.content.decode()
    assert survey.questions.filter(pk=question.pk).exists()


def test_the_create_form_names_its_errors(client, login, world):
    login(world.coordinator)
    response = client.post("/surveys/", {"term": world.term.pk, "title": "调查",
                                         "closes_at": "2020-01-01T08:00"})
    assert response.status_code == 400
    assert "截止时间（2020-01-01 08:00）已经过去" in response.content.decode()
    assert not Survey.objects.exists()


def test_a_guardian_answers_on_the_page_and_changes_it(client, login, world):
    sw = survey_world(world)
    login(world.guardian.user)
    home = client.get("/").content.decode()
    assert "满意度调查" in home and "去填写" in home
    url = f"/surveys/{sw.survey.pk}/answer/{world.child.pk}/"
    page = client.get(url).content.decode()
    assert "不记名" in page and "非常满意" in page
    data = {f"q{k}": v for k, v in answers(sw.survey, 4, text="谢谢老师").items()}
    response = client.post(url, {**data, "revision": "0"})
    assert response["Location"] == "/surveys/my/"
    assert "已填写，修改" in client.get("/").content.decode()
    page = client.get(url).content.decode()
    assert "已提交过答卷" in page and "谢谢老师" in page
    data = {f"q{k}": v for k, v in answers(sw.survey, 2).items()}
    response = client.post(url, {**data, "revision": "1"})
    assert response.status_code == 302
    assert SurveyResponse.objects.get().revision == 2


def test_the_answer_page_refuses_with_the_reason_and_keeps_what_was_typed(client, login, world):
    sw = survey_world(world)
    login(world.guardian.user)
    url = f"/surveys/{sw.survey.pk}/answer/{world.child.pk}/"
    data = {f"q{k}": v for k, v in answers(sw.survey, 5, text="保留的文字").items()}
    first = sw.survey.questions.order_by("number").first()
    data.pop(f"q{first.pk}")
    response = client.post(url, {**data, "revision": "0"})
    text = response.content.decode()
    assert response.status_code == 400 and "请回答第 1 题" in text and "保留的文字" in text
    assert not SurveyResponse.objects.exists()
    answer_as(world.guardian, sw.survey, world.child)
    response = client.post(url, {**{f"q{k}": v for k, v in answers(sw.survey).items()},
                                 "revision": "0"})
    assert "另一位家长刚刚为张小明提交了答卷" in response.content.decode()
    sw.survey.status = Survey.Status.CLOSED
    sw.survey.save()
    page = client.get(url).content.decode()
    assert "已结束" in page and "提交答卷" not in page
    response = client.post(url, {**{f"q{k}": v for k, v in answers(sw.survey).items()},
                                 "revision": "1"})
    assert response.status_code == 400 and "不能再提交或修改答卷" in response.content.decode()


def test_a_child_who_did_not_attend_has_no_answer_page(client, login, world):
    sw = survey_world(world)
    newcomer, guardian = family(world.school, world.homeroom, "新同学")
    login(guardian.user)
    response = client.get(f"/surveys/{sw.survey.pk}/answer/{newcomer.pk}/")
    assert response.status_code == 404 and "没有参加过课后服务" in response.content.decode()


def test_results_refuse_a_small_cut_by_url_and_leak_nothing(client, login, world):
    sw = survey_world(world)
    third = f.HomeroomFactory(school=world.school, grade=world.homeroom.grade, number=3)
    for homeroom, count, scale in ((world.homeroom, 6, 5), (world.other_homeroom, 5, 4),
                                   (third, 1, 1)):
        for i in range(count):
            child, guardian = family(world.school, homeroom, f"{homeroom.number}班{i}")
            attended(world.term, [child])
            answer_as(guardian, sw.survey, child, scale)
    login(world.principal)
    base = f"/surveys/{sw.survey.pk}/results/"
    page = client.get(base).content.decode()
    assert "91.7%" in page   # 11 of 12 satisfied overall
    # 3班 has one answer; 2班 (five) is hidden with it, or 七年级 − 1班 − 2班 would give it.
    for homeroom in (third, world.other_homeroom):
        small = client.get(f"{base}?by=homeroom&group={homeroom.pk}")
        assert small.status_code == 404 and "少于 5 份" in small.content.decode()
        assert "非常不满意（1分）" not in small.content.decode()
    # A malformed or unknown cut is no page; a group that does not exist is refused exactly as
    # a small one, so the answer does not tell whether it exists.
    for query, message in (("?by=homeroom&group=abc", e.CUT_UNKNOWN),
                           ("?by=secret&group=1", e.CUT_UNKNOWN), ("?group=1", e.CUT_UNKNOWN),
                           ("?by=tutor&group=999999999", e.CUT_TOO_SMALL.format(min=5))):
        response = client.get(base + query)
        assert response.status_code == 404 and message in response.content.decode(), query
        assert "91.7%" not in response.content.decode(), query
    # The homework tutor of all twelve children: a group large enough to show.
    tutor = client.get(f"{base}?by=tutor&group={world.tutor.pk}")
    assert tutor.status_code == 200
    assert f"辅导教师：{world.tutor.name}" in tutor.content.decode()
    assert "答卷 12 份" in tutor.content.decode()
    shown = client.get(f"{base}?by=homeroom&group={world.homeroom.pk}").content.decode()
    assert "七年级1班" in shown and "答卷 6 份" in shown
    book = load_workbook(BytesIO(client.get(f"{base}?format=xlsx").content))
    assert book.sheetnames == ["总体", "按年级", "按班级", "按课程", "按辅导教师", "意见建议"]
    rows = [[c.value for c in row] for row in book["按班级"].iter_rows()]
    assert rows[1][:3] == ["七年级1班", 6, "100.0%"]
    for row, name in ((rows[2], "七年级2班"), (rows[3], "七年级3班")):
        assert row[0] == name and "不单独显示" in row[1]
        assert len([v for v in row if v is not None]) == 2


def test_below_the_threshold_the_results_page_says_so(client, login, world):
    sw = survey_world(world)
    answer_as(world.guardian, sw.survey, world.child, 5)
    login(world.coordinator)
    page = client.get(f"/surveys/{sw.survey.pk}/results/").content.decode()
    assert "暂不显示任何结果" in page and "导出 Excel" not in page


def test_settings_page(client, login, world):
    login(world.coordinator)
    response = client.post("/surveys/settings/", {"min_answers": "2"})
    assert response.status_code == 400 and "最少 3 份" in response.content.decode()
    assert client.post("/surveys/settings/", {"min_answers": "8"}).status_code == 302
    assert 'value="8"' in client.get("/surveys/settings/").content.decode()


@pytest.mark.parametrize("families", [6, 18])
def test_results_and_lists_take_a_fixed_number_of_queries(client, login, world, families,
                                                          django_assert_max_num_queries):
    sw = survey_world(world)
    for i in range(families):
        child, guardian = family(world.school, world.homeroom if i % 2 else world.other_homeroom,
                                 f"丙{i}")
        attended(world.term, [child], tutors=[world.tutor])
        answer_as(guardian, sw.survey, child, 3 + i % 3, text=f"意见{i}")
    login(world.coordinator)
    with django_assert_max_num_queries(32):
        assert client.get(f"/surveys/{sw.survey.pk}/results/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/surveys/").status_code == 200
    login(world.guardian.user)
    with django_assert_max_num_queries(14):
        assert client.get("/surveys/my/").status_code == 200


def test_question_kinds_render_on_the_answer_page(client, login, world):
    sw = survey_world(world)
    login(world.guardian.user)
    page = client.get(f"/surveys/{sw.survey.pk}/answer/{world.child.pk}/").content.decode()
    choice = sw.survey.questions.get(kind=Question.Kind.CHOICE)
    assert all(option in page for option in choice.options)
    assert page.count('type="radio"') == 5 * 5 + len(choice.options)
