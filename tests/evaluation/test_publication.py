"""The monthly 公示 against a month computed by hand, the command's JSON, the workbook, versions,
one version per trigger, the beat's job, retries, and the pages."""

import datetime as dt
import json
from io import BytesIO, StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.urls import reverse
from openpyxl import load_workbook

from attendance.models import Lesson
from evaluation.models import Publication, PublicationJob
from evaluation.services import publication_build, publication_request, publications_monthly
from evaluation.services.publications import publication_jobs_sweep
from evaluation.tasks import publication_build_task, publications_monthly_task
from tests import factories as f
from tests.courses.factories import CourseFactory, SectionFactory

from .builders import at, correct, make_lesson, office, take

pytestmark = pytest.mark.django_db
K = Lesson.Kind
D = dt.date


@pytest.fixture
def month(world):
    """November 2024, lesson by lesson (service Monday–Thursday; grace 10 minutes).

    Homeroom 1: A (张小明, a boarder), B (李华). Homeroom 2: C (张小红), D (who withdrew from
    6 November: no record of D from that day on). T = 赵老师, X = 钱教练 (away on 5 November:
    吴老师 substitutes), H1/H2 = the homeroom teachers.

    ==  ======  ============================  =====  =====================================
    L   date    lesson                        tutor  records
    ==  ======  ============================  =====  =====================================
    1   11-04   作业辅导 homeroom 1, 16:40   T      A present, B late→leave (corrected
                                                     after locking), taken 16:42
    2   11-04   作业辅导 homeroom 2           H2     C present, D absent, taken 16:44
    3   11-05   篮球 (course)                 X→吴   A present, C present, taken 16:45
    4   11-05   作业辅导 homeroom 1           T      B — never taken
    5   11-06   按班级开展 homeroom 1 (mode)  H1     A present, B absent, taken 17:05 (late)
    6   11-06   按班级开展 homeroom 2 (mode)  H2     C leave (D withdrawn), taken 16:41
    7   11-10   Sunday 调休 as Monday:
                作业辅导 homeroom 1           T      A present, B present, taken 16:43
                作业辅导 homeroom 2           H2     C present, taken 16:48
    8   11-07   阅读写字 (fixed course)       H1     A present, B present, taken 16:40
    9   11-07   寄宿生晚读 18:55              H1     A present, taken 18:57
    —   11-11   Monday holiday: its lesson cancelled (records left behind must not count)
    —   10-31   作业辅导: another month
    ==  ======  ============================  =====  =====================================
    """
    w = world
    t = w.term
    A, B, C = w.child, w.other_child, w.sibling
    Dd = f.StudentFactory(school=w.school, homeroom=w.other_homeroom, name="赵小兰")
    T, X, H1, H2 = w.tutor, w.external, w.homeroom_teacher, w.other_homeroom_teacher
    sub = w.duty_teacher
    basketball = SectionFactory(course=CourseFactory(term=t, name="篮球"), name="篮球1班")
    reading_course = SectionFactory(course=CourseFactory(term=t, name="阅读写字"),
                                    name="七年级1班", homeroom=w.homeroom)

    def lesson(day, kids, **kw):
        return make_lesson(t, day, kids, **kw)

    l1 = lesson(D(2024, 11, 4), [A, B], tutors=[T], title="作业辅导（1班）", key="hw1:4")
    take(l1, {A: "present", B: "late"}, by=T, when=at(D(2024, 11, 4), 16, 42))
    correct(l1, B, "leave", by_user=w.coordinator, when=at(D(2024, 11, 5), 9), reason="补病假条")
    l2 = lesson(D(2024, 11, 4), [C, Dd], tutors=[H2], title="作业辅导（2班）", key="hw2:4")
    take(l2, {C: "present", Dd: "absent"}, by=H2, when=at(D(2024, 11, 4), 16, 44))
    l3 = lesson(D(2024, 11, 5), [A, C], tutors=[X], substitute=sub, title="篮球",
                kind=K.COURSE, section_id=basketball.pk)
    take(l3, {A: "present", C: "present"}, by=sub, when=at(D(2024, 11, 5), 16, 45))
    lesson(D(2024, 11, 5), [B], tutors=[T], title="作业辅导（1班）", key="hw1:5",
           start=(17, 30), end=(18, 10))
    l5 = lesson(D(2024, 11, 6), [A, B], tutors=[H1], title="1班：特色课程+作业辅导",
                kind=K.HOMEROOM, homeroom=w.homeroom)
    take(l5, {A: "present", B: "absent"}, by=H1, when=at(D(2024, 11, 6), 17, 5))
    l6 = lesson(D(2024, 11, 6), [C], tutors=[H2], title="2班：特色课程+作业辅导",
                kind=K.HOMEROOM, homeroom=w.other_homeroom)
    take(l6, {C: "leave"}, by=H2, when=at(D(2024, 11, 6), 16, 41))
    l7a = lesson(D(2024, 11, 10), [A, B], tutors=[T], title="作业辅导（1班）", key="hw1:10")
    take(l7a, {A: "present", B: "present"}, by=T, when=at(D(2024, 11, 10), 16, 43))
    l7b = lesson(D(2024, 11, 10), [C], tutors=[H2], title="作业辅导（2班）", key="hw2:10")
    take(l7b, {C: "present"}, by=H2, when=at(D(2024, 11, 10), 16, 48))
    l8 = lesson(D(2024, 11, 7), [A, B], tutors=[H1], title="阅读写字", kind=K.FIXED,
                section_id=reading_course.pk)
    take(l8, {A: "present", B: "present"}, by=H1, when=at(D(2024, 11, 7), 16, 40))
    l9 = lesson(D(2024, 11, 7), [A], tutors=[H1], title="寄宿生阅读", kind=K.READING,
                start=(18, 55), end=(19, 35), homeroom=w.homeroom)
    take(l9, {A: "present"}, by=H1, when=at(D(2024, 11, 7), 18, 57))
    lesson(D(2024, 11, 11), [A, B], tutors=[T], title="作业辅导（1班）", key="hw1:11",
           cancelled=True)
    l0 = lesson(D(2024, 10, 31), [A, B], tutors=[T], title="作业辅导（1班）", key="hw1:31")
    take(l0, {A: "present", B: "present"}, by=T, when=at(D(2024, 10, 31), 16, 41))
    return {"D": Dd, "sub": sub}


