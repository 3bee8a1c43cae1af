"""After publishing: place the newcomers, re-run keeping hand changes, compare, snapshots."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterschool.access import actor_for
from arrangement import exceptions, selectors, services
from arrangement.models import Arrangement
from tests import factories
from tests.courses.factories import SectionFactory

from .factories import make_application, run_now, small_term

Scope = Arrangement.Scope


@pytest.fixture
def office(world):
    return actor_for(world.coordinator, world.school)


def _seats(run):
    return {(p.student_id, p.section_id) for p in selectors.active_placements(run.placements.all())}


@pytest.fixture
def published_with_hand_move(world, office, django_capture_on_commit_callbacks):
    """Six children, three courses of three seats; one child moved by hand, then published."""
    st = small_term(world, n_students=6, capacity=3)
    run = run_now(st.term, office, django_capture_on_commit_callbacks, seed=4)
    ball = st.courses["basketball"].sections.get()
    robot = st.courses["robotics"].sections.get()
    mover = run.placements.filter(section=ball).order_by("student_id").first()
    services.placement_move(arrangement=run, placement=mover, section=robot, actor=office,
                            comment="家长要求")
    with django_capture_on_commit_callbacks(execute=True):
        services.arrangement_publish(arrangement=run, actor=office)
    run.refresh_from_db()
    return st, run, mover.student


def test_place_the_newcomers_keeps_every_published_seat_and_fills_free_ones(
        world, office, published_with_hand_move, django_capture_on_commit_callbacks):
    st, published, moved = published_with_hand_move
    late = [factories.StudentFactory(school=world.school, homeroom=world.homeroom)
            for _ in range(3)]
    order = [st.courses["basketball"], st.courses["calligraphy"], st.courses["robotics"]]
    for child in late:
        make_application(st.term, child, order)
    run = run_now(st.term, office, django_capture_on_commit_callbacks, seed=9,
                  scope=Scope.NEWCOMERS, base=published)
    assert run.is_editable and run.base == published
    before = _seats(published)
    after = _seats(run)
    assert before <= after  # nobody published moved
    new = after - before
    assert {sid for sid, _ in new} == {c.pk for c in late}
    # 9 seats, 6 taken: basketball had 3 (one moved out), so 1 free there, 3 – 2 = … the
    # newcomers, who all want basketball first, get exactly the free seats by rank.
    ball = st.courses["basketball"].sections.get()
    got_ball = [sid for sid, sec in new if sec == ball.pk]
    assert len(got_ball) == 1
    kept = run.placements.get(student=moved)
    assert kept.by_hand and kept.pinned and kept.section == st.courses["robotics"].sections.get()
    assert run.stats["pinned"] == 6 and run.stats["optimal"] is True
    assert all(p.note for p in run.placements.filter(student__in=late))
    stats = selectors.run_statistics(run)
    assert stats.students == 9 and stats.placed == 9 and stats.pinned == 6


def test_newcomers_need_the_published_base(world, office, django_capture_on_commit_callbacks):
    st = small_term(world, n_students=4, capacity=3)
    draft = run_now(st.term, office, django_capture_on_commit_callbacks, seed=1)
    with pytest.raises(exceptions.ArrangementError) as exc:
        services.arrangement_start(term=st.term, actor=office, scope=Scope.NEWCOMERS, base=draft)
    assert exc.value.message == exceptions.BASE_NOT_PUBLISHED
    with pytest.raises(exceptions.ArrangementError) as exc:
        services.arrangement_start(term=st.term, actor=office, scope=Scope.KEEP_HAND, base=None)
    assert exc.value.message == exceptions.BASE_REQUIRED


def test_rerun_keeping_hand_changes_pins_them_and_the_named_students(
        world, office, published_with_hand_move, django_capture_on_commit_callbacks):
    st, published, moved = published_with_hand_move
    named = published.placements.exclude(student=moved).order_by("-student_id").first()
    reruns = [run_now(st.term, office, django_capture_on_commit_callbacks, seed=seed,
                      scope=Scope.KEEP_HAND, base=published,
                      pin_student_nos=[named.student.student_no])
              for seed in (1, 2, 3)]
    for run in reruns:
        assert run.placements.get(student=moved).section_id == \
            published.placements.get(student=moved).section_id
        assert run.placements.get(student=named.student).section_id == named.section_id
        assert run.stats["pinned"] == 2
        assert set(run.placements.filter(pinned=True).values_list("student_id", flat=True)) \
            == {moved.pk, named.student_id}
    # A plain re-run may undo the hand change: the solver puts the child back on rank 1.
    plain = run_now(st.term, office, django_capture_on_commit_callbacks, seed=4)
    assert plain.placements.get(student=moved).rank == 1


def test_an_unknown_student_number_is_refused_naming_the_line(
        world, office, published_with_hand_move):
    st, published, _ = published_with_hand_move
    with pytest.raises(exceptions.ArrangementError) as exc:
        services.arrangement_start(term=st.term, actor=office, scope=Scope.KEEP_HAND,
                                   base=published,
                                   pin_student_nos=[world.child.student_no, "X-404"])
    assert exc.value.message == exceptions.PIN_UNKNOWN_STUDENT.format(line=2, value="X-404")
    assert not Arrangement.objects.filter(scope=Scope.KEEP_HAND).exists()


def test_the_run_page_offers_both_and_the_start_view_runs_them(
        world, login, published_with_hand_move, django_capture_on_commit_callbacks):
    st, published, moved = published_with_hand_move
    late = factories.StudentFactory(school=world.school, homeroom=world.homeroom)
    # The hand move freed a basketball seat.
    make_application(st.term, late, [st.courses["basketball"]])
    client = login(world.coordinator)
    page = client.get(reverse("arrangement:detail", args=[published.pk])).content.decode()
    assert "安排 1 名新增学生" in page and "人工调整过的 1 名学生保持不变" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("arrangement:start"), {
            "term": st.term.pk, "base": published.pk, "scope": "newcomers",
            "mechanism": "exact"})
    run = Arrangement.objects.get(scope=Scope.NEWCOMERS)
    assert response.status_code == 302 and response.url == reverse("arrangement:detail",
                                                                   args=[run.pk])
    assert _seats(published) < _seats(run)
    response = client.post(reverse("arrangement:start"), {
        "term": st.term.pk, "base": published.pk, "scope": "keep_hand", "mechanism": "exact",
        "pins": "没有这个号"}, follow=True)
    assert "“另外保持不变的学生”第1行：找不到学籍号为“没有这个号”的学生。" in \
        response.content.decode()


def test_compare_lists_who_moved_and_does_not_call_different_students_the_same(
        world, office, login, published_with_hand_move, django_capture_on_commit_callbacks):
    st, published, moved = published_with_hand_move
    late = factories.StudentFactory(school=world.school, homeroom=world.homeroom, name="新来的")
    make_application(st.term, late, [st.courses["basketball"]])
    run = run_now(st.term, office, django_capture_on_commit_callbacks, seed=9,
                  scope=Scope.NEWCOMERS, base=published)
    page = login(world.coordinator).get(
        reverse("arrangement:compare") + f"?a={published.pk}&b={run.pk}").content.decode()
    assert "同一批学生" not in page
    assert "新增 1 名、减少 0 名学生" in page
    assert "新来的" in page and "本版新加入" in page
    moves = selectors.runs_moves(published, run)
    assert [m.student.pk for m in moves["moves"]] == [late.pk]
    assert moves["moves"][0].before == ["不在该版"]
    assert moves["moves"][0].after == ["篮球 · 1班"]
    # Between the draft before the hand move and the published run: from → to, and why.
    plain = run_now(st.term, office, django_capture_on_commit_callbacks, seed=4)
    moves = selectors.runs_moves(plain, published)
    row = next(m for m in moves["moves"] if m.student.pk == moved.pk)
    assert row.before == ["篮球 · 1班"] and row.after == ["机器人 · 1班"]
    assert "经课后服务办公室调整" in row.why and "家长要求" in row.why
    assert moves["same_students"] is False and moves["left"] == 1  # the late child


def test_comparing_costs_the_same_queries_for_more_children(
        world, office, django_capture_on_commit_callbacks):
    counts = []
    st = small_term(world, n_students=6, capacity=3)
    order = [st.courses["basketball"], st.courses["calligraphy"], st.courses["robotics"]]
    for more in (0, 14):
        for _ in range(more):
            child = factories.StudentFactory(school=world.school, homeroom=world.homeroom)
            make_application(world.term, child, order)
        a = run_now(world.term, office, django_capture_on_commit_callbacks, seed=1)
        b = run_now(world.term, office, django_capture_on_commit_callbacks, seed=2,
                    mechanism="lottery")
        with CaptureQueriesContext(connection) as ctx:
            selectors.runs_moves(a, b)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 6


def test_a_published_run_is_a_snapshot_of_its_sections(
        world, office, published_with_hand_move, django_capture_on_commit_callbacks):
    st, published, _ = published_with_hand_move
    later = SectionFactory(course=st.courses["basketball"], name="2班", capacity=5,
                           slots=((2, 2),))
    names = [s.section.name
             for c in selectors.run_statistics(published).courses for s in c.sections]
    assert "2班" not in names and later not in selectors.run_sections(published)
    draft = run_now(st.term, office, django_capture_on_commit_callbacks, seed=3)
    assert later in selectors.run_sections(draft)


def test_rank_shares_are_of_students_and_a_hand_change_withdraws_the_proof(
        world, office, login, django_capture_on_commit_callbacks):
    st = small_term(world, n_students=8, capacity=2)  # 6 seats for 8 children
    run = run_now(st.term, office, django_capture_on_commit_callbacks, seed=4)
    stats = selectors.run_statistics(run)
    assert stats.placed == 6 and stats.by_rank[0]["count"] == 2
    assert stats.by_rank[0]["percent"] == 25  # 2 of 8 children, not 2 of 6 placements
    assert stats.optimal is True
    client = login(world.coordinator)
    assert "已证明最优" in client.get(reverse("arrangement:detail", args=[run.pk])).content.decode()
    placement = run.placements.first()
    services.placement_remove(arrangement=run, placement=placement, actor=office)
    run.refresh_from_db()
    stats = selectors.run_statistics(run)
    assert stats.optimal is None and stats.changed_by_hand
    page = client.get(reverse("arrangement:detail", args=[run.pk])).content.decode()
    assert "已证明最优</span>" not in page and "人工调整后不再标注“已证明最优”" in page


def test_the_picker_offers_open_seats_on_the_childs_days_and_disables_the_rest(
        world, office, login, django_capture_on_commit_callbacks):
    st = small_term(world, n_students=6, capacity=2)
    # The world's child attends Tuesday and Wednesday only: robotics (Thursday) is out.
    app = next(a for a in st.applications if a.student == world.child)
    app.weekdays = [2, 3]
    app.save(update_fields=["weekdays"])
    run = run_now(st.term, office, django_capture_on_commit_callbacks, seed=4)
    placement = run.placements.get(student=world.child)
    sections = list(selectors.run_sections(run))
    choices = selectors.seat_choices(sections, selectors.section_occupancy(run),
                                     application=placement.application, student=world.child,
                                     term=st.term,
                                     exclude=placement.section_id)
    why = {pk: reason for pk, _, reason in choices}
    robot = st.courses["robotics"].sections.get()
    assert why[robot.pk] == exceptions.NOT_ATTENDING_DAY.format(days="周四")
    assert all(reason == exceptions.NO_FREE_SEAT for pk, reason in why.items() if pk != robot.pk)
    page = login(world.coordinator).get(
        reverse("arrangement:adjust", args=[run.pk]) + f"?q={world.child.student_no}"
    ).content.decode()
    assert f'<option value="{robot.pk}" disabled>' in page
    assert "不在该生的参加日内" in page
