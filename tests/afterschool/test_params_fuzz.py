"""Bad parameters never answer 500, and no ``next=`` leads off the site.

The test walks the URL resolver (admin aside), so a page added later is fuzzed too, or the
completeness check below fails until its path arguments are known here. Each page is requested
by GET and POST as a coordinator, principal, homeroom teacher, tutor and guardian (path
arguments are real ids from the fixtures). The first of them the page lets in sends every
parameter the code reads set at once to a non-number, a number too big for any id, an empty
value, a negative one and a few shaped ones (``1:abc``, NUL, ``//host``); then each parameter its
view mentions alone, and off-site ``next=`` targets; the others send the plain values at once.
A 500 is counted, not raised, and reported with its exception.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import sys
from urllib.parse import urlencode, urlsplit

import pytest
from django import forms
from django.core.signals import got_request_exception
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from afterschool.access import actor_for
from afterschool.models import ImportJob
from arrangement import services as arrangement_services
from tests.arrangement.factories import run_now, small_term

# What the views read from request.GET / request.POST (grep), and fields their forms add in
# __init__; the declared fields of every form of the project are added below.
READ = [
    "term", "grade", "homeroom", "school", "notice", "next", "page", "status", "course",
    "section", "run", "a", "b", "q", "student", "kind", "weekday", "bucket", "participates",
    "action", "selected", "add", "is_active", "other", "tutor", "tutors", "slots", "grades",
    "link", "pref_1", "pref_2", "pref_3", "pickup-TOTAL_FORMS", "pickup-INITIAL_FORMS",
    "pickup-0-name", "pickup-0-phone", "file",
    # dismissal (放学交接)
    "way", "route", "students", "person", "code", "name", "relation", "phone", "how", "note",
    "change", "date",
    # evaluation (月报、考核、公示)
    "month", "version", "period", "form",
    # surveys (满意度调查), dashboards (看板、方案)
    "by", "group", "format", "revision", "sort", "order", "summary", "comment",
    # safety (值日、巡查、整改)
    "week", "loads", "staff", "venue", "show", "to_status",
]
HUGE = "99999999999999999999999"
# All parameters at once are given these, then the shaped ones below; each alone the first two
# (an empty value alone is much like a missing one, which the plain request tries).
VALUES = ["abc", HUGE, ""]
SHAPED = ["-1", "1:abc", f"{HUGE}:{HUGE}", f"1-{HUGE}", "\x00", "//evil.example/"]
OFF_SITE = ["//evil.example/", "https://evil.example/", "http://evil.example/", "/\\evil.example/",
            "javascript:alert(1)"]

# On PostgreSQL, resetting a guardian's activation code answers 500 whatever the parameters:
# afterschool/services.py guardian_reset_activation locks with select_for_update() across the
# nullable join select_related("user") ("FOR UPDATE cannot be applied to the nullable side of an
# outer join"); SQLite has no FOR UPDATE and passes. Reported for the accounts change; drop the
# name here once it locks with of=("self",).
KNOWN_BUGS: set[str] = set()


APPS = ("afterschool", "courses", "enrollment", "arrangement", "attendance", "safety",
        "surveys", "evaluation", "dashboards", "privacy")


def project_patterns(resolver=None, prefix="", namespace=""):
    """(qualified name, pattern string, callback) of every named project URL, admin excluded."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from project_patterns(entry, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry.callback


PATTERNS = {name: (route, callback) for name, route, callback in project_patterns()}