HOMEROOMS = [
    {"name": "七年级1班", "students": 2, "expected": 11, "present": 8, "late": 0, "leave": 1,
     "absent": 1, "missing": 1, "rate": 72.7},
    {"name": "七年级2班", "students": 2, "expected": 5, "present": 3, "late": 0, "leave": 1,
     "absent": 1, "missing": 0, "rate": 60.0},
]
COURSES = [
    {"name": "篮球", "students": 2, "expected": 2, "present": 2, "late": 0, "leave": 0,
     "absent": 0, "missing": 0, "rate": 100.0},
    {"name": "阅读写字", "students": 2, "expected": 2, "present": 2, "late": 0, "leave": 0,
     "absent": 0, "missing": 0, "rate": 100.0},
    {"name": "作业辅导", "students": 4, "expected": 8, "present": 5, "late": 0, "leave": 1,
     "absent": 1, "missing": 1, "rate": 62.5},
    {"name": "按班级开展（特色课程+作业辅导）", "students": 3, "expected": 3, "present": 1,
     "late": 0, "leave": 1, "absent": 1, "missing": 0, "rate": 33.3},
    {"name": "寄宿生晚读", "students": 1, "expected": 1, "present": 1, "late": 0, "leave": 0,
     "absent": 0, "missing": 0, "rate": 100.0},
]
KEYS = ("name", "students", "expected", "present", "late", "leave", "absent", "missing", "rate")


