"""The district generator (seed_district): what it writes holds the project's rules, the
dashboards count it exactly, and running it again adds nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from afterschool.models import School, Student
from arrangement.models import Placement
from attendance.models import AbsenceAlert, AttendanceRecord, Lesson
from dashboards.models import MonthlySchoolStat
from enrollment.models import Application
from surveys.models import Respondent, Survey, SurveyResponse
from surveys.selectors import survey_results

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def district(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    out = StringIO()
    call_command("seed_district", schools=2, students_per_school=60, months=2,
                 prefix="g", district="测试县教育局", stdout=out)
    return out.getvalue()


def test_it_writes_schools_people_forms_lessons_and_records(district):
    assert "生成 2 所学校、120 名学生" in district and "看板汇总表" in district
    schools = School.objects.filter(code__startswith="g-")
    assert schools.count() == 2 and set(schools.values_list("district", flat=True)) == {
        "测试县教育局"}
    assert Student.objects.filter(school__in=schools).count() == 120
    lessons = Lesson.objects.filter(term__school__in=schools)
    assert lessons.exists() and not lessons.filter(date__gte=TODAY).exists()
    assert not lessons.filter(date__month=10, date__day__lte=7).exists()   # 国庆 week
    # Every record belongs to a child who takes part on that weekday; placed children are in
    # their section's lessons only.
    for record in AttendanceRecord.objects.select_related("lesson").order_by("?")[:50]:
        app = Application.objects.get(student=record.student_id)
        assert app.participates and record.lesson.date.isoweekday() in app.weekdays
        if record.lesson.section_id:
            assert Placement.objects.filter(student=record.student_id,
                                            section_id=record.lesson.section_id).exists()
    assert (AbsenceAlert.objects.count()
            == AttendanceRecord.objects.filter(status="absent").count())
    placed = Application.objects.filter(status="placed").count()
    assert placed == Placement.objects.count() > 0


def test_the_dashboards_count_it_exactly(district):
    for stat in MonthlySchoolStat.objects.filter(school__code__startswith="g-"):
        records = AttendanceRecord.objects.filter(
            lesson__term__school=stat.school_id, lesson__date__year=stat.month.year,
            lesson__date__month=stat.month.month)
        counts = dict(records.values_list("status").annotate(n=Count("pk")).order_by())
        assert stat.expected == records.count()
        assert (stat.present, stat.late, stat.leave, stat.absent) == tuple(
            counts.get(s, 0) for s in ("present", "late", "leave", "absent"))
    assert MonthlySchoolStat.objects.filter(school__code__startswith="g-").count() == 6


def test_the_survey_answers_hold_the_rules(district):
    for survey in Survey.objects.filter(school__code__startswith="g-"):
        assert SurveyResponse.objects.filter(survey=survey).count() == \
            Respondent.objects.filter(survey=survey).count()
        assert survey_results(survey).shown


def test_running_again_adds_nothing_and_bad_sizes_are_refused(district):
    before = (Student.objects.count(), AttendanceRecord.objects.count())
    call_command("seed_district", schools=2, students_per_school=60, months=2, prefix="g",
                 stdout=StringIO())
    assert (Student.objects.count(), AttendanceRecord.objects.count()) == before
    with pytest.raises(CommandError, match="--schools 应在 1 到 999 之间"):
        call_command("seed_district", schools=0, students_per_school=60)
    with pytest.raises(CommandError, match="--months 应在 1 到 6 之间"):
        call_command("seed_district", schools=1, students_per_school=60, months=9)