def form_fields() -> set[str]:
    """The declared fields of every form class in the project's apps (the views import them)."""
    names, todo = set(), [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in APPS:
            names.update(getattr(cls, "base_fields", {}))
    return names


PARAMS = sorted(set(READ) | form_fields())


def path_args(name: str, ids: dict) -> dict:
    """Real ids from the fixtures for the page's path converters."""
    if "<" not in PATTERNS[name][0]:
        return {}
    run, published = ids["draft"], ids["published"]
    table = {
        "school:homeroom_detail": {"pk": ids["homeroom"]},
        "school:letters": {"pk": ids["homeroom"]},
        "school:roster_export_homeroom": {"pk": ids["homeroom"]},
        "school:staff_reset_password": {"pk": ids["staff"]},
        "school:staff_offboard": {"pk": ids["staff"]},
        "school:child_access": {"student_pk": ids["student"]},
        "school:guardian_reset_activation": {"pk": ids["guardian"]},
        "school:roster_job": {"pk": ids["job"]},
        "school:roster_job_status": {"pk": ids["job"]},
        "school:roster_job_restart": {"pk": ids["job"]},
        "school:roster_job_confirm": {"pk": ids["job"]},
        "school:roster_job_cancel": {"pk": ids["job"]},
        "school:roster_template": {"kind": "students"},
        "school:roster_export_grade": {"pk": ids["grade"]},
        "enrollment:start": {"student_pk": ids["student"]},
        "enrollment:privacy_child": {"student_pk": ids["student"]},
        "enrollment:privacy_withdraw": {"student_pk": ids["student"], "kind": "personal"},
        "courses:catalog_section_update": {"pk": ids["section"]},
        "courses:catalog_section_tutors": {"pk": ids["section"]},
        "courses:catalog_section_delete": {"pk": ids["section"]},
        "arrangement:homeroom_mode_end": {"pk": ids["mode"]},
        "arrangement:move": {"pk": run, "item": ids["placement"]},
        "arrangement:swap": {"pk": run, "item": ids["placement"]},
        "arrangement:swap_options": {"pk": run, "item": ids["placement"]},
        "arrangement:remove": {"pk": run, "item": ids["placement"]},
        "arrangement:place": {"pk": run, "item": ids["unplaced"]},
        "arrangement:section_roster": {"pk": published, "section": ids["section"]},
        "arrangement:homeroom_roster": {"pk": published, "homeroom": ids["homeroom"]},
        "arrangement:homework_roster": {"pk": published, "group": ids["group"]},
        "attendance:roll_call": {"pk": ids["lesson"]},
        "attendance:correct": {"pk": ids["record"]},
        "attendance:calendar_delete": {"pk": ids["calendar_day"]},
        "attendance:substitution_cancel": {"pk": ids["substitution"]},
        "attendance:homeroom_day": {"pk": ids["homeroom"]},
        "attendance:homeroom_month": {"pk": ids["homeroom"]},
        "attendance:leave_new": {"student_pk": ids["student"]},
        "attendance:leave_detail": {"pk": ids["leave"]},
        "attendance:leave_move": {"pk": ids["leave"]},
        "attendance:alert_detail": {"pk": ids["alert"]},
        "attendance:alert_handle": {"pk": ids["alert"]},
        "attendance:student_history": {"pk": ids["student"]},
        "attendance:student_day": {"pk": ids["student"], "day": "2024-09-10"},
        "evaluation:statement": {"pk": ids["statement"]},
        "evaluation:statement_confirm": {"pk": ids["statement"]},
        "evaluation:statement_dispute": {"pk": ids["statement"]},
        "evaluation:statement_finalize": {"pk": ids["statement"]},
        "evaluation:line_resolve": {"pk": ids["statement_line"]},
        "evaluation:assessment": {"pk": ids["assessment"]},
        "evaluation:assessment_entry": {"pk": ids["assessment_entry"]},
        "evaluation:publication_job": {"pk": ids["publication_job"]},
        "evaluation:publication": {"month": ids["publication_month"]},
        "evaluation:publication_xlsx": {"pk": ids["publication"]},
        "attendance:dismissal": {"pk": ids["lesson"]},
        "surveys:detail": {"pk": ids["survey"]},
        "surveys:question_add": {"pk": ids["survey"]},
        "surveys:question": {"pk": ids["survey"], "question": ids["question"]},
        "surveys:move": {"pk": ids["survey"]},
        "surveys:results": {"pk": ids["survey"]},
        "surveys:answer": {"pk": ids["survey"], "student_pk": ids["student"]},
        "dashboards:grade": {"pk": ids["grade"]},
        "dashboards:homeroom": {"pk": ids["homeroom"]},
        "dashboards:district_school": {"pk": ids["school"]},
        "dashboards:plan": {"pk": ids["plan"]},
        "attendance:pickup": {"student_pk": ids["student"]},
        "safety:swap_new": {"pk": ids["duty"]},
        "safety:swap_move": {"pk": ids["swap"]},
        "safety:patrol_form": {"lesson": ids["lesson"]},
        "safety:patrol": {"pk": ids["patrol"]},
        "safety:patrol_photo": {"pk": ids["patrol"]},
        "safety:follow_up": {"pk": ids["follow_up"]},
        "safety:follow_up_move": {"pk": ids["follow_up"]},
        "privacy:withdraw": {"pk": ids["data_request"]},
        "privacy:office_detail": {"pk": ids["data_request"]},
    }
    if name in table:
        return table[name]
    if name.startswith("enrollment:"):
        return {"pk": ids["application"]}
    if name.startswith("courses:catalog_"):
        return {"pk": ids["course"]}
    if name.startswith("arrangement:"):
        return {"pk": run}
    return {}


def params_read_by(callback) -> list[str]:
    """The names in PARAMS that the view mentions as string literals.

    Its own classes, its form's fields, and the functions of its module that it calls.
    """
    view = getattr(callback, "view_class", None)
    if view is None:
        return list(PARAMS)
    source = ""
    for cls in view.__mro__:
        if cls.__module__.split(".")[0] not in APPS:
            continue
        own = inspect.getsource(cls)
        source += own
        module = sys.modules[cls.__module__]
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__ \
                    and f"{name}(" in own:
                source += inspect.getsource(value)
        form = getattr(cls, "form_class", None)
        if form is not None and form.__module__.split(".")[0] in APPS:
            source += " ".join(f'"{f}"' for f in form.base_fields)
    return [p for p in PARAMS if f'"{p}"' in source or f"'{p}'" in source]


@pytest.fixture
def ids(world, django_capture_on_commit_callbacks):
    office = actor_for(world.coordinator, world.school)
    capture = django_capture_on_commit_callbacks
    st = small_term(world, n_students=8, capacity=2)
    published = run_now(st.term, office, capture, seed=1)
    with capture(execute=True):
        arrangement_services.arrangement_publish(arrangement=published, actor=office)
    draft = run_now(st.term, office, capture, seed=2)
    mode = arrangement_services.homeroom_mode_start(
        term=st.term, actor=office, start_date=st.term.end_date - dt.timedelta(days=2),
        end_date=st.term.end_date, reason="流感")
    job = ImportJob.objects.create(school=world.school, kind=ImportJob.Kind.STUDENTS,
                                   file="imports/fuzz.xlsx", original_name="fuzz.xlsx",
                                   created_by=world.coordinator, status=ImportJob.Status.DONE)
    course = st.courses["calligraphy"]
    attendance = _attendance_ids(world, st.term)
    return {**attendance, **_leave_and_alert_ids(world, st.term, attendance["record"]),
        **_evaluation_ids(world),
        **_safety_ids(world, st.term, attendance["lesson"]),
        **_survey_ids(world, st.term),
        "school": world.school.pk, "plan": _plan_id(world),
        "data_request": _data_request_id(world),
        "homeroom": world.homeroom.pk, "grade": st.grade.pk, "staff": world.tutor.pk,
        "guardian": world.guardian.pk, "job": job.pk, "student": world.child.pk,
        "application": st.applications[0].pk, "course": course.pk,
        "section": course.sections.first().pk, "published": published.pk, "draft": draft.pk,
        "placement": draft.placements.first().pk, "unplaced": draft.unplaced.first().pk,
        "mode": mode.pk, "group": published.homework_groups.first().pk,
    }


def _attendance_ids(world, term) -> dict:
    """A day of lessons, a calendar entry and a substitution order (attendance's pages)."""
    from attendance.models import CalendarDay, Lesson, SubstitutionOrder
    from attendance.services import lessons_regenerate

    lessons_regenerate(term=term, dates=[term.start_date + dt.timedelta(days=1)])
    lesson = Lesson.objects.filter(term=term, records__isnull=False).order_by("pk").first()
    day = CalendarDay.objects.create(term=term, date=term.start_date + dt.timedelta(days=2),
                                     kind=CalendarDay.Kind.HOLIDAY, reason="校庆")
    order = SubstitutionOrder.objects.create(
        term=term, tutor=world.tutor, substitute=world.external, start_date=term.start_date,
        end_date=term.start_date, created_by=world.coordinator)
    return {"lesson": lesson.pk, "record": lesson.records.first().pk, "calendar_day": day.pk,
            "substitution": order.pk}


def _leave_and_alert_ids(world, term, record_id) -> dict:
    """A pending leave of the guardian's child and an open absence alert."""
    from attendance.models import AbsenceAlert, AttendanceRecord, LeaveRequest

    leave = LeaveRequest.objects.create(student=world.child, term=term,
                                        start_date=term.end_date, end_date=term.end_date,
                                        reason="发烧", requested_by=world.guardian.user)
    record = AttendanceRecord.objects.get(pk=record_id)
    alert = AbsenceAlert.objects.create(record=record, student=record.student,
                                        lesson=record.lesson)
    return {"leave": leave.pk, "alert": alert.pk}


def _evaluation_ids(world) -> dict:
    """A statement with a disputed line, an assessment with an entry, a built 公示 (evaluation's
    pages)."""
    from evaluation.models import (
        Assessment,
        AssessmentEntry,
        PublicationJob,
        Statement,
        StatementLine,
    )
    from evaluation.services.publications import publication_build

    month = world.term.start_date.replace(day=1)
    statement = Statement.objects.create(school=world.school, staff=world.tutor, month=month,
                                         staff_type="teacher", rate=30)
    line = StatementLine.objects.create(statement=statement, source="claim:1", kind="claim",
                                        date=month, title="补报：作业辅导", weight=0,
                                        dispute="open", dispute_reason="漏记")
    assessment = Assessment.objects.create(school=world.school, period="month",
                                           start_date=month, end_date=month.replace(day=28),
                                           measured_until=month.replace(day=28), label="九月")
    entry = AssessmentEntry.objects.create(assessment=assessment, staff=world.tutor, score=90,
                                           lessons_scheduled=4)
    job = PublicationJob.objects.create(school=world.school, month=month, trigger="fuzz")
    publication = publication_build(job_id=job.pk)
    return {"statement": statement.pk, "statement_line": line.pk, "assessment": assessment.pk,
            "assessment_entry": entry.pk, "publication_job": job.pk,
            "publication": publication.pk, "publication_month": f"{month:%Y-%m}"}


def _survey_ids(world, term) -> dict:
    """A published survey the guardian's child may answer (it attended a lesson)."""
    from django.utils import timezone

    from attendance.models import AttendanceRecord, Lesson
    from surveys import services as survey_services

    lesson = Lesson.objects.create(term=term, date=term.start_date, start_time=dt.time(16, 40),
                                   end_time=dt.time(17, 20), kind=Lesson.Kind.HOMEWORK,
                                   key="fuzz:survey", title="作业辅导")
    AttendanceRecord.objects.create(lesson=lesson, student=world.child, status="present",
                                    marked_at=timezone.now())
    office = actor_for(world.coordinator, world.school)
    survey = survey_services.survey_create(actor=office, term=term, title="满意度调查",
                                           closes_at=timezone.now() + dt.timedelta(days=7))
    survey_services.survey_publish(actor=office, survey=survey)
    return {"survey": survey.pk, "question": survey.questions.order_by("number").first().pk}


def _data_request_id(world) -> int:
    """A guardian's waiting deletion request (the family's and the office's privacy pages)."""
    from privacy.models import DataRequest

    return DataRequest.objects.create(school=world.school, guardian=world.guardian,
                                      student=world.child, kind="deletion", text="请删除",
                                      created_by=world.guardian.user).pk


def _plan_id(world) -> int:
    """A school plan sent to the bureau (the dashboards' plan page)."""
    from django.utils import timezone

    from dashboards.models import SchoolPlan

    return SchoolPlan.objects.create(school=world.school, term=world.term, status="submitted",
                                     submitted_at=timezone.now()).pk


def _safety_ids(world, term, lesson_id) -> dict:
    """A duty of the tutor's, a swap with the duty teacher, a patrol with an open follow-up."""
    from safety.models import DutyAssignment, DutyRoster, DutySwap, FollowUp, PatrolReport

    roster = DutyRoster.objects.create(term=term, teachers_per_day=1, leaders_per_day=0,
                                       from_date=term.start_date)
    mine = DutyAssignment.objects.create(roster=roster, date=term.end_date, staff=world.tutor,
                                         kind="teacher")
    theirs = DutyAssignment.objects.create(roster=roster, date=term.end_date - dt.timedelta(
        days=1), staff=world.duty_teacher, kind="teacher")
    swap = DutySwap.objects.create(roster=roster, mine=mine, theirs=theirs, requester=world.tutor,
                                   partner=world.duty_teacher, kind="teacher",
                                   requester_date=mine.date, partner_date=theirs.date)
    patrol = PatrolReport.objects.create(
        school=world.school, lesson_id=lesson_id, date=term.start_date,
        patrolled_at=dt.datetime(2024, 9, 10, 9, tzinfo=dt.UTC), recorded_by=world.coordinator,
        teacher=world.tutor, presence="late", has_finding=True)
    follow_up = FollowUp.objects.create(patrol=patrol, school=world.school)
    return {"duty": mine.pk, "swap": swap.pk, "patrol": patrol.pk, "follow_up": follow_up.pk}


def users(world) -> dict:
    return {"coordinator": world.coordinator, "principal": world.principal,
            "homeroom_teacher": world.homeroom_teacher.user, "tutor": world.tutor.user,
            "guardian": world.guardian.user}


def problem(response, method, url, data) -> str | None:
    """Why this response is wrong (a server error, or a redirect off the site), or None."""
    if response.status_code >= 500:
        return f"{response.status_code} {method} {url} {data}"
    location = response.get("Location", "")
    if 300 <= response.status_code < 400 and location:
        parts = urlsplit(location)
        if parts.netloc and parts.netloc != "testserver" or location.startswith("//") \
                or parts.scheme not in ("", "http", "https"):
            return f"off-site redirect to {location!r}: {method} {url} {data}"
    return None


def fuzz(client, user, method, url, cases) -> list[str] | None:
    """Problems of ``cases`` for one person and method; None when the page turns them away."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    send = client.get if method == "GET" else client.post
    if send(url).status_code in (403, 405):
        # The role gate and the method check sit at dispatch: no parameter is read.
        return None
    found = []
    errors = []

    def record(sender, request=None, **kwargs):
        exc = sys.exc_info()[1]
        errors.append(f"{type(exc).__name__}: {exc}"[:200])

    got_request_exception.connect(record)
    try:
        for label, data in cases:
            errors.clear()
            if method == "GET":
                response = client.get(url, data)
            else:
                # Query and body both: some views read ``next`` or ``term`` from either.
                response = client.post(f"{url}?{urlencode(data, doseq=True)}", data)
            reason = problem(response, method, url, label)
            if reason:
                found.append(f"{reason} {errors[:1]}")
    finally:
        got_request_exception.disconnect(record)
    return found


def cases_for(read: list[str]) -> tuple[list, list]:
    """(label, parameters) cases: all parameters at once, and each one the view reads alone."""
    together = [(f"every parameter={value!r}", {name: value for name in PARAMS})
                for value in VALUES + SHAPED]
    alone = [(f"{name}={value!r}", {name: value}) for name in read for value in VALUES[:2]]
    if "next" in read:
        alone += [(f"next={target!r}", {"next": target}) for target in OFF_SITE]
    return together, alone


@pytest.fixture(autouse=True)
def quiet_request_log(caplog):
    # Every 403 and 404 would log a warning; only the failures below matter.
    caplog.set_level(logging.CRITICAL, logger="django.request")


def marks(name):
    if name in KNOWN_BUGS:
        return [pytest.mark.xfail(strict=False, reason="PostgreSQL: select_for_update over a "
                                  "nullable join in guardian_reset_activation")]
    return []


@pytest.mark.parametrize("name", [pytest.param(n, marks=marks(n)) for n in sorted(PATTERNS)])
def test_no_parameter_makes_a_page_fail(client, world, ids, name):
    """The first person the page lets in: every value for all parameters at once, then each
    parameter the view reads alone. Everyone else it lets in: the plain values at once."""
    client.raise_request_exception = False
    route, callback = PATTERNS[name]
    url = reverse(name, kwargs=path_args(name, ids))
    together, alone = cases_for(params_read_by(callback))
    found = []
    for method in ("GET", "POST"):
        first = True
        for role, user in users(world).items():
            # The others take other branches of the scoping, not of the parsing: fewer values.
            cases = together + alone if first else together[:len(VALUES)]
            problems = fuzz(client, user, method, url, cases)
            if problems is None:
                continue
            first = False
            found += [f"{role}: {p}" for p in problems]
    assert not found, "\n".join(found[:20])


def test_huge_ids_in_the_path_are_not_found_not_errors(client, world, ids):
    client.raise_request_exception = False
    found = []
    for name, (route, _) in sorted(PATTERNS.items()):
        if "<" not in route or name in KNOWN_BUGS:
            continue
        kwargs = {k: (v if k == "kind" else int(HUGE)) for k, v in path_args(name, ids).items()}
        url = reverse(name, kwargs=kwargs)
        for role, user in users(world).items():
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            for method, send in (("GET", client.get), ("POST", client.post)):
                status = send(url).status_code
                if status >= 500:
                    found.append(f"{role}: {status} {method} {url}")
    assert not found, "\n".join(found[:20])


def test_every_page_with_path_arguments_is_given_real_ids(ids):
    for name, (route, _) in PATTERNS.items():
        if "<" in route:
            args = path_args(name, ids)
            assert args, f"{name} ({route}) needs its ids in path_args"
            reverse(name, kwargs=args)


def test_the_walk_finds_the_pages_of_every_app():
    prefixes = {name.split(":")[0] for name in PATTERNS}
    assert {"school", "enrollment", "courses", "login", "activate"} <= prefixes
    assert not any(name.startswith("admin:") for name in PATTERNS)
