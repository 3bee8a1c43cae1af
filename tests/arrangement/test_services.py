"""The arrangement's services: a run end to end, publishing, adjustment, withdrawal, modes."""

import datetime as dt

import pytest
from django.utils import timezone

from afterschool.access import actor_for
from afterschool.models import Notice
from arrangement import exceptions, services
from arrangement.models import Arrangement, ArrangementChange, HomeworkGroup, Placement
from arrangement.services import freed_seats, runs
from courses.exceptions import ScheduleClash
from enrollment.models import Application
from tests import factories

from .factories import make_application, make_course, run_now, small_term


@pytest.fixture
def office(world):
    return actor_for(world.coordinator, world.school)


def test_run_places_everyone_optimally_and_explains(world, office,
                                                    django_capture_on_commit_callbacks):
    st = small_term(world, n_students=6, capacity=2)
    run = run_now(st.term, office, django_capture_on_commit_callbacks, seed=7)
    assert run.status == Arrangement.Status.DRAFT and run.finished_at and run.progress == "已完成"
    assert run.stats["students"] == 6 and run.stats["placed"] == 6
    assert run.stats["by_rank"] == {"1": 2, "2": 2, "3": 2}
    assert run.stats["optimal"] is True and "seconds" in run.stats
    ranks = sorted(run.placements.values_list("rank", flat=True))
    assert ranks == [1, 1, 2, 2, 3, 3]
    second = run.placements.filter(rank=2).first()
    assert second.note == "第一志愿篮球已满，已安排第二志愿书法"
    assert not run.unplaced.exists()
    # Everyone comes Monday to Thursday: one merged group of both homerooms per day.
    groups = HomeworkGroup.objects.filter(arrangement=run)
    assert groups.count() == 4
    assert {g.name for g in groups} == {"七年级1、2班"}
    assert all(g.members.count() == 6 for g in groups)


def test_unplaced_students_get_a_reason(world, office, django_capture_on_commit_callbacks):
    st = small_term(world, n_students=8, capacity=2)
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    assert run.stats["placed"] == 6
    reasons = set(run.unplaced.values_list("reason", flat=True))
    assert reasons == {"所报课程已满，暂未安排，可联系课后服务办公室"}


# ------------------------------------------------------------------ publishing


def test_publish_places_applications_and_tells_guardians(world, office,
                                                         django_capture_on_commit_callbacks):
    st = small_term(world, n_students=6, capacity=2)
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.arrangement_publish(arrangement=run, actor=office)
    run.refresh_from_db()
    assert run.status == Arrangement.Status.PUBLISHED and run.published_by == world.coordinator
    assert set(Application.objects.values_list("status", flat=True)) == {"placed"}
    notice = Notice.objects.get(user=world.guardian.user, title__startswith="张小明")
    assert "志愿" in notice.body and "按志愿优化分配" in notice.body
    # The external instructor tutors basketball: told the rosters are out.
    assert Notice.objects.filter(user=world.external.user, title="课后服务教学班名单已发布").exists()
    # The history row holds codes, who and in which role, as every state machine's does.
    status = run.changes.get(kind=ArrangementChange.Kind.STATUS)
    assert (status.from_status, status.to_status, status.actor, status.actor_role) == (
        "draft", "published", world.coordinator, "coordinator")
    assert str(status) == "状态变更：草稿 → 已发布"


def test_a_new_draft_never_overwrites_the_published_run(world, office,
                                                        django_capture_on_commit_callbacks):
    st = small_term(world, n_students=6, capacity=2)
    first = run_now(st.term, office, django_capture_on_commit_callbacks, seed=1)
    services.arrangement_publish(arrangement=first, actor=office)
    before = sorted(first.placements.values_list("student_id", "section_id", "rank"))
    second = run_now(st.term, office, django_capture_on_commit_callbacks, seed=2)
    first.refresh_from_db()
    assert second.version == 2 and second.status == Arrangement.Status.DRAFT
    assert first.status == Arrangement.Status.PUBLISHED
    assert sorted(first.placements.values_list("student_id", "section_id", "rank")) == before
    # Re-running takes the placed applications again.
    assert second.stats["students"] == 6
    services.arrangement_publish(arrangement=second, actor=office)
    first.refresh_from_db()
    assert first.status == Arrangement.Status.SUPERSEDED
    superseded = first.changes.get(to_status=Arrangement.Status.SUPERSEDED)
    assert (superseded.actor, superseded.actor_role) == (None, "system")
    assert superseded.comment == "已由第2版替代"


