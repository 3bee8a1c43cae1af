"""The family's download: everything about the guardian and both children, nothing of the family
sharing their homeroom, club section and lessons; JSON and .xlsx agree; only the guardian."""

import io
import json
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from privacy.download import family_sections, family_zip
from privacy.models import DataExport

from .builders import OTHER, guardian_actor, two_families

pytestmark = pytest.mark.django_db


def unzip(content: bytes) -> tuple[dict, dict[str, list[tuple]], str]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert sorted(archive.namelist()) == ["数据.json", "数据.xlsx", "说明.txt"]
    data = json.loads(archive.read("数据.json"))
    book = load_workbook(io.BytesIO(archive.read("数据.xlsx")))
    sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    return data, sheets, archive.read("说明.txt").decode()


def test_the_download_holds_every_kind_of_record_of_both_children(world):
    two_families(world)
    data, sheets, readme = unzip(family_zip(guardian_actor(world)))
    assert "更正申请" in readme and "删除申请" in readme
    assert data["guardian"] == [{
        "name": "王丽", "phone": world.guardian.phone, "email": world.guardian.email,
        "school": "莒县第四实验小学", "activated_at": data["guardian"][0]["activated_at"],
        "login_phone": world.guardian.user.phone}]
    assert [c["name"] for c in data["children"]] == ["张小明", "张小红"]
    assert {c["student_no"] for c in data["children"]} == {world.child.student_no,
                                                           world.sibling.student_no}
    apps = {a["child"]: a for a in data["applications"]}
    assert apps["张小明"]["health_notes"] == "MINE哮喘1"
    assert apps["张小红"]["allergies"] == "MINE花生2"
    assert apps["张小明"]["contact_phone"] == "15800000001"
    assert [p["course"] for p in data["preferences"]] == ["篮球", "篮球"]
    assert {p["name"] for p in data["pickup_persons"]} == {"MINE爷爷1", "MINE爷爷2"}
    assert {(c["child"], c["kind"], c["version"], c["given_by"]) for c in data["consents"]} == {
        (child, kind, 1, "王丽") for child in ("张小明", "张小红")
        for kind in ("个人信息处理", "敏感个人信息（健康情况、过敏史）处理")}
    assert {s["signed_name"] for s in data["signatures"]} == {"MINE签名1", "MINE签名2"}
    assert {(p["child"], p["section"]) for p in data["placements"]} == {
        ("张小明", "篮球1班"), ("张小红", "篮球1班")}
    # Survey builder's homework lesson and the two lessons here, per child.
    mine = [r for r in data["attendance"] if r["child"] == "张小明"]
    assert {(r["lesson"], r["status"]) for r in mine} >= {("作业辅导", "出勤"), ("篮球", "缺勤")}
    assert {r["note"] for r in mine} >= {"MINE点名备注1"}
    assert {r["reason"] for r in data["leave_requests"]} == {"MINE看病1", "MINE看病2"}
    assert {r["name"] for r in data["pickup_changes"]} == {"MINE外婆1", "MINE外婆2"}
    assert {r["person"] for r in data["pickup_codes"]} == {"MINE外婆1", "MINE外婆2"}
    assert {r["to_name"] for r in data["dismissals"]} == {"MINE外婆1", "MINE外婆2"}
    assert {r["person"] for r in data["duty_handovers"]} == {"MINE舅舅1", "MINE舅舅2"}
    assert {r["outcome"] for r in data["absence_alerts"]} == {"MINE已电话联系1",
                                                              "MINE已电话联系2"}
    texts = {a["answer"] for a in data["survey_answers"] if a["child"] == "张小明"}
    assert "MINE孩子很喜欢" in texts and 5 in texts
    assert "张小明由MINE外婆1接走。" in {n["body"] for n in data["notices"]}
    assert [(a["child"], a["viewer"], a["kinds"], a["place"]) for a in data["access_log"]] == [
        ("张小明", "钱老师（校外教师）", "健康情况与过敏史、授权接送人", "教学班名单（篮球1班）"),
        ("张小红", "钱老师（校外教师）", "健康情况与过敏史、授权接送人", "教学班名单（篮球1班）")]
    # The workbook carries the same sections, one sheet each, header then rows.
    assert set(sheets) == {s["title"] for s in data["labels"].values()}
    assert sheets["课后服务意向书"][0][:3] == ("孩子", "学期", "状态")
    assert len(sheets["授权接送人"]) == 1 + len(data["pickup_persons"])
    assert ("MINE哮喘1" in {cell for row in sheets["课后服务意向书"] for cell in row})


