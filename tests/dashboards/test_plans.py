"""School plans: written and submitted by the school, approved or returned with a comment by
its own district's bureau, every refusal naming why."""

from __future__ import annotations

import pytest

from afterschool.access import actor_for
from afterschool.models import Notice, Role
from dashboards import exceptions as e
from dashboards.access import plans_visible_to
from dashboards.models import SchoolPlan, SchoolPlanChange
from dashboards.plans import plan_decide, plan_save, plan_snapshot, plan_submit
from dashboards.transitions import PlanTransitionRefused
from tests import factories as f
from tests.arrangement.factories import make_course

pytestmark = pytest.mark.django_db
P = SchoolPlan.Status


@pytest.fixture
def actors(world):
    return {"office": actor_for(world.coordinator, world.school),
            "principal": actor_for(world.principal, world.school),
            "bureau": actor_for(world.district_officer, None),
            "tutor": actor_for(world.tutor.user, world.school)}


def test_the_snapshot_holds_schedule_staffing_and_courses(world):
    make_course(world.term, "篮球", grades=[world.homeroom.grade],
                sections=((25, ((2, 2),)), (20, ((3, 2),))), tutors=[world.external])
    content = plan_snapshot(world.term)
    assert content["schedule"]["weekdays"] == "周一、周二、周三、周四"
    assert [p["start"] for p in content["schedule"]["periods"]] == ["16:40", "17:30", "18:15"]
    assert content["staffing"]["sections"] == 2 and content["staffing"]["seats"] == 45
    assert content["staffing"]["section_tutors"] == 1 and content["staffing"]["norm"] == 25
    assert content["courses"] == [{"name": "篮球", "category": "体育技能",
                                   "mode": "走班（跨班混合）", "fixed": False, "grades": "七年级",
                                   "sections": 2, "seats": 45}]


def test_submit_approve_with_history_and_notices(world, actors):
    plan = plan_save(actor=actors["office"], term=world.term, summary="全员参与，安全第一。")
    assert plan.status == P.DRAFT and plan.content == {}
    plan = plan_submit(actor=actors["principal"], plan=plan)
    assert plan.status == P.SUBMITTED and plan.content["schedule"]["term"] == world.term.name
    assert Notice.objects.filter(user=world.district_officer, title__contains="报送了").exists()
    plan = plan_decide(actor=actors["bureau"], plan=plan, approve=True, comment="同意。")
    assert plan.status == P.APPROVED and plan.decision_comment == "同意。"
    moves = list(SchoolPlanChange.objects.filter(plan=plan).values_list(
        "from_status", "to_status", "actor_role"))
    assert moves == [("draft", "submitted", Role.PRINCIPAL),
                     ("submitted", "approved", Role.DISTRICT_OFFICER)]
    assert Notice.objects.filter(user=world.coordinator, title__contains="已批准").exists()
    with pytest.raises(e.PlanError, match="不能修改"):
        plan_save(actor=actors["office"], term=world.term, summary="改一下")


def test_returned_with_a_comment_then_changed_and_submitted_again(world, actors):
    plan = plan_submit(actor=actors["office"],
                       plan=plan_save(actor=actors["office"], term=world.term, summary="初稿"))
    with pytest.raises(PlanTransitionRefused, match="请填写“退回修改”的原因"):
        plan_decide(actor=actors["bureau"], plan=plan, approve=False, comment="  ")
    plan = plan_decide(actor=actors["bureau"], plan=plan, approve=False,
                       comment="请补充校外教师的资质说明")
    assert plan.status == P.RETURNED
    plan = plan_save(actor=actors["office"], term=world.term, summary="已补充资质说明")
    plan = plan_submit(actor=actors["office"], plan=plan)
    assert plan.status == P.SUBMITTED and plan.summary == "已补充资质说明"
    assert plan.decision_comment == ""


def test_refusals(world, actors):
    with pytest.raises(e.PlanError, match=e.PLAN_NOT_ALLOWED):
        plan_save(actor=actors["tutor"], term=world.term, summary="")
    foreign_term = f.TermFactory(school=world.other_school)
    with pytest.raises(e.PlanError, match=e.PLAN_TERM_OTHER_SCHOOL):
        plan_save(actor=actors["office"], term=foreign_term, summary="")
    with pytest.raises(e.PlanError, match="最多 3000 个字"):
        plan_save(actor=actors["office"], term=world.term, summary="好" * 3001)
    plan = plan_save(actor=actors["office"], term=world.term, summary="")
    # The bureau decides only what was submitted, and only for its own district.
    with pytest.raises(PlanTransitionRefused):
        plan_decide(actor=actors["bureau"], plan=plan, approve=True)
    plan = plan_submit(actor=actors["office"], plan=plan)
    stranger = f.UserFactory(name="外县科长")
    f.grant(stranger, Role.DISTRICT_OFFICER, None, district="另一个教育局")
    with pytest.raises(e.PlanError, match=e.PLAN_NOT_IN_DISTRICT):
        plan_decide(actor=actor_for(stranger, None), plan=plan, approve=True)
    # The school cannot approve its own plan.
    with pytest.raises(e.PlanError):
        plan_decide(actor=actors["principal"], plan=plan, approve=True)
    with pytest.raises(e.PlanError, match="刚刚已有变化"):
        plan_decide(actor=actors["bureau"], plan=plan, approve=True, revision=0)
    plan.refresh_from_db()
    assert plan.status == P.SUBMITTED


def test_who_sees_which_plans(world, actors):
    draft = plan_save(actor=actors["office"], term=world.term, summary="")
    assert list(plans_visible_to(actors["bureau"])) == []   # a draft is the school's own
    plan_submit(actor=actors["office"], plan=draft)
    assert list(plans_visible_to(actors["bureau"])) == [draft]
    foreign = actor_for(world.foreign_coordinator, world.other_school)
    assert list(plans_visible_to(foreign)) == []
    assert list(plans_visible_to(actors["tutor"])) == []


def test_the_pages(client, login, world, actors):
    login(world.coordinator)
    response = client.post("/dashboards/plans/", {"term": world.term.pk,
                                                    "summary": "成立领导小组，每日巡查。"})
    plan = SchoolPlan.objects.get()
    assert response["Location"] == f"/dashboards/plans/{plan.pk}/"
    page = client.get(f"/dashboards/plans/{plan.pk}/").content.decode()
    assert "报送教育局" in page and "成立领导小组" in page and "16:40–17:20" in page
    client.post(f"/dashboards/plans/{plan.pk}/", {"action": "submit", "revision": "0"})
    plan.refresh_from_db()
    assert plan.status == P.SUBMITTED
    login(world.district_officer)
    assert "待审批 1" in client.get("/").content.decode()
    response = client.post(f"/dashboards/plans/{plan.pk}/", {
        "action": "return", "comment": "", "revision": str(plan.revision)}, follow=True)
    assert "请填写“退回修改”的原因" in response.content.decode()
    client.post(f"/dashboards/plans/{plan.pk}/", {
        "action": "return", "comment": "请补充安全预案", "revision": str(plan.revision)})
    plan.refresh_from_db()
    assert plan.status == P.RETURNED
    login(world.coordinator)
    page = client.get(f"/dashboards/plans/{plan.pk}/").content.decode()
    assert "请补充安全预案" in page and "修改后再次报送" in page
    login(world.foreign_coordinator)
    assert client.get(f"/dashboards/plans/{plan.pk}/").status_code == 404
    login(world.tutor.user)
    assert client.get("/dashboards/plans/").status_code == 403