def teachers_by_hand(world, sub):
    def row(staff, scheduled, delivered, on_time, subs, eq):
        return {"name": staff.name, "phone": staff.phone, "lessons_scheduled": scheduled,
                "lessons_delivered": delivered, "roll_calls_on_time": on_time,
                "substitutions": subs, "period_equivalents": eq}

    return sorted([
        row(world.tutor, 3, 2, 2, 0, 2.0),
        row(sub, 1, 1, 1, 1, 1.0),
        row(world.homeroom_teacher, 3, 3, 2, 0, 3.0),
        row(world.other_homeroom_teacher, 3, 3, 3, 0, 3.0),
    ], key=lambda r: r["name"])


def publish_json(*args) -> dict:
    out = StringIO()
    call_command("publish_month", "--school", "jx4", "--month", "2024-11", "--json", *args,
                 stdout=out)
    return json.loads(out.getvalue())


def test_the_command_prints_exactly_the_month_computed_by_hand(world, month):
    data = publish_json()
    assert (data["school"], data["month"], data["version"]) == ("jx4", "2024-11", 1)
    assert [{k: r[k] for k in KEYS} for r in data["homerooms"]] == HOMEROOMS
    assert [{k: r[k] for k in KEYS} for r in data["courses"]] == COURSES
    teachers = sorted(({k: r[k] for k in teachers_by_hand(world, month["sub"])[0]}
                       for r in data["teachers"]), key=lambda r: r["name"])
    assert teachers == teachers_by_hand(world, month["sub"])
    for row in data["homerooms"] + data["courses"]:
        assert row["present"] + row["late"] + row["leave"] + row["absent"] + row["missing"] \
            == row["expected"]
    assert data["totals"] == {"expected": 16, "present": 11, "late": 0, "leave": 2,
                              "absent": 2, "missing": 1, "rate": 68.8}
    assert isinstance(data["teachers"][0]["period_equivalents"], float)
    assert data["lists_confirmed"] is False


def test_each_run_of_the_command_is_a_new_version_and_writes_the_workbook(world, month,
                                                                          tmp_path):
    assert publish_json()["version"] == 1
    path = tmp_path / "公示.xlsx"
    second = publish_json("--xlsx", str(path))
    assert second["version"] == 2
    book = load_workbook(path)
    assert book.sheetnames == ["教师", "班级", "课程", "巡查"]
    homerooms = list(book["班级"].iter_rows(values_only=True))
    assert homerooms[0] == ("班级", "学生数", "应到", "出勤", "迟到", "请假", "缺勤", "未点名",
                            "出勤率（%）")
    assert homerooms[1] == ("七年级1班", 2, 11, 8, 0, 1, 1, 1, 72.7)
    assert homerooms[-1] == ("合计", None, 16, 11, 0, 2, 2, 1, 68.8)
    assert len(list(book["课程"].iter_rows())) == 1 + len(COURSES) + 1
    assert Publication.objects.filter(month=D(2024, 11, 1)).count() == 2
    plain = StringIO()
    call_command("publish_month", "--school", "jx4", "--month", "2024-11", stdout=plain)
    assert "公示第 3 版" in plain.getvalue() and "应到 16 人次" in plain.getvalue()


def test_the_command_refuses_bad_input_with_the_value(world, month):
    with pytest.raises(CommandError, match="没有代码为“nope”的学校"):
        call_command("publish_month", "--school", "nope", "--month", "2024-11")
    with pytest.raises(CommandError, match="月份“2024-13”无效"):
        call_command("publish_month", "--school", "jx4", "--month", "2024-13")
    assert not Publication.objects.exists()


