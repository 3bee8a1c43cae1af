"""The monthly 公示 at 1,000 and 5,000 students: time and peak memory of the build against a bare
openpyxl write-only dump, in one run.

    .venv/bin/python bench/publish_month.py --setup     # database bench_publish: two schools
    .venv/bin/python bench/publish_month.py             # measure, print the README table

``--setup`` makes two synthetic schools on PostgreSQL (1,000 and 5,000 students, homerooms of
50, 16 service days × 3 periods in November 2024: a homework group of 25 and two course
sections of 25 per child and period, the same all month — 48 records a child, 240,000 at
5,000), with roll calls as a school takes them (most present, a few late, on leave or absent,
2 % of lessons never taken), then ANALYZE and ``manage.py attendance_tally --check`` (the
records are written through the ORM, so the database's triggers keep the monthly tallies the
build reads; the check recounts the records and fails on any difference).

Each measurement runs in a fresh child process (so peak RSS is its own), warmed once, then:

- **build**: ``publication_build`` — the real service: the grouped queries, the workbook in
  write-only mode, the version saved in its transaction;
- **dump of the same cells** (``cells``): the version's tables' rows written by bare openpyxl
  (write-only, no styles) into one sheet: the reference the issue names, as first measured;
- **the same cells in the 公示's sheets** (``sheets``): every cell of the version's workbook —
  the five sheets with their headers, totals, patrol rows and lists — by bare openpyxl;
- **dump of the records**: every record the 公示 counts, one row each (date, lesson, child,
  homeroom, status), streamed from the database into bare openpyxl write-only: what building
  the 公示 from Python-side rows would have to touch at least.

Time is the median of three runs (``--rounds N``: of N such processes each; ``--no-records``
leaves out the slow last one); peak memory is tracemalloc's peak of Python allocations (a
separate run, since tracing slows Python down) and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "bench_publish"
SIZES = (1000, 5000)
MONTH = "2024-11"
DAYS = [4, 5, 6, 7, 11, 12, 13, 14, 18, 19, 20, 21, 25, 26, 27, 28]  # Mon–Thu, Nov 2024
PERIODS = [(16, 40, 17, 20), (17, 30, 18, 10), (18, 20, 19, 0)]


def _env(db: str) -> dict:
    env = {**os.environ}
    env.update({"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
                "DJANGO_SETTINGS_MODULE": "afterschool.settings.local", "REDIS_URL": "",
                "PYTHONPATH": str(ROOT)})
    return env


def _django(db: str) -> None:
    os.environ.update(_env(db))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# ------------------------------------------------------------------------------ setup

def setup(db: str) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
                   env=_env(db), check=True, cwd=ROOT)
    for size in SIZES:
        subprocess.run([sys.executable, __file__, "--db", db, "--make", str(size)],
                       env=_env(db), check=True, cwd=ROOT)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qc", "ANALYZE"],
                   check=True)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "attendance_tally", "--check"],
                   env=_env(db), check=True, cwd=ROOT)


def make_school(db: str, size: int) -> None:
    _django(db)
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from afterschool.models import Grade, Homeroom, Period, School, Staff, Student, Term
    from attendance.models import AttendanceRecord, Lesson
    from courses.models import Course, Section

    rng = random.Random(size)
    batch = 5000
    with transaction.atomic():
        school = School.objects.create(name=f"基准学校{size}", code=f"bench-{size}",
                                       subsidy_per_period=30)
        term = Term.objects.create(school=school, name="2024—2025学年第一学期",
                                   start_date=dt.date(2024, 9, 2),
                                   end_date=dt.date(2025, 1, 17),
                                   service_weekdays=[1, 2, 3, 4], is_current=True)
        periods = [Period.objects.create(term=term, number=i + 1, start_time=dt.time(a, b),
                                         end_time=dt.time(c, d))
                   for i, (a, b, c, d) in enumerate(PERIODS)]
        grades = [Grade.objects.create(school=school, number=n, name=f"{n}年级")
                  for n in (7, 8, 9)]
        n_homerooms = size // 50
        tutors = Staff.objects.bulk_create([
            Staff(school=school, name=f"教师{i}", phone=f"13{size // 1000}{i:08d}")
            for i in range(size // 25 * 3 // 2 + n_homerooms)])
        homerooms = Homeroom.objects.bulk_create([
            Homeroom(school=school, grade=grades[i % 3], number=i // 3 + 1,
                     head_teacher=tutors[i]) for i in range(n_homerooms)])
        students = Student.objects.bulk_create([
            Student(school=school, student_no=f"{size}{i:06d}", name=f"学生{i}",
                    homeroom=homerooms[i // 50]) for i in range(size)], batch_size=batch)
        courses = Course.objects.bulk_create([
            Course(term=term, school=school, name=f"课程{i:02d}", category="体育技能")
            for i in range(40)])
        per_period = size // 25
        sections = Section.objects.bulk_create([
            Section(course=courses[i % 40], name=f"{i + 1}班", capacity=25)
            for i in range(per_period * 2)])
        section_tutor = {s.pk: tutors[n_homerooms + (i % (len(tutors) - n_homerooms))]
                         for i, s in enumerate(sections)}
        statuses = ["present"] * 94 + ["late"] * 3 + ["leave"] * 2 + ["absent"]
        # Period 1: homework groups of a homeroom; periods 2 and 3: course sections mixing the
        # homerooms, the same all month (the arrangement is the term's).
        orders = [list(range(size)) for _ in periods]
        for order in orders[1:]:
            rng.shuffle(order)
        lessons, groups = [], []
        for day in DAYS:
            date = dt.date(2024, 11, day)
            for p, period in enumerate(periods):
                order = orders[p]
                for g in range(per_period):
                    kids = [students[k] for k in order[g * 25:(g + 1) * 25]]
                    if p == 0:
                        tutor, kind, title, section = tutors[g // 2], "homework", \
                            f"作业辅导{g + 1}", None
                    else:
                        section = sections[(p - 1) * per_period + g]
                        tutor, kind, title = section_tutor[section.pk], "course", section.name
                    taken = rng.random() > 0.02
                    start = timezone.make_aware(dt.datetime.combine(date, period.start_time))
                    lessons.append(Lesson(
                        term=term, date=date, period=period, start_time=period.start_time,
                        end_time=period.end_time, kind=kind, key=f"{kind}:{p}:{g}",
                        title=title, section_id=section.pk if section else None,
                        roll_call_at=start + dt.timedelta(minutes=rng.choice([1, 3, 6, 14]))
                        if taken else None, roll_call_by=tutor if taken else None))
                    groups.append((tutor, kids, taken))
        Lesson.objects.bulk_create(lessons, batch_size=batch)
        Through = Lesson.tutors.through
        Through.objects.bulk_create([Through(lesson_id=le.pk, staff_id=t.pk)
                                     for le, (t, _, _) in zip(lessons, groups, strict=True)],
                                    batch_size=batch)
        rows = []
        for lesson, (_, kids, taken) in zip(lessons, groups, strict=True):
            for kid in kids:
                status = rng.choice(statuses) if taken else ""
                rows.append(AttendanceRecord(lesson_id=lesson.pk, student_id=kid.pk,
                                             status=status,
                                             marked_at=lesson.roll_call_at if taken else None))
            if len(rows) >= batch:
                AttendanceRecord.objects.bulk_create(rows, batch_size=batch)
                rows = []
        AttendanceRecord.objects.bulk_create(rows, batch_size=batch)
    print(f"{school.code}: {size} students, {len(lessons)} lessons, "
          f"{AttendanceRecord.objects.filter(lesson__term=term).count()} records")


# ------------------------------------------------------------------------------ measuring

def _bare_dump(rows) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("records")
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def measure(db: str, size: int, what: str) -> dict:
    _django(db)
    import datetime as dt

    from afterschool.models import School
    from attendance.models import AttendanceRecord
    from evaluation.models import PublicationJob
    from evaluation.services.publications import publication_build

    school = School.objects.get(code=f"bench-{size}")
    month = dt.date(2024, 11, 1)
    last = {}

    def build():
        job = PublicationJob.objects.create(school=school, month=month,
                                            trigger=f"bench:{time.time_ns()}")
        publication = publication_build(job_id=job.pk)
        last["content"] = publication.content
        last["bytes"] = len(bytes(publication.workbook))

    def cells():
        content = last["content"]
        rows = []
        for t in content["teachers"]:
            rows.append([t["name"], t["lessons_scheduled"], t["lessons_delivered"],
                         t["roll_calls_on_time"], t["substitutions"], t["duties"],
                         t["patrols"], t["period_equivalents"]])
        for table in ("homerooms", "courses"):
            for r in content[table]:
                rows.append([r["name"], r["students"], r["expected"], r["present"], r["late"],
                             r["leave"], r["absent"], r["missing"], r["rate"]])
        last["bytes"] = len(_bare_dump(rows))

    def sheets():
        # Every cell of the version's workbook — headers, totals, the patrol sheet and the
        # lists — in its own sheets, as bare openpyxl writes them (no styles, widths or
        # frozen panes): the same cells as the build's file, where ``cells`` is one sheet of
        # the tables' rows.
        from io import BytesIO

        from openpyxl import Workbook

        content = last["content"]
        columns = ["学生数", "应到", "出勤", "迟到", "请假", "缺勤", "未点名", "出勤率（%）"]
        book = Workbook(write_only=True)
        sheet = book.create_sheet("教师")
        sheet.append(["姓名", "应上课次", "实上课次", "按时点名", "代课", "值日（天）",
                      "巡查（天）", "课时"])
        for t in content["teachers"]:
            sheet.append([t["name"], t["lessons_scheduled"], t["lessons_delivered"],
                          t["roll_calls_on_time"], t["substitutions"], t["duties"],
                          t["patrols"], t["period_equivalents"]])
        for table, title in (("homerooms", "班级"), ("courses", "课程")):
            sheet = book.create_sheet(title)
            sheet.append([title, *columns])
            for r in content[table]:
                sheet.append([r["name"], r["students"], r["expected"], r["present"], r["late"],
                              r["leave"], r["absent"], r["missing"], r["rate"]])
            t = content["totals"]
            sheet.append(["合计", None, t["expected"], t["present"], t["late"], t["leave"],
                          t["absent"], t["missing"], t["rate"]])
        sheet = book.create_sheet("巡查")
        sheet.append(["项目", "数量"])
        for label, value in content["patrols"]["rows"]:
            sheet.append([label, value])
        if content.get("lists_confirmed"):
            sheet = book.create_sheet("表彰与通报")
            sheet.append(["名单", "姓名", "考核得分"])
            for item in content["commendations"]:
                sheet.append(["表彰", item["name"], item["score"]])
            for item in content["follow_ups"]:
                sheet.append(["通报", item["name"], item["score"]])
        out = BytesIO()
        book.save(out)
        last["bytes"] = len(out.getvalue())

    def records():
        qs = (AttendanceRecord.objects.filter(lesson__term__school=school,
                                              lesson__date__range=(month, dt.date(2024, 11, 30)),
                                              lesson__is_cancelled=False)
              .values_list("lesson__date", "lesson__title", "student__name",
                           "student__homeroom__number", "status").iterator(chunk_size=5000))
        last["bytes"] = len(_bare_dump([d.isoformat(), t, n, h, s] for d, t, n, h, s in qs))

    run = {"build": build, "cells": cells, "sheets": sheets, "records": records}[what]
    if what in ("cells", "sheets"):
        build()
    run()  # warm: connections, imports, the planner's caches
    times = []
    for _ in range(3):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    import resource

    return {"size": size, "what": what, "seconds": statistics.median(times),
            "peak_mib": peak / 2**20,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "xlsx_kib": last["bytes"] / 1024,
            "records": AttendanceRecord.objects.filter(lesson__term__school=school).count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=DB)
    parser.add_argument("--setup", action="store_true")
    parser.add_argument("--make", type=int)
    parser.add_argument("--measure", nargs=2, metavar=("SIZE", "WHAT"))
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat every measurement in this many fresh processes; the table "
                             "shows the median of the rounds' medians (the machine is shared)")
    parser.add_argument("--no-records", action="store_true",
                        help="skip the slow dump of the records")
    args = parser.parse_args()
    if args.setup:
        setup(args.db)
        return
    if args.make:
        make_school(args.db, args.make)
        return
    if args.measure:
        print(json.dumps(measure(args.db, int(args.measure[0]), args.measure[1])))
        return
    kinds = ("build", "cells", "sheets") + (() if args.no_records else ("records",))
    rounds: dict = {}
    for n in range(args.rounds):
        for size in SIZES:
            for what in kinds:
                out = subprocess.run([sys.executable, __file__, "--db", args.db, "--measure",
                                      str(size), what], env=_env(args.db), cwd=ROOT,
                                     check=True, capture_output=True, text=True).stdout
                found = json.loads(out.strip().splitlines()[-1])
                rounds.setdefault((size, what), []).append(found)
                print(f"round {n + 1} {size} {what}: {found['seconds']:.4f} s", file=sys.stderr)
    results = {}
    for key, found in rounds.items():
        results[key] = {**found[-1], "seconds": statistics.median(f["seconds"] for f in found),
                        "spread": (min(f["seconds"] for f in found),
                                   max(f["seconds"] for f in found))}
    print("| students | records | build: s | build: peak Python MiB | build: peak RSS MiB "
          "| bare dump of the same cells, one sheet: s | build ÷ that "
          "| bare dump of the same cells in the 公示's sheets: s | build ÷ that "
          "| bare dump of the records: s | build ÷ that | .xlsx KiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size in SIZES:
        b, c, h = (results[size, w] for w in ("build", "cells", "sheets"))
        r = results.get((size, "records"))
        records = (f"{r['seconds']:.2f} | {b['seconds'] / r['seconds']:.2f}×" if r
                   else "– | –")
        print(f"| {size:,} | {b['records']:,} | {b['seconds']:.3f} | {b['peak_mib']:.1f} "
              f"| {b['rss_mib']:.0f} | {c['seconds']:.4f} | {b['seconds'] / c['seconds']:.1f}× "
              f"| {h['seconds']:.4f} | {b['seconds'] / h['seconds']:.1f}× "
              f"| {records} | {b['xlsx_kib']:.0f} |")
    if args.rounds > 1:
        print(f"\nmedians of {args.rounds} rounds; spread (min–max, s):")
        for (size, what), found in sorted(results.items()):
            lo, hi = found["spread"]
            print(f"- {size:,} {what}: {lo:.4f}–{hi:.4f}")


if __name__ == "__main__":
    main()