def test_publish_is_all_or_nothing(world, office, django_capture_on_commit_callbacks,
                                   monkeypatch):
    st = small_term(world, n_students=6, capacity=2)
    first = run_now(st.term, office, django_capture_on_commit_callbacks, seed=1)
    services.arrangement_publish(arrangement=first, actor=office)
    newcomer = factories.StudentFactory(school=world.school, homeroom=world.homeroom, name="新同学")
    extra = make_application(st.term, newcomer, [st.courses["robotics"]])
    second = run_now(st.term, office, django_capture_on_commit_callbacks, seed=2)
    notices = Notice.objects.count()

    def boom(arrangement):
        raise RuntimeError("mail server exploded")

    monkeypatch.setattr(runs, "_notify_tutors", boom)
    with pytest.raises(RuntimeError):
        services.arrangement_publish(arrangement=second, actor=office)
    first.refresh_from_db()
    second.refresh_from_db()
    extra.refresh_from_db()
    assert first.status == Arrangement.Status.PUBLISHED
    assert second.status == Arrangement.Status.DRAFT and second.published_at is None
    assert extra.status == Application.Status.SCHOOL_APPROVED
    assert Notice.objects.count() == notices
    assert not second.changes.filter(kind=ArrangementChange.Kind.STATUS).exists()


def test_only_a_computed_draft_can_be_published(world, office,
                                                django_capture_on_commit_callbacks):
    st = small_term(world)
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    services.arrangement_publish(arrangement=run, actor=office)
    with pytest.raises(exceptions.InvalidArrangementTransition):
        services.arrangement_publish(arrangement=run, actor=office)
    principal = actor_for(world.principal, world.school)
    other = run_now(st.term, office, django_capture_on_commit_callbacks)
    with pytest.raises(Exception) as exc:
        services.arrangement_publish(arrangement=other, actor=principal)
    assert "权限" in str(exc.value)


def test_lottery_mechanism(world, office, django_capture_on_commit_callbacks):
    st = small_term(world, n_students=8, capacity=2)
    run = run_now(st.term, office, django_capture_on_commit_callbacks,
                  mechanism=Arrangement.Mechanism.LOTTERY, seed=3)
    assert run.stats["mechanism"] == "lottery" and run.stats["optimal"] is False
    assert run.stats["placed"] == 6
    again = run_now(st.term, office, django_capture_on_commit_callbacks,
                    mechanism=Arrangement.Mechanism.LOTTERY, seed=3)
    assert (sorted(run.placements.values_list("student_id", "section_id"))
            == sorted(again.placements.values_list("student_id", "section_id")))


