"""Demo intention forms: about half of each demo school's students, in a spread of states.

The forms' content is written in bulk (it is what parents would have typed); every status
change then goes through ``services.applications_transition_bulk`` with the person who would
make it — each family's guardian submits and withdraws, each homeroom teacher reviews their
homeroom, the office re-reviews — so the history, roles and scope checks are the real ones.
Idempotent: a school whose current term already has demo forms is left alone. The demo
guardian's own children are left unanswered, so the form can be tried at once.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.utils import timezone

from afterschool.access import Actor, actor_for
from afterschool.models import Role, RoleAssignment, School, Student, StudentGuardian

from . import selectors, services
from .models import Application, PickupPerson, Preference, PrivacyConsent, Signature
from .notice_text import default_notice

Status = Application.Status
SEED = 20260910
SHARE = 0.5

# Where each demo form ends up (weights in percent).
OUTCOMES = [
    (Status.DRAFT, 7), (Status.SUBMITTED, 26), (Status.RETURNED, 5), (Status.CLASS_REJECTED, 2),
    (Status.CLASS_APPROVED, 22), (Status.SCHOOL_APPROVED, 28), (Status.SCHOOL_REJECTED, 2),
    (Status.WITHDRAWN, 8),
]
DECLINE_SHARE = 0.18
AGREEMENT_SERVICE = (
    "一、学校在每周一至周四放学后提供课后服务，内容为作业辅导和特色课程（社团），"
    "不讲新课、不组织考试。\n二、课后服务遵循自愿原则，免费参加，家长可随时申请退出。\n"
    "三、学生须遵守《参加课后服务学生规范》，按时参加、不无故缺席；请假须提前告知。")
AGREEMENT_SAFETY = (
    "一、学校实行点名、交接班和巡查制度，辅导教师护送学生离校。\n"
    "二、家长须按时到指定区域接孩子；委托他人接送的，须事先在系统中登记授权接送人。\n"
    "三、选择孩子自行回家的，家长须教育孩子遵守交通规则、按时到家，并承担路途安全责任。")
RETURN_REASONS = ["请补充授权接送人的手机号", "参加日与家长意愿不一致，请核对"]
REJECT_REASONS = ["该生已参加校外托管，家长确认不需要", "学生已转学"]
WITHDRAW_REASONS = ["家中老人可按时接孩子", "孩子参加校外培训时间冲突", "搬家，离学校较远"]


def enrollment_demo(demo: dict, stdout=None) -> None:
    """The demo step (``afterschool.demo.register_demo_step``)."""
    for school in (demo.get("school"), demo.get("other_school")):
        if school is None:
            continue
        made = build_demo_applications(school=school)
        if stdout is not None and made:
            stdout.write(f"{school.name}：已生成 {made} 份演示意向书。")
        term = selectors.current_term(school)
        if term is not None:
            # For the steps after this one (the catalog sizes its popular courses by it).
            demo.setdefault("participants", {})[term.pk] = Application.objects.filter(
                term=term, participates=True).count()


def _coordinator(school: School) -> Actor:
    assignment = (RoleAssignment.objects.filter(school=school, role=Role.COORDINATOR)
                  .select_related("user").order_by("pk").first())
    if assignment is not None:
        return actor_for(assignment.user, school)
    # A school without an office yet: act as one, with no login to record.
    return Actor(user=None, school=school, roles=frozenset({Role.COORDINATOR}))


def build_demo_applications(*, school: School, share: float = SHARE, seed: int = SEED) -> int:
    term = selectors.current_term(school)
    if term is None or Application.objects.filter(term=term).exists():
        return 0
    # Seeded by the school code, not its id: ids depend on what the database made before.
    rng = random.Random(f"{seed}:{school.code}")
    office = _coordinator(school)
    if not term.window_is_open():
        now = timezone.now()
        services.term_update_enrollment(
            term=term, actor=office, application_opens_at=now - dt.timedelta(days=1),
            application_closes_at=now + dt.timedelta(days=21),
            max_preferences=term.max_preferences, service_content=term.service_content,
            schedule_text=term.schedule_text, safety_text=term.safety_text,
            voluntary_statement=term.voluntary_statement)
    agreement = selectors.current_agreement(term) or services.agreement_publish(
        term=term, actor=office, service_text=AGREEMENT_SERVICE, safety_text=AGREEMENT_SAFETY)
    notice = selectors.current_notice(school) or services.privacy_notice_publish(
        school=school, actor=office, **default_notice(school.name))

    links = (StudentGuardian.objects.filter(student__school=school, student__is_active=True)
             .select_related("guardian__user").order_by("-is_primary", "pk"))
    primary: dict[int, object] = {}
    for link in links:
        primary.setdefault(link.student_id, (link.guardian, link.relation))
    demo_guardian_children = set(StudentGuardian.objects.filter(
        guardian__school=school, guardian__user__isnull=False,
        guardian__user__phone="19900000001").values_list("student_id", flat=True))
    students = [s for s in Student.objects.filter(school=school, is_active=True)
                .select_related("homeroom__grade", "homeroom__head_teacher__user")
                .order_by("student_no")
                if s.pk in primary and s.pk not in demo_guardian_children]
    chosen = rng.sample(students, round(len(students) * share))
    outcomes = [status for status, _ in OUTCOMES]
    weights = [w for _, w in OUTCOMES]

    courses_by_grade: dict[int, list] = {}
    applications, plan = [], {}
    for student in chosen:
        guardian, relation = primary[student.pk]
        outcome = rng.choices(outcomes, weights)[0]
        declined = outcome != Status.WITHDRAWN and rng.random() < DECLINE_SHARE
        app = Application(school=school, term=term, student=student,
                          created_by=guardian.user, contact_phone=guardian.phone,
                          participates=not declined)
        if not declined:
            app.weekdays = sorted(rng.sample(term.service_weekdays,
                                             rng.choice([len(term.service_weekdays)] * 3 + [2])))
            app.dismissal = rng.choices(list(Application.Dismissal.values), [60, 25, 15])[0]
            app.alone_consent = app.dismissal == Application.Dismissal.ALONE
            app.bus_route = f"{rng.randint(1, 6)} 号线" if app.dismissal == "bus" else ""
            app.allergies = "花生" if rng.random() < 0.04 else ""
            app.health_notes = "轻度哮喘，剧烈运动需注意" if rng.random() < 0.03 else ""
        applications.append(app)
        plan[student.pk] = (outcome, guardian, relation)
    Application.objects.bulk_create(applications, batch_size=500)
    applications = list(Application.objects.filter(term=term).select_related(
        "student__homeroom__head_teacher__user"))

    pickups, prefs, signatures, consents = [], [], [], []
    # Its own sequence, so the forms' choices stay what they were before consents existed.
    consent_rng = random.Random(f"{seed}:{school.code}:consent")
    for app in applications:
        _, guardian, relation = plan[app.student_id]
        # Every family that answers consented to the notice; those who wrote health notes or
        # allergies, and some others, also to the sensitive part.
        kinds = [PrivacyConsent.Kind.PERSONAL]
        if app.health_notes or app.allergies or consent_rng.random() < 0.3:
            kinds.append(PrivacyConsent.Kind.SENSITIVE)
        consents += [PrivacyConsent(student_id=app.student_id, notice=notice, kind=kind,
                                    guardian=guardian, given_by=guardian.user,
                                    given_at=timezone.now(), ip_address="127.0.0.1")
                     for kind in kinds]
        if app.dismissal == Application.Dismissal.PICKED_UP:
            pickups.append(PickupPerson(application=app, name=guardian.name,
                                        relation=relation or "家长", phone=guardian.phone))
        if app.participates:
            grade_id = app.student.homeroom.grade_id
            if grade_id not in courses_by_grade:
                courses_by_grade[grade_id] = list(
                    selectors.courses_open_to(term=term, grade_id=grade_id))
            options = courses_by_grade[grade_id]
            picks = rng.sample(options, min(len(options), term.max_preferences))
            prefs += [Preference(application=app, rank=rank, course=course)
                      for rank, course in enumerate(picks, start=1)]
            signatures.append(Signature(application=app, agreement=agreement,
                                        signed_by=guardian.user, signed_name=guardian.name,
                                        signed_at=timezone.now(), ip_address="127.0.0.1"))
    PickupPerson.objects.bulk_create(pickups, batch_size=500)
    Preference.objects.bulk_create(prefs, batch_size=500)
    Signature.objects.bulk_create(signatures, batch_size=500)
    # A family that already consented to this version keeps its own row.
    PrivacyConsent.objects.bulk_create(consents, batch_size=500, ignore_conflicts=True)

    def outcome_of(app):
        return plan[app.student_id][0]

    # 1. Each family submits its children's forms.
    by_guardian = defaultdict(list)
    for app in applications:
        if outcome_of(app) != Status.DRAFT:
            by_guardian[plan[app.student_id][1]].append(app.pk)
    for guardian, ids in by_guardian.items():
        actor = Actor(user=guardian.user, school=school, roles=frozenset({Role.GUARDIAN}),
                      guardian=guardian)
        services.applications_transition_bulk(application_ids=ids, to_status=Status.SUBMITTED,
                                              actor=actor, notify=False)

    # 2. Each homeroom teacher reviews their homeroom.
    by_homeroom = defaultdict(list)
    for app in applications:
        if outcome_of(app) not in (Status.DRAFT, Status.SUBMITTED, Status.WITHDRAWN):
            by_homeroom[app.student.homeroom].append(app)
    for homeroom, apps in by_homeroom.items():
        teacher = homeroom.head_teacher
        actor = (actor_for(teacher.user, school) if teacher and teacher.user_id else office)
        returned = [a.pk for a in apps if outcome_of(a) == Status.RETURNED]
        rejected = [a.pk for a in apps if outcome_of(a) == Status.CLASS_REJECTED]
        approved = [a.pk for a in apps if a.pk not in returned and a.pk not in rejected]
        for ids, target, reasons in ((returned, Status.RETURNED, RETURN_REASONS),
                                     (rejected, Status.CLASS_REJECTED, REJECT_REASONS),
                                     (approved, Status.CLASS_APPROVED, [""])):
            if ids:
                services.applications_transition_bulk(
                    application_ids=ids, to_status=target, actor=actor,
                    comment=rng.choice(reasons), notify=False)

    # 3. The office re-reviews.
    for target in (Status.SCHOOL_APPROVED, Status.SCHOOL_REJECTED):
        ids = [a.pk for a in applications if outcome_of(a) == target]
        if ids:
            services.applications_transition_bulk(
                application_ids=ids, to_status=target, actor=office,
                comment=rng.choice(REJECT_REASONS) if target == Status.SCHOOL_REJECTED else "",
                notify=False)

    # 4. Some families change their minds: withdrawn from today.
    leaving = defaultdict(list)
    for app in applications:
        if outcome_of(app) == Status.WITHDRAWN:
            leaving[plan[app.student_id][1]].append(app.pk)
    for guardian, ids in leaving.items():
        actor = Actor(user=guardian.user, school=school, roles=frozenset({Role.GUARDIAN}),
                      guardian=guardian)
        services.applications_transition_bulk(
            application_ids=ids, to_status=Status.WITHDRAWN, actor=actor,
            comment=rng.choice(WITHDRAW_REASONS), withdrawn_on=timezone.localdate(),
            notify=False)
    return len(applications)