def test_nothing_of_the_other_family_is_in_it(world):
    two_families(world)
    content = family_zip(guardian_actor(world))
    data, sheets, readme = unzip(content)
    text = json.dumps(data, ensure_ascii=False) + readme + json.dumps(
        [[str(c) for row in rows for c in row] for rows in sheets.values()], ensure_ascii=False)
    other = world.other_guardian
    for value in (OTHER, world.other_child.name, world.other_child.student_no, other.name,
                  other.phone, other.email, "15800000003", "15900000003", "15700000003",
                  "15600000003"):
        assert value not in text, value
    # Shared rows are the family's own only: the same lessons and section, two children.
    assert {r["child"] for r in data["attendance"]} == {"张小明", "张小红"}
    assert len(data["placements"]) == 2
    assert {r["child"] for r in data["access_log"]} == {"张小明", "张小红"}
    assert {r["child"] for r in data["consents"]} == {"张小明", "张小红"}


def test_the_other_family_gets_its_own_and_not_the_siblings(world):
    two_families(world)
    data, _, _ = unzip(family_zip(guardian_actor(world, world.other_guardian)))
    assert [c["name"] for c in data["children"]] == ["李华"]
    flat = json.dumps(data, ensure_ascii=False)
    for value in ("MINE", "张小明", "张小红", world.guardian.phone, world.child.student_no):
        assert value not in flat, value
    assert data["applications"][0]["health_notes"] == f"{OTHER}哮喘3"


def test_a_co_guardian_appears_masked(world):
    from tests import factories as f

    father = f.GuardianFactory(school=world.school, name="张伟", phone="13511112222")
    f.link_guardian(world.child, father, relation="父亲")
    data, _, _ = unzip(family_zip(guardian_actor(world)))
    child = next(c for c in data["children"] if c["name"] == "张小明")
    assert "张伟（父亲，135****2222）" == child["co_guardians"]
    assert "13511112222" not in json.dumps(data, ensure_ascii=False)


def test_sections_cost_the_same_queries_for_a_bigger_family(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    two_families(world)
    actor = guardian_actor(world)
    with CaptureQueriesContext(connection) as small:
        family_sections(actor)
    from tests import factories as f

    for i in range(3):
        kid = f.StudentFactory(school=world.school, homeroom=world.homeroom, name=f"老{i}")
        f.link_guardian(kid, world.guardian)
    actor = guardian_actor(world)
    with CaptureQueriesContext(connection) as big:
        family_sections(actor)
    # One query per survey and child (the respondent key) is the only part that grows.
    surveys = 1
    assert len(big) <= len(small) + 3 * surveys


def test_the_download_view_answers_only_a_guardian(world, login, client):
    two_families(world)
    url = reverse("privacy:download")
    assert client.post(url).status_code == 302
    assert "/login/" in client.post(url)["Location"]
    login(world.coordinator)
    assert client.post(url).status_code == 403
    login(world.tutor.user)
    assert client.post(url).status_code == 403
    login(world.guardian.user)
    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    data, _, _ = unzip(response.content)
    assert [c["name"] for c in data["children"]] == ["张小明", "张小红"]
    assert client.get(url).status_code == 405
    # Recorded, with what was handed out; the next download lists the first.
    export = DataExport.objects.get()
    assert (export.guardian, export.user, export.ip_address) == (
        world.guardian, world.guardian.user, "127.0.0.1")
    assert export.sections["children"] == 2 and export.sections["pickup_persons"] == 2
    again, _, _ = unzip(client.post(url).content)
    assert len(again["downloads"]) == 2 and DataExport.objects.count() == 2
