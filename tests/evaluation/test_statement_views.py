"""The statement pages: who sees what, a teacher confirms or disputes, the office resolves and
downloads the payroll workbook."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluation.models import Statement, StatementLine
from evaluation.services import statements_issue

from .builders import NOV, at, make_lesson, office, take

pytestmark = pytest.mark.django_db
S = Statement.Status


@pytest.fixture
def issued(world):
    """Two of the tutor's lessons and one of the external's, taken; November issued."""
    kids = [world.child, world.other_child]
    for day in (4, 11):
        lesson = make_lesson(world.term, dt.date(2024, 11, day), kids, tutors=[world.tutor])
        take(lesson, {k: "present" for k in kids}, by=world.tutor,
             when=at(lesson.date, 16, 43))
    club = make_lesson(world.term, dt.date(2024, 11, 5), kids, tutors=[world.external],
                       title="篮球", kind="course")
    take(club, {k: "present" for k in kids}, by=world.external, when=at(club.date, 16, 41))
    world.school.subsidy_per_period = Decimal("25")
    world.school.save()
    statements_issue(actor=office(world), school=world.school, month=NOV,
                     now=at(dt.date(2024, 12, 2), 8))
    return {s.staff_id: s for s in Statement.objects.all()}


def test_anonymous_is_sent_to_login(client, issued, world):
    statement = issued[world.tutor.pk]
    for url in (reverse("evaluation:my"), reverse("evaluation:statements"),
                reverse("evaluation:statement", args=[statement.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_teacher_sees_their_own_and_not_a_colleagues(login, issued, world):
    client = login(world.tutor.user)
    mine, theirs = issued[world.tutor.pk], issued[world.external.pk]
    page = client.get(reverse("evaluation:my")).content.decode()
    assert "2024年11月" in page and "2 课时" in page and "补助 50.00 元" in page
    assert client.get(reverse("evaluation:statement", args=[mine.pk])).status_code == 200
    assert client.get(reverse("evaluation:statement", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("evaluation:statements")).status_code == 403
    assert client.get(reverse("evaluation:payroll")).status_code == 403


def test_the_teacher_confirms_on_the_page(login, issued, world):
    statement = issued[world.tutor.pk]
    client = login(world.tutor.user)
    page = client.get(reverse("evaluation:statement", args=[statement.pk])).content.decode()
    assert "确认无误" in page and "有异议" in page
    response = client.post(reverse("evaluation:statement_confirm", args=[statement.pk]),
                           {"revision": statement.revision})
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.status == S.FINAL
    # A second tap (an old page) is refused with a message, nothing changes.
    response = client.post(reverse("evaluation:statement_confirm", args=[statement.pk]),
                           {"revision": 0})
    assert response.status_code == 400
    assert "刷新页面" in response.content.decode()


def test_a_dispute_and_its_resolution_through_the_pages(login, issued, world):
    statement = issued[world.external.pk]
    line = statement.lines.get()
    client = login(world.external.user)
    response = client.post(reverse("evaluation:statement_dispute", args=[statement.pk]),
                           {"line": line.pk, "reason": "", "revision": statement.revision})
    assert response.status_code == 400 and "请写明异议的原因" in response.content.decode()
    response = client.post(reverse("evaluation:statement_dispute", args=[statement.pk]),
                           {"line": line.pk, "reason": "这节课上了两节连堂",
                            "revision": statement.revision})
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.status == S.DISPUTED
    # Another teacher may not dispute it; the teacher may not resolve it.
    assert login(world.tutor.user).post(
        reverse("evaluation:statement_dispute", args=[statement.pk]),
        {"line": line.pk, "reason": "x"}).status_code == 404
    assert login(world.external.user).post(
        reverse("evaluation:line_resolve", args=[line.pk]),
        {"decision": "decline", "note": "x"}).status_code == 403

    client = login(world.coordinator)
    page = client.get(reverse("evaluation:statement", args=[statement.pk])).content.decode()
    assert "这节课上了两节连堂" in page and "提交处理" in page
    response = client.post(reverse("evaluation:line_resolve", args=[line.pk]),
                           {"decision": "accept", "corrected_weight": "2",
                            "note": "核对课表为连堂", "revision": statement.revision})
    assert response.status_code == 302
    statement.refresh_from_db()
    assert (statement.status, statement.total, statement.subsidy) == (
        S.FINAL, Decimal("2.00"), Decimal("0.00"))  # external instructors' rate is unset


def test_the_office_issues_and_downloads_payroll_of_final_statements(login, issued, world):
    client = login(world.coordinator)
    page = client.get(reverse("evaluation:statements") + "?month=2024-11").content.decode()
    assert "待确认 2" in page and world.tutor.name in page
    login(world.tutor.user).post(
        reverse("evaluation:statement_confirm", args=[issued[world.tutor.pk].pk]))
    client = login(world.coordinator)
    response = client.get(reverse("evaluation:payroll") + "?month=2024-11")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    rows = list(book["补助发放表"].iter_rows(values_only=True))
    assert rows[0][:7] == ("序号", "姓名", "手机号", "类别", "课时", "标准（元/课时）",
                           "金额（元）")
    assert rows[1][:7] == (1, world.tutor.name, world.tutor.phone, "本校教师", 2, 25, 50)
    assert rows[2][0] == "合计" and len(rows) == 3  # the external's statement is not final
    detail = list(book["明细"].iter_rows(values_only=True))
    assert [r[1] for r in detail[1:]] == ["2024-11-04", "2024-11-11"]


def test_the_principal_reads_but_may_not_issue_or_resolve(login, issued, world):
    client = login(world.principal)
    assert client.get(reverse("evaluation:statements")).status_code == 200
    before = StatementLine.objects.count()
    assert client.post(reverse("evaluation:statements"), {"month": "2024-11"}).status_code == 404
    assert StatementLine.objects.count() == before


def test_the_home_page_says_what_waits_for_each_person(login, issued, world):
    from evaluation.models import Assessment

    page = login(world.tutor.user).get(reverse("school:home")).content.decode()
    assert "课时月报待确认 1" in page
    statement = issued[world.external.pk]
    line = statement.lines.get()
    from evaluation.services import statement_dispute

    from .builders import as_staff

    statement_dispute(actor=as_staff(world, world.external), statement=statement, line=line,
                      reason="连堂")
    page = login(world.coordinator).get(reverse("school:home")).content.decode()
    assert "月报异议待处理 1" in page and "?month=2024-11" in page
    Assessment.objects.create(school=world.school, period="month", start_date=NOV,
                              end_date=dt.date(2024, 11, 30),
                              measured_until=dt.date(2024, 11, 30), label="2024年11月")
    page = login(world.principal).get(reverse("school:home")).content.decode()
    assert "考核名单待确认 1" in page


def test_the_settings_page_saves_weights_and_rates_for_the_office_only(login, world):
    from evaluation.models import WorkloadPolicy

    data = {"form": "policy", "weight_course": "1.5", "weight_homework": "1",
            "weight_homeroom": "1", "weight_fixed": "0.5", "weight_reading": "0.5",
            "weight_duty": "1", "weight_patrol": "0.5", "rate_teacher": "30",
            "rate_external": "120"}
    response = login(world.principal).post(reverse("evaluation:settings"), data)
    assert response.status_code == 400 and "只有课后服务办公室可以修改课时与补助标准" in \
        response.content.decode()
    assert not WorkloadPolicy.objects.exists()
    bad = login(world.coordinator).post(reverse("evaluation:settings"),
                                        {**data, "weight_course": "-1"})
    assert bad.status_code == 400 and not WorkloadPolicy.objects.exists()
    assert login(world.coordinator).post(reverse("evaluation:settings"), data).status_code == 302
    policy = WorkloadPolicy.objects.get()
    assert (policy.weight_course, policy.rate_external) == (Decimal("1.50"), Decimal("120.00"))
    assert login(world.tutor.user).get(reverse("evaluation:settings")).status_code == 403