def test_a_run_the_solver_refuses_fails_with_its_message(world, office, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    st = small_term(world)
    import arrangement.services.runs as module

    real = module.term_instance

    def broken(term, **kw):
        data = real(term, **kw)
        data["courses"][0]["sections"][0]["slots"] = ["someday-9"]
        return data

    monkeypatch.setattr(module, "term_instance", broken)
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    assert run.status == Arrangement.Status.FAILED
    assert "someday-9" in run.error and run.error.startswith("数据有误")


def test_a_crash_is_recorded_on_the_run(world, office, monkeypatch,
                                        django_capture_on_commit_callbacks):
    st = small_term(world)
    import arrangement.services.homework as module

    monkeypatch.setattr(module, "group_homework", lambda children: 1 / 0)
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    assert run.status == Arrangement.Status.FAILED and "ZeroDivisionError" in run.error
    assert not run.placements.exists()  # the result is written all at once, or not at all


# ------------------------------------------------------------------ adjustment


@pytest.fixture
def draft(world, office, django_capture_on_commit_callbacks):
    """Six grade-7 children in three courses of two seats each, everyone placed."""
    st = small_term(world, n_students=6, capacity=2)
    run = run_now(st.term, office, django_capture_on_commit_callbacks, seed=5)
    return st, run


def _in(run, course):
    return list(run.placements.filter(course=course).select_related("student"))


def test_move_respects_capacity_and_is_logged(world, office, draft):
    st, run = draft
    basketball = st.courses["basketball"].sections.get()
    calligraphy = st.courses["calligraphy"].sections.get()
    mover = _in(run, st.courses["robotics"])[0]
    with pytest.raises(exceptions.SectionFull) as exc:
        services.placement_move(arrangement=run, placement=mover, section=basketball, actor=office)
    assert exc.value.message == exceptions.SECTION_FULL.format(section=basketball)
    calligraphy.capacity = 3
    calligraphy.save()
    moved = services.placement_move(arrangement=run, placement=mover, section=calligraphy,
                                    actor=office, comment="家长申请")
    assert moved.section == calligraphy and moved.rank == 2
    assert moved.note == "经课后服务办公室调整，安排第二志愿书法"
    change = run.changes.get(kind=ArrangementChange.Kind.MOVE)
    assert change.actor == world.coordinator and change.student == mover.student
    assert change.from_text == str(st.courses["robotics"].sections.get())
    assert change.to_text == str(calligraphy) and change.comment == "家长申请"


def test_non_preference_course_needs_confirmation(world, office, draft):
    st, run = draft
    dance = make_course(st.term, "舞蹈", grades=[st.grade], sections=((5, ((1, 2),)),))
    mover = _in(run, st.courses["robotics"])[0]
    section = dance.sections.get()
    with pytest.raises(exceptions.NeedsConfirmation) as exc:
        services.placement_move(arrangement=run, placement=mover, section=section, actor=office)
    assert exc.value.message == exceptions.NOT_A_PREFERENCE.format(course="舞蹈")
    assert not run.changes.filter(kind=ArrangementChange.Kind.MOVE).exists()
    moved = services.placement_move(arrangement=run, placement=mover, section=section,
                                    actor=office, confirm=True)
    assert moved.rank is None and moved.course == dance


def test_grade_and_days_are_checked(world, office, draft):
    st, run = draft
    grade8 = factories.GradeFactory(school=world.school, number=8)
    chess = make_course(st.term, "围棋", grades=[grade8], sections=((5, ((1, 2),)),))
    mover = _in(run, st.courses["robotics"])[0]
    with pytest.raises(exceptions.NotEligible, match="不面向"):
        services.placement_move(arrangement=run, placement=mover, section=chess.sections.get(),
                                actor=office, confirm=True)
    friday = make_course(st.term, "足球", grades=[st.grade], sections=((5, ((5, 2),)),))
    with pytest.raises(exceptions.NotEligible, match="参加日"):
        services.placement_move(arrangement=run, placement=mover, section=friday.sections.get(),
                                actor=office, confirm=True)


def test_swap_remove_and_place(world, office, draft):
    st, run = draft
    a = _in(run, st.courses["basketball"])[0]
    b = _in(run, st.courses["calligraphy"])[0]
    services.placement_swap(arrangement=run, first=a, second=b, actor=office)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.course == st.courses["calligraphy"] and a.rank == 2
    assert b.course == st.courses["basketball"] and b.rank == 1
    services.placement_remove(arrangement=run, placement=b, actor=office, comment="身体原因")
    entry = run.unplaced.get(student=b.student)
    assert not Placement.objects.filter(pk=b.pk).exists()
    placed = services.placement_create(arrangement=run, application=entry.application,
                                       section=st.courses["basketball"].sections.get(),
                                       actor=office)
    assert placed.rank == 1 and not run.unplaced.filter(student=b.student).exists()
    kinds = list(run.changes.order_by("pk").values_list("kind", flat=True))
    assert kinds[-3:] == ["swap", "remove", "place"]


def test_published_runs_are_not_adjusted_by_hand(world, office, draft):
    st, run = draft
    services.arrangement_publish(arrangement=run, actor=office)
    mover = _in(run, st.courses["robotics"])[0]
    with pytest.raises(exceptions.ArrangementError) as exc:
        services.placement_remove(arrangement=run, placement=mover, actor=office)
    assert exc.value.message == exceptions.ARRANGEMENT_NOT_EDITABLE


def test_change_a_sections_tutor(world, office, draft):
    st, run = draft
    section = st.courses["robotics"].sections.get()
    services.section_change_tutor(arrangement=run, section=section, tutor=world.tutor, actor=office)
    # 赵老师 already teaches calligraphy on Wednesday; robotics is Thursday: allowed.
    assert list(section.tutors.values_list("name", flat=True)) == ["赵老师"]
    calligraphy = st.courses["calligraphy"].sections.get()
    clash = make_course(st.term, "国画", grades=[st.grade], sections=((5, ((3, 2),)),))
    with pytest.raises(ScheduleClash) as exc:
        services.section_change_tutor(arrangement=run, section=clash.sections.get(),
                                      tutor=world.tutor, actor=office)
    assert exc.value.message.startswith("赵老师在周三第2节已任教")
    assert run.changes.get(kind=ArrangementChange.Kind.TUTOR).to_text.endswith("赵老师")
    assert calligraphy.tutors.filter(pk=world.tutor.pk).exists()


# ------------------------------------------------------------------ withdrawal, freed seats


def test_withdrawal_frees_the_seat_and_fill_offers_it(world, office,
                                                      django_capture_on_commit_callbacks):
    from enrollment.services import application_withdraw

    st = small_term(world, n_students=8, capacity=2)
    run = run_now(st.term, office, django_capture_on_commit_callbacks, seed=11)
    services.arrangement_publish(arrangement=run, actor=office)
    waiting = sorted(run.unplaced.values_list("student_id", flat=True))
    assert len(waiting) == 2
    leaving = run.placements.filter(course=st.courses["calligraphy"]).first()
    guardian = actor_for(world.guardian.user, world.school)
    leaving_app = leaving.application
    if leaving.student_id not in (world.child.pk, world.sibling.pk):
        guardian = office
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        application_withdraw(application=leaving_app, actor=guardian, withdrawn_on=today,
                             reason="搬家转学")
    leaving.refresh_from_db()
    assert leaving.ended_on == today
    change = run.changes.get(kind=ArrangementChange.Kind.WITHDRAW)
    assert change.student_id == leaving.student_id and change.comment == "搬家转学"

    placed = services.arrangement_fill_freed_seats(arrangement=run, actor=office)
    # One seat in 书法 (everyone's second choice): the seed's lottery decides who gets it.
    order = freed_seats._lottery_order(run.seed, waiting)
    first = min(waiting, key=order.get)
    assert [(p.student_id, p.course, p.rank) for p in placed] == [
        (first, st.courses["calligraphy"], 2)]
    assert run.unplaced.count() == 1
    assert run.changes.filter(kind=ArrangementChange.Kind.FILL, student_id=first).exists()
    assert Notice.objects.filter(title__contains="递补").exists()
    # Nothing left to fill: a second call places nobody.
    assert services.arrangement_fill_freed_seats(arrangement=run, actor=office) == []


def test_withdrawal_in_a_draft_drops_the_placement(world, office,
                                                   django_capture_on_commit_callbacks):
    from enrollment.services import application_withdraw

    st = small_term(world, n_students=6, capacity=2)
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    app = Application.objects.get(student=world.other_child)
    with django_capture_on_commit_callbacks(execute=True):
        application_withdraw(application=app, actor=office,
                             withdrawn_on=timezone.localdate(), reason="不再需要")
    assert not run.placements.filter(student=world.other_child).exists()
    assert run.changes.filter(kind=ArrangementChange.Kind.WITHDRAW).exists()


# ------------------------------------------------------------------ homeroom mode


def test_homeroom_mode_ranges(world, office, django_capture_on_commit_callbacks):
    from arrangement.selectors import meetings_on, service_mode_on

    st = small_term(world, n_students=6, capacity=2)
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    services.arrangement_publish(arrangement=run, actor=office)
    term = st.term
    tuesday = dt.date(2024, 11, 5)
    period = services.homeroom_mode_start(term=term, actor=office, start_date=dt.date(2024, 11, 4),
                                          end_date=dt.date(2024, 11, 15), reason="流感高发")
    with pytest.raises(exceptions.HomeroomModeInvalid) as exc:
        services.homeroom_mode_start(term=term, actor=office, start_date=dt.date(2024, 11, 15),
                                     end_date=dt.date(2024, 11, 20), reason="再延长")
    assert exc.value.message == exceptions.HOMEROOM_MODE_OVERLAP.format(period=period)
    with pytest.raises(exceptions.HomeroomModeInvalid):
        services.homeroom_mode_start(term=term, actor=office, start_date=dt.date(2025, 3, 1),
                                     end_date=dt.date(2025, 3, 2), reason="学期外")
    assert service_mode_on(term, tuesday) == "homeroom"
    assert service_mode_on(term, dt.date(2024, 11, 18)) == "normal"

    child = world.child
    during = meetings_on(tuesday, student=child)
    assert during and {i.kind for i in during} == {"homeroom"}
    assert during[0].title.startswith("七年级1班")

    placements = sorted(run.placements.values_list("pk", "section_id"))
    services.homeroom_mode_end(period=period, actor=office, on=dt.date(2024, 11, 6))
    period.refresh_from_db()
    assert period.end_date == dt.date(2024, 11, 5)
    assert service_mode_on(term, dt.date(2024, 11, 6)) == "normal"
    # Back to normal: the arrangement is exactly as it was.
    assert sorted(run.placements.values_list("pk", "section_id")) == placements
    after = meetings_on(dt.date(2024, 11, 12), student=child)  # a Tuesday
    assert "homework" in {i.kind for i in after}
    mine = run.placements.get(student=child)
    tuesday_course = any(s.weekday == 2 for s in mine.section.slots.all())
    assert ("course" in {i.kind for i in after}) == tuesday_course


def test_homework_groups_are_staffed_by_the_homeroom_teacher_first(
        world, office, django_capture_on_commit_callbacks):
    calligraphy = make_course(world.term, "书法", grades=[world.homeroom.grade])
    kids = [world.child, world.other_child,
            factories.StudentFactory(school=world.school, homeroom=world.homeroom)]
    for kid in kids:
        make_application(world.term, kid, [calligraphy], weekdays=[1, 3])
    run = run_now(world.term, office, django_capture_on_commit_callbacks)
    groups = list(run.homework_groups.order_by("weekday"))
    assert [(g.weekday, g.name, g.tutor) for g in groups] == [
        (1, "七年级1班", world.homeroom_teacher), (3, "七年级1班", world.homeroom_teacher)]
    assert run.stats["homework"] == {"groups": 2, "staffed": 2, "status": "optimal",
                                     "week_groups": 1, "without_room": 0}


def test_homework_group_without_a_free_tutor_says_why(world, office,
                                                     django_capture_on_commit_callbacks):
    from afterschool.models import Staff

    st = small_term(world, n_students=3)
    Staff.objects.filter(school=world.school).update(available_weekdays=[5])
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    group = run.homework_groups.first()
    assert group.tutor is None and group.unstaffed_reason.startswith("无可用的")
    assert run.stats["homework"]["staffed"] == 0
