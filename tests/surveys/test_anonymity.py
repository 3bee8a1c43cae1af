"""Answers are anonymous to staff: no page, export or staff-side module ties an answer to a
family, and the database itself keeps no child on a response."""

from __future__ import annotations

import ast
from io import BytesIO
from pathlib import Path

import pytest
from django.contrib import admin
from django.db import models
from django.template.loader import render_to_string
from django.test import override_settings
from openpyxl import load_workbook

from afterschool.access import actor_for
from surveys.anonymity import candidate_keys, respondent_key
from surveys.models import Respondent, SurveyAnswer, SurveyResponse
from surveys.panels import office_survey_panel

from .builders import answer_as, attended, family, survey_world

ROOT = Path(__file__).resolve().parents[2] / "surveys"
# The family's side (family.py), the writes (services.py), the demo and the models name the
# respondent; nothing a member of staff reaches does.
STAFF_SIDE = ["selectors.py", "exports.py", "access.py", "display.py", "panels.py",
              "transitions.py", "forms.py"]


def test_a_response_names_no_child_guardian_login_or_moment():
    related = {f.related_model for f in SurveyResponse._meta.get_fields()
               if f.is_relation and f.related_model is not None}
    from afterschool.models import Guardian, Student, StudentGuardian, User

    assert not related & {Student, Guardian, User, StudentGuardian}
    for model in (SurveyResponse, SurveyAnswer):
        assert not [f.name for f in model._meta.get_fields()
                    if isinstance(f, (models.DateTimeField, models.DateField))], model
    fields = {f.name for f in Respondent._meta.get_fields()}
    assert fields == {"id", "survey", "key", "response"}


def test_the_respondent_key_cannot_be_read_back_without_the_secret():
    key = respondent_key(12, 345)
    assert len(key) == 64 and "345" not in key
    with override_settings(SECRET_KEY="another-secret-entirely"):
        assert respondent_key(12, 345) != key
    with override_settings(SECRET_KEY="rotated", SECRET_KEY_FALLBACKS=["test-only-not-secret"]):
        # After a rotation the earlier answer is still found.
        assert key in candidate_keys(12, 345)


@pytest.mark.parametrize("name", STAFF_SIDE)
def test_no_staff_side_module_reads_the_respondent(name):
    tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert "Respondent" not in names and "family" not in names
    assert "own_response" not in names and "candidate_keys" not in names


def test_the_respondent_is_not_in_the_admin():
    assert Respondent not in admin.site._registry
    assert SurveyResponse not in admin.site._registry


@pytest.mark.django_db
def test_no_staff_page_or_export_shows_who_answered(world, login, client):
    sw = survey_world(world)
    families = [family(world.school, world.homeroom, f"答卷学生{i}", phone=f"1370000{i:04d}")
                for i in range(6)]
    for i, (child, guardian) in enumerate(families):
        attended(world.term, [child])
        answer_as(guardian, sw.survey, child, 5 - i % 3, text=f"意见{i}")
    secrets = [name for child, guardian in families for name in
               (child.name, guardian.name, guardian.phone, child.student_no)]
    for user in (world.coordinator, world.principal):
        login(user)
        pages = [client.get(f"/surveys/{sw.survey.pk}/results/"),
                 client.get(f"/surveys/{sw.survey.pk}/results/?by=homeroom&group="
                            f"{world.homeroom.pk}"),
                 client.get(f"/surveys/{sw.survey.pk}/"), client.get("/surveys/")]
        for page in pages:
            assert page.status_code == 200
            text = page.content.decode()
            assert not [s for s in secrets if s in text]
        # The home page's survey panel (other panels of the home page list children by design).
        panel = office_survey_panel(actor_for(user, world.school))
        html = render_to_string(panel["template"], {"panel": panel})
        assert "已收 6 份" in html and not [s for s in secrets if s in html]
        book = client.get(f"/surveys/{sw.survey.pk}/results/?format=xlsx")
        assert book.status_code == 200
        cells = " ".join(str(c.value) for ws in load_workbook(BytesIO(book.content))
                         for row in ws.iter_rows() for c in row if c.value is not None)
        assert "意见3" in cells and not [s for s in secrets if s in cells]
        # The texts are in the order of their content, not of arrival.
        assert cells.index("意见0") < cells.index("意见1") < cells.index("意见5")


@pytest.mark.django_db
def test_a_family_sees_only_its_own_childs_answer(world, login, client):
    sw = survey_world(world)
    answer_as(world.other_guardian, sw.survey, world.other_child, 1, text="李家的意见")
    login(world.guardian.user)
    assert client.get(f"/surveys/{sw.survey.pk}/answer/{world.other_child.pk}/").status_code \
        == 404
    page = client.get(f"/surveys/{sw.survey.pk}/answer/{world.child.pk}/")
    assert page.status_code == 200 and "李家的意见" not in page.content.decode()
    for path in (f"/surveys/{sw.survey.pk}/results/", "/surveys/"):
        assert client.get(path).status_code == 403