def test_one_version_per_trigger_however_often_it_runs(world, month,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        jobs = publications_monthly(today=D(2024, 12, 1))
    with django_capture_on_commit_callbacks(execute=True):
        again = publications_monthly(today=D(2024, 12, 1))
    job = PublicationJob.objects.get(school=world.school)
    assert job.trigger == "beat:2024-11" and jobs == [job.pk] and again == []
    assert Publication.objects.filter(school=world.school).count() == 1
    assert publication_build(job_id=job.pk).version == 1  # a redelivered message
    assert publication_build_task.delay(job.pk).get() == 1
    assert Publication.objects.count() == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 1)
    # The other school has no term in November 2024: nothing to publish there.
    assert not PublicationJob.objects.filter(school=world.other_school).exists()


def test_the_beat_task_builds_last_months_publication_for_every_school(
        world, month, django_capture_on_commit_callbacks):
    from django.utils import timezone

    with mock.patch.object(timezone, "localdate", return_value=D(2024, 12, 1)), \
            django_capture_on_commit_callbacks(execute=True):
        publications_monthly_task.delay()
    publication = Publication.objects.get()
    assert publication.month == D(2024, 11, 1)
    assert [r["expected"] for r in publication.content["homerooms"]] == [11, 5]


def test_a_database_error_is_retried_and_leaves_no_half_version(world, month):
    job = PublicationJob.objects.create(school=world.school, month=D(2024, 11, 1),
                                        trigger="manual:x")
    from evaluation.services import publications

    real = publications.publication_workbook
    calls = []

    def flaky(content):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(content)

    with mock.patch.object(publications, "publication_workbook", flaky):
        with pytest.raises(OperationalError):
            publication_build(job_id=job.pk)
        assert not Publication.objects.exists()
        job.refresh_from_db()
        assert job.status == "running"  # the retry finds it and builds it
        assert publication_build(job_id=job.pk).version == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)


def test_a_job_that_keeps_dying_is_given_up_with_a_reason(world, month):
    job = PublicationJob.objects.create(school=world.school, month=D(2024, 11, 1),
                                        trigger="manual:y", status="running", attempts=6)
    assert publication_build(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.status == "failed" and "每次都在生成中途中断" in job.error


def test_the_task_retries_a_database_error_then_gives_up_with_the_reason(world, month):
    from evaluation.services.publications import publication_give_up

    job = PublicationJob.objects.create(school=world.school, month=D(2024, 11, 1),
                                        trigger="manual:z")
    error = OperationalError("connection refused")
    with mock.patch("evaluation.services.publications.publication_workbook",
                    side_effect=error), \
            mock.patch("evaluation.tasks.database_retry", return_value=None) as retry:
        publication_build_task.delay(job.pk)
    task, exc = retry.call_args.args
    assert exc is error and task.max_retries == 4
    retry.call_args.kwargs["give_up"]()  # what runs after the last retry
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "生成失败：数据库连接中断（OperationalError）"
    assert not Publication.objects.exists()
    publication_give_up(job_id=job.pk, reason="再次")  # never un-fails or re-dates a done job


def test_the_sweep_queues_requests_that_never_reached_the_broker(world, month):
    from django.utils import timezone

    job = PublicationJob.objects.create(
        school=world.school, month=D(2024, 11, 1), trigger="manual:w",
        created_at=timezone.now() - dt.timedelta(minutes=10))
    with mock.patch("evaluation.tasks.publication_build_task.delay") as delay:
        assert publication_jobs_sweep() == [job.pk]
    # publish_on_commit: inside the test's transaction the queueing waits for the commit.
    assert delay.call_count in (0, 1)


# ------------------------------------------------------------------------------ the pages

def test_the_coordinator_builds_on_demand_and_follows_the_progress(world, month, login,
                                                                   django_capture_on_commit_callbacks):
    client = login(world.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evaluation:publications"), {"month": "2024-11"})
    job = PublicationJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation:publication_job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "已生成2024年11月公示第 1 版" in page
    # Refused: a month not started, a bad month, a principal or a teacher.
    assert "还没有开始" in client.post(reverse("evaluation:publications"),
                                   {"month": "2099-01"}, follow=True).content.decode()
    assert "无效" in client.post(reverse("evaluation:publications"), {"month": "11/2024"},
                               follow=True).content.decode()
    assert PublicationJob.objects.count() == 1
    for user in (world.principal, world.tutor.user):
        body = login(user).post(reverse("evaluation:publications"), {"month": "2024-11"},
                                follow=True).content.decode()
        assert "只有课后服务办公室可以生成月度公示" in body
    assert login(world.guardian.user).get(reverse("evaluation:publications")).status_code == 403


def test_the_page_shows_the_latest_version_and_keeps_the_earlier_ones(world, month, login):
    publish_json()
    first = Publication.objects.get()
    correct(Lesson.objects.get(key="hw1:5"), world.other_child, "present",
            by_user=world.coordinator, when=at(D(2024, 11, 20), 9))
    publish_json()
    client = login(world.tutor.user)  # every member of staff reads the notice board
    page = client.get(reverse("evaluation:publication", args=["2024-11"])).content.decode()
    assert "第 2 版" in page and "全部版本" in page and "打印（A4）" in page
    assert "七年级1班" in page and "72.7%" not in page  # one missing roll call corrected
    old = client.get(reverse("evaluation:publication", args=["2024-11"]) + "?version=1")
    assert "这是旧版本" in old.content.decode() and "72.7%" in old.content.decode()
    response = client.get(reverse("evaluation:publication_xlsx", args=[first.pk]))
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content))["班级"].iter_rows(values_only=True))
    assert rows[1][2:8] == (11, 8, 0, 1, 1, 1)
    assert login(world.guardian.user).get(
        reverse("evaluation:publication_xlsx", args=[first.pk])).status_code == 403
    client = login(world.tutor.user)
    assert client.get(reverse("evaluation:publication", args=["2024-10"])).status_code == 404


