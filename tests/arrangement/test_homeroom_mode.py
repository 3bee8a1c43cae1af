"""Homeroom mode: ending it keeps the range as history; switching tells whom it concerns."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from afterschool.access import actor_for
from afterschool.models import Delivery, Notice
from arrangement import services
from arrangement.models import HomeroomModePeriod
from arrangement.selectors import homeroom_mode_now_or_next, service_mode_on

from .factories import run_now, small_term

pytestmark = pytest.mark.django_db

NOV = {d: dt.date(2024, 11, d) for d in range(1, 31)}


@pytest.fixture
def office(world):
    return actor_for(world.coordinator, world.school)


@pytest.fixture
def published(world, office, django_capture_on_commit_callbacks):
    st = small_term(world, n_students=6, capacity=2)
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.arrangement_publish(arrangement=run, actor=office)
    Notice.objects.all().delete()
    return st, run


def _told(title_part):
    return {n.user for n in Notice.objects.filter(title__contains=title_part)}


def test_switching_on_tells_the_families_and_the_teachers_concerned(
        world, office, published, django_capture_on_commit_callbacks):
    st, run = published
    with django_capture_on_commit_callbacks(execute=True):
        period = services.homeroom_mode_start(term=st.term, actor=office, start_date=NOV[4],
                                              end_date=NOV[8], reason="流感高发")
    told = _told("11月4日至11月8日课后服务按班级开展")
    # Every family of a child in the arrangement, once each (王丽 has two children).
    assert {world.guardian.user, world.other_guardian.user} <= told
    families = Notice.objects.filter(user=world.guardian.user)
    assert families.count() == 1
    notice = families.get()
    assert "流感高发" in notice.body and "11月9日起恢复原有课表" in notice.body
    assert notice.url == reverse("arrangement:my_schedule")
    assert Delivery.objects.filter(notice=notice, channel=Delivery.Channel.SMS).exists()
    # The tutors of its sections, the homework tutors and the two 班主任.
    assert {world.tutor.user, world.external.user, world.homeroom_teacher.user,
            world.other_homeroom_teacher.user} <= told
    # Not the principal, the duty teacher or another school.
    assert not told & {world.principal, world.duty_teacher.user, world.foreign_coordinator}
    assert period.notice_summary == (
        "已通知 2 位家长（站内 2，短信 2 条发送中，邮件 2 封发送中）；已通知 4 位教师（站内 4）")


def test_ending_early_closes_the_range_and_keeps_it(world, office, published,
                                                   django_capture_on_commit_callbacks):
    st, run = published
    period = services.homeroom_mode_start(term=st.term, actor=office, start_date=NOV[4],
                                          end_date=NOV[15], reason="流感高发")
    Notice.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        ended = services.homeroom_mode_end(period=period, actor=office, on=NOV[6])
    period.refresh_from_db()
    assert (period.start_date, period.end_date, period.ended_on, period.planned_end_date) == (
        NOV[4], NOV[5], NOV[6], NOV[15])
    assert period.ended_by == world.coordinator and period.ended_at is not None
    assert not period.never_ran
    assert service_mode_on(st.term, NOV[5]) == "homeroom"
    assert service_mode_on(st.term, NOV[6]) == "normal"
    body = Notice.objects.get(user=world.guardian.user).body
    assert body.startswith("原定11月4日至11月15日按班级开展，现提前结束：11月6日起走班社团恢复")
    assert world.tutor.user in _told("11月6日起课后服务恢复正常")
    assert "已通知 2 位家长" in ended.notice_summary
    # Ending it again changes nothing and tells nobody twice.
    again = services.homeroom_mode_end(period=period, actor=office, on=NOV[7])
    assert again.notice_summary == "" and again.ended_on == NOV[6]
    assert Notice.objects.filter(user=world.guardian.user).count() == 1
    # The days after are free for a new range.
    services.homeroom_mode_start(term=st.term, actor=office, start_date=NOV[11],
                                 end_date=NOV[12], reason="再次流感")
    assert HomeroomModePeriod.objects.filter(term=st.term).count() == 2


def test_cancelling_a_range_before_it_begins_keeps_it_as_never_run(
        world, office, published, django_capture_on_commit_callbacks):
    st, run = published
    period = services.homeroom_mode_start(term=st.term, actor=office, start_date=NOV[11],
                                          end_date=NOV[15], reason="防疫演练")
    Notice.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        ended = services.homeroom_mode_end(period=period, actor=office, on=NOV[6])
    period.refresh_from_db()
    assert period.never_ran and period.ended_on == NOV[6]
    assert period.planned_end_date == NOV[15] and period.end_date == NOV[5]
    assert ended.never_ran
    assert all(service_mode_on(st.term, NOV[d]) == "normal" for d in range(6, 16))
    assert homeroom_mode_now_or_next(st.term, NOV[6]) == (None, None)
    assert "取消11月11日至11月15日按班级开展" in {n.title for n in Notice.objects.all()}
    # The same days may be set again.
    services.homeroom_mode_start(term=st.term, actor=office, start_date=NOV[11],
                                 end_date=NOV[15], reason="防疫演练（改期后恢复）")


def test_without_a_published_arrangement_nobody_is_told(world, office):
    small_term(world)
    period = services.homeroom_mode_start(term=world.term, actor=office, start_date=NOV[4],
                                          end_date=NOV[8], reason="流感高发")
    assert period.notice_summary == "尚未发布统筹安排，没有需要通知的家长和教师"
    assert not Notice.objects.exists()


def test_the_page_shows_the_history_and_what_was_sent(world, login, office, published,
                                                     django_capture_on_commit_callbacks):
    st, run = published
    today = timezone.localdate()
    st.term.start_date, st.term.end_date = today - dt.timedelta(days=7), today + dt.timedelta(60)
    st.term.save()
    client = login(world.coordinator)
    period = services.homeroom_mode_start(term=st.term, actor=office,
                                          start_date=today - dt.timedelta(days=2),
                                          end_date=today + dt.timedelta(days=5), reason="流感高发")
    response = client.post(reverse("arrangement:homeroom_mode_end", args=[period.pk]),
                           follow=True)
    page = response.content.decode()
    assert "已从今天起恢复正常走班安排。已通知 2 位家长" in page
    assert "提前恢复正常" in page and "流感高发" in page
    assert HomeroomModePeriod.objects.filter(pk=period.pk, ended_on=today).exists()
