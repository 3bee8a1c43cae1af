"""Publishing an arrangement to a school's families: time and queries at 130 and 1,300 guardians.

    .venv/bin/python bench/publish.py --setup    # database bench_arrangement_publish: two schools
    .venv/bin/python bench/publish.py            # publish each school's draft, print the table

``--setup`` makes two synthetic schools on PostgreSQL (homerooms of 50, one guardian with a
login per child, every child's form approved with three preferences, sections of 25 for 110 %
of the children), computes a draft run for each (the solver and the homework groups), then
ANALYZE (autovacuum is off on this machine).

The measurement is the real service, ``arrangement_publish``, as the coordinator's POST runs it:
the previous run superseded, the sections frozen, every form moved to ``placed`` with its
history row, one notice per guardian and their SMS and e-mail deliveries written, the tutors
told. It runs in a transaction that is rolled back afterwards, so the same draft is published
again for each of the three runs (the median is shown) and the commit itself is not timed. What
it leaves for after the commit is counted, not run: one Celery task per batch of deliveries
(``afterschool.notifications.TASK_BATCH``), which workers send.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "bench_arrangement_publish"
SIZES = (130, 1300)
RUNS = 3


def django_setup(db: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db}"
    os.environ["REDIS_URL"] = ""
    # The test settings run the compute task inline on commit (--setup needs it) and never
    # reach for a broker; nothing here serves a request.
    os.environ["DJANGO_SETTINGS_MODULE"] = "afterschool.settings.test"
    import django

    django.setup()


def make_school(size: int) -> None:
    """A school of ``size`` children, each with a guardian who has a login, and a draft run."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from afterschool.access import actor_for
    from afterschool.models import (
        Grade,
        Guardian,
        Homeroom,
        Period,
        Role,
        RoleAssignment,
        School,
        Staff,
        Student,
        StudentGuardian,
        Term,
        User,
    )
    from arrangement.services import arrangement_start
    from courses.models import Course, Section, SectionSlot
    from enrollment.models import Application, Preference

    code = f"pub{size}"
    prefix = f"1{5 + SIZES.index(size)}"  # 15… and 16…: each school its own phone numbers
    now = timezone.now()
    password = make_password(None)
    with transaction.atomic():
        school = School.objects.create(name=f"发布基准学校（{size} 名学生）", code=code,
                                       district="基准区")
        term = Term.objects.create(
            school=school, name="2024—2025学年第一学期", start_date=dt.date(2024, 9, 9),
            end_date=dt.date(2025, 1, 17), service_weekdays=[1, 2, 3, 4], max_preferences=3,
            is_current=True, application_opens_at=now - dt.timedelta(days=10),
            application_closes_at=now - dt.timedelta(days=1))
        for number, (start, end, kind) in enumerate([
                (dt.time(16, 40), dt.time(17, 20), Period.Kind.HOMEWORK),
                (dt.time(17, 30), dt.time(18, 10), Period.Kind.COURSE)], start=1):
            Period.objects.create(term=term, number=number, start_time=start, end_time=end,
                                  kind=kind)
        course_period = term.periods.get(number=2)
        grade = Grade.objects.create(school=school, number=7, name="七年级")
        n_rooms = -(-size // 50)
        n_sections = -(-size * 11 // 250)  # seats for 110 % of the children
        staff_users = User.objects.bulk_create([
            User(phone=f"{prefix}9{i:08d}", name=f"教师{i}", password=password)
            for i in range(n_rooms + n_sections + 1)])
        staff = Staff.objects.bulk_create([
            Staff(school=school, user=u, name=u.name, phone=u.phone, subjects="语文",
                  available_weekdays=[1, 2, 3, 4]) for u in staff_users])
        office = staff[0]
        RoleAssignment.objects.create(user=office.user, role=Role.COORDINATOR, school=school)
        homerooms = Homeroom.objects.bulk_create([
            Homeroom(school=school, grade=grade, number=i + 1, head_teacher=staff[1 + i])
            for i in range(n_rooms)])
        users = User.objects.bulk_create([
            User(phone=f"{prefix}0{i:08d}", name=f"家长{i}", password=password)
            for i in range(size)])
        guardians = Guardian.objects.bulk_create([
            Guardian(school=school, user=u, name=u.name, phone=u.phone, activated_at=now)
            for u in users])
        students = Student.objects.bulk_create([
            Student(school=school, student_no=f"{code}{i:05d}", name=f"学生{i}",
                    homeroom=homerooms[i // 50]) for i in range(size)])
        StudentGuardian.objects.bulk_create([
            StudentGuardian(student=s, guardian=g, relation="母亲", is_primary=True)
            for s, g in zip(students, guardians, strict=True)])
        courses = Course.objects.bulk_create([
            Course(school=school, term=term, name=f"社团{i + 1}", category="体育技能",
                   mode=Course.Mode.MIXED) for i in range(-(-n_sections // 2))])
        for course in courses:
            course.grades.set([grade])
        sections = Section.objects.bulk_create([
            Section(course=courses[i // 2], name=f"{i % 2 + 1}班", capacity=25, venue=f"教室{i}")
            for i in range(n_sections)])
        SectionSlot.objects.bulk_create([
            SectionSlot(section=s, weekday=1 + i % 4, period=course_period)
            for i, s in enumerate(sections)])
        for i, section in enumerate(sections):
            section.tutors.set([staff[1 + n_rooms + i]])
        applications = Application.objects.bulk_create([
            Application(school=school, term=term, student=s,
                        status=Application.Status.SCHOOL_APPROVED, participates=True,
                        weekdays=[1, 2, 3, 4], dismissal=Application.Dismissal.PICKED_UP,
                        contact_phone=f"{prefix}0{i:08d}")
            for i, s in enumerate(students)])
        Preference.objects.bulk_create([
            Preference(application=a, rank=rank, course=courses[(i + rank) % len(courses)])
            for i, a in enumerate(applications) for rank in (1, 2, 3)])
    # Committed: the compute task runs inline (test settings) after arrangement_start commits.
    run = arrangement_start(term=term, actor=actor_for(office.user, school), seed=1)
    run.refresh_from_db()
    if run.status != run.Status.DRAFT or run.finished_at is None:
        raise SystemExit(f"{size}: the draft was not computed ({run.status}: {run.error})")


def setup(db: str) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    django_setup(db)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "--noinput", verbosity=0)
    for size in SIZES:
        started = time.perf_counter()
        make_school(size)
        print(f"school of {size}: made and computed in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def publish_once(size: int) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from afterschool.access import actor_for
    from afterschool.models import Delivery, Notice, RoleAssignment
    from arrangement.models import Arrangement
    from arrangement.services import arrangement_publish

    run = Arrangement.objects.select_related("term__school").get(
        term__school__code=f"pub{size}", status=Arrangement.Status.DRAFT)
    school = run.term.school
    grant = RoleAssignment.objects.get(school=school, role="coordinator")
    office = actor_for(grant.user, school)
    with transaction.atomic():
        queued_before = len(connection.run_on_commit)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            published = arrangement_publish(arrangement=run, actor=office)
            seconds = time.perf_counter() - started
        after_commit = len(connection.run_on_commit) - queued_before
        notices = Notice.objects.filter(school=school).count()
        deliveries = Delivery.objects.filter(notice__school=school).count()
        summary = published.notice_summary
        transaction.set_rollback(True)  # the same draft is published again by the next run
    return {"seconds": seconds, "queries": len(queries), "after_commit": after_commit,
            "notices": notices, "deliveries": deliveries, "summary": summary}


def measure(db: str) -> None:
    django_setup(db)
    from django.db import connection

    from afterschool.notifications import TASK_BATCH

    rows = []
    for size in SIZES:
        publish_once(size)  # warm: imports, the URL resolver, the database's caches
        runs = [publish_once(size) for _ in range(RUNS)]
        first = runs[0]
        rows.append((size, statistics.median(r["seconds"] for r in runs), first))
    print(f"PostgreSQL {connection.pg_version // 10000}, Python {sys.version.split()[0]}, "
          f"median of {RUNS} after one warm-up; deliveries sent by one task per {TASK_BATCH}")
    print()
    print("| guardians | seconds | queries | notices | deliveries | after commit (tasks) |")
    print("|---|---|---|---|---|---|")
    for size, seconds, run in rows:
        print(f"| {size:,} | {seconds:.2f} | {run['queries']} | {run['notices']:,} | "
              f"{run['deliveries']:,} | {run['after_commit']} |")
    print()
    print(rows[-1][2]["summary"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=DB, help="PostgreSQL database on 127.0.0.1")
    parser.add_argument("--setup", action="store_true", help="make the database and the schools")
    args = parser.parse_args()
    if args.setup:
        setup(args.db)
    else:
        measure(args.db)


if __name__ == "__main__":
    main()