def test_publication_request_refuses_another_school(world, month):
    from afterschool.access import actor_for
    from evaluation import exceptions as e

    foreign = actor_for(world.foreign_coordinator, world.other_school)
    with pytest.raises(e.EvaluationError):
        publication_request(actor=foreign, school=world.school, month=D(2024, 11, 1))
    with pytest.raises(e.EvaluationError, match="还没有开始"):
        publication_request(actor=office(world), school=world.school, month=D(2099, 1, 1))


def test_the_beat_entry_runs_on_the_first_at_six():
    from django.conf import settings as django_settings

    entry = django_settings.CELERY_BEAT_SCHEDULE["publications-monthly"]
    schedule = entry["schedule"]
    assert entry["task"] == "evaluation.tasks.publications_monthly_task"
    assert (schedule.day_of_month, schedule.hour, schedule.minute) == ({1}, {6}, {0})
    assert django_settings.CELERY_TIMEZONE == "Asia/Shanghai"
    assert publication_build_task.acks_late and publication_build_task.reject_on_worker_lost


def test_the_progress_part_refreshes_itself_while_the_build_runs(world, month, login):
    from django.core.cache import cache

    from evaluation.services.publications import progress_key

    job = PublicationJob.objects.create(school=world.school, month=D(2024, 11, 1),
                                        trigger="manual:p", status="running", attempts=2,
                                        requested_by=world.coordinator)
    cache.set(progress_key(job.pk), {"step": 1, "of": 5, "label": "统计班级与课程出勤"})
    client = login(world.coordinator)
    part = client.get(reverse("evaluation:publication_job", args=[job.pk]),
                      HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in part and "<html" not in part
    assert "正在统计班级与课程出勤（2/5）" in part and "第 2 次执行" in part
    publication_build(job_id=job.pk)
    part = client.get(reverse("evaluation:publication_job", args=[job.pk]),
                      HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in part and "查看公示" in part
    assert login(world.tutor.user).get(
        reverse("evaluation:publication_job", args=[job.pk])).status_code == 403
