"""The 16:40 peak (issue 11): every tutor of a 5,000-student school opens and submits the roll
call of a 25-child lesson, about 200 lessons in the same period.

    .venv/bin/python bench/attendance_peak.py --setup   # new database bench_attendance: migrate,
                                                        # the school (bench/attendance_peak/
                                                        # school.py), ANALYZE
    .venv/bin/python bench/attendance_peak.py           # today's 200 lessons afresh, measure

Shaped like ``bench/web.py`` and sharing its settings and reference view (``bench/web/``):
gunicorn with 2 sync workers on 127.0.0.1, DEBUG off, PostgreSQL, a session made in the database
for each of the 200 tutors. wrk drives ``bench/attendance_peak/peak.lua`` with one connection
per thread, each connection playing its share of the tutors in turn, in phases of ``--seconds``:

1. the reference — the bare Django view rendering 60 rows from one query;
2. GET: tutors open their lesson's roll call;
3. POST: tutors submit it (a CSRF-correct form with the lesson's revision, a fresh token and
   all 25 marks; each accepted submission rewrites every record, as a first roll call does);
4. the peak mix: open, submit, land on the day's page the submit redirects to, next tutor;
5. the peak at the issue's own rate: tutors arrive at random moments at the rate of 200 in
   ``--pace`` seconds (300: "within the same five minutes") for ``--paced-seconds``, each opening,
   submitting and landing on the day's page — latency at the rate the school produces, where
   phases 2–4 measure it at saturation, queueing behind the 2 workers included. Driven from
   Python with a connection per request: wrk can only wait between requests on an open
   connection, and a silent open connection holds a sync worker (in production nginx buffers);
6. the reference again.

The table gives req/s, p50/p95/p99 per kind of request, and req/s as a share of the mean of
the two reference runs; the targets are issue 11's (p95 < 150 ms, ≥ 100 submissions/s). After
the run every accepted submission is checked against the lessons' revisions in the database.
Only loopback is contacted and every wrk run stops by itself.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "attendance_peak" / "peak.lua"
VENV_BIN = Path(sys.executable).parent
BARE = "/__bench__/bare/"
P95_GOAL_MS, POSTS_GOAL = 150, 100
PHASES = [  # (label, mode)
    ("参照：裸 Django 60 行", "bare"),
    ("打开点名页", "get"),
    ("提交点名", "post"),
    ("高峰：打开＋提交＋回到今日课次", "mix"),
    ("按问题所述节奏：{lessons} 位老师在 {pace} 秒内陆续打开＋提交", "paced"),
    ("参照：裸 Django 60 行（再测）", "bare"),
]
KIND_LABELS = {"bare": "GET 参照", "get": "GET 点名页（25 人）", "post": "POST 提交点名（25 人）",
               "today": "GET 今日课次（提交后跳转）"}


def _env(db: str) -> dict:
    env = {**os.environ}
    env.update({
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
        "DJANGO_SETTINGS_MODULE": "bench.web.settings",
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": "",
        "CONN_MAX_AGE": "600",
    })
    return env


def _django(db: str) -> None:
    os.environ.update(_env(db))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def setup(db: str) -> None:
    """A fresh database with the school, analysed (autovacuum is off on this machine)."""
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
                   env=_env(db), check=True, cwd=ROOT)
    _django(db)
    from bench.attendance_peak import school

    started = time.monotonic()
    built = school.build_school()
    school.analyze()
    print(f"{built.name}：{school.STUDENTS} 名学生，用时 {time.monotonic() - started:.1f} 秒。",
          file=sys.stderr)


def prepare(db: str) -> dict:
    """Today's lessons afresh, a session per tutor, and the plan peak.lua reads."""
    _django(db)
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.urls import reverse
    from django.utils.crypto import get_random_string

    from afterschool.access import SESSION_SCHOOL_KEY
    from afterschool.models import School
    from attendance.models import Lesson
    from bench.attendance_peak import school as peak_school

    school = School.objects.filter(code=peak_school.CODE).first()
    if school is None:
        raise SystemExit(f"数据库 {db} 里没有压测学校：先运行 --setup。")
    lessons = peak_school.todays_lessons(school)
    peak_school.analyze()
    csrf = get_random_string(32)
    tutors = []
    for lesson in (Lesson.objects.filter(pk__in=[les.pk for les in lessons])
                   .prefetch_related("tutors__user", "records").order_by("pk")):
        user = lesson.tutors.all()[0].user
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[SESSION_SCHOOL_KEY] = school.pk
        store.create()
        tutors.append({
            "lesson": lesson.pk, "revision": lesson.roll_call_revision,
            "path": reverse("attendance:roll_call", args=[lesson.pk]),
            "students": sorted(r.student_id for r in lesson.records.all()),
            "cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}; "
                      f"{settings.CSRF_COOKIE_NAME}={csrf}",
        })
    return {"tutors": tutors, "csrf": csrf, "bare": BARE, "today": reverse("attendance:today"),
            "lessons": len(lessons), "records": sum(len(t["students"]) for t in tutors)}


def _lua_plan(plan: dict) -> str:
    def s(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    rows = []
    for t in plan["tutors"]:
        students = ", ".join(str(x) for x in t["students"])
        rows.append(f'  {{lesson = {t["lesson"]}, revision = {t["revision"]}, path = {s(t["path"])}, '
                    f'cookie = {s(t["cookie"])}, students = {{{students}}}}},')
    return ("return {\n csrf = " + s(plan["csrf"]) + ", bare = " + s(plan["bare"])
            + ", today = " + s(plan["today"]) + ",\n tutors = {\n" + "\n".join(rows) + "\n }\n}\n")


def marks_for(students: list[int], revision: int) -> list[tuple[str, str]]:
    """peak.lua's two mark sets: they differ for every child, so an accepted submission
    rewrites all the records, as a first roll call does."""
    marks = []
    for i, student in enumerate(students, 1):
        status = "leave" if i % 25 == 8 else "late" if i % 10 == 4 else "present"
        if revision % 2:
            status = "late" if status == "present" else "present"
        marks.append((f"s-{student}", status))
    return marks


def submit_body(plan: dict, tutor: dict, revision: int, token: str) -> str:
    """A submission as peak.lua sends it."""
    fields = [("csrfmiddlewaretoken", plan["csrf"]), ("revision", str(revision)),
              ("token", token)] + marks_for(tutor["students"], revision)
    return urllib.parse.urlencode(fields)


def count_queries(plan: dict) -> tuple[dict, dict]:
    """Queries and bytes of one GET, one POST, the day's page and the reference, in this
    process, CSRF enforced."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    tutor = plan["tutors"][-1]
    client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    for part in tutor["cookie"].split("; "):
        name, value = part.split("=", 1)
        client.cookies[name] = value
    counts, sizes = {}, {}
    client.get(tutor["path"])  # the first request of the process pays one-off costs
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(tutor["path"])
    assert page.status_code == 200, page.status_code
    counts["get"], sizes["get"] = len(ctx.captured_queries), len(page.content)
    revision = int(re.search(rb'name="revision" value="(\d+)"', page.content).group(1))
    with CaptureQueriesContext(connection) as ctx:
        done = client.post(tutor["path"], submit_body(plan, tutor, revision, "count-queries"),
                           content_type="application/x-www-form-urlencoded")
    if done.status_code != 302:
        raise SystemExit(f"提交点名未被接受（HTTP {done.status_code}）：{done.content[:400]!r}")
    counts["post"], sizes["post"] = len(ctx.captured_queries), len(done.content)
    tutor["revision"] = revision + 1
    for kind, path in (("today", plan["today"]), ("bare", BARE)):
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        counts[kind], sizes[kind] = len(ctx.captured_queries), len(page.content)
    return counts, sizes


def fetch(url: str, cookie: str = "", body: str | None = None) -> tuple[int, bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=body.encode() if body is not None else None,
                                     headers=headers)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wrk(base: str, mode: str, plan_file: str, seconds: int, connections: int, tag: str) -> dict:
    cmd = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
           "-s", str(LUA), base, "--", mode, plan_file, str(connections), tag]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    found = {}
    for line in out.stdout.splitlines():
        if line.startswith("BENCH "):
            fields = dict(p.split("=") for p in line.split()[1:])
            kind = fields.pop("kind")
            found[kind] = {k: float(v) for k, v in fields.items()}
        elif line.startswith("WRK "):
            found["wrk"] = {k: float(v) for k, v in (p.split("=") for p in line.split()[1:])}
    if "wrk" not in found:
        raise SystemExit(f"wrk gave no result for {mode}:\n{out.stdout}\n{out.stderr}")
    return found


def _summary(latencies: dict, bad: dict, seconds: float, accepted: int) -> dict:
    found = {}
    for kind, values in latencies.items():
        if not values:
            continue
        values.sort()

        def pct(p, values=values):
            return values[max(0, -(-len(values) * p // 100) - 1)]

        found[kind] = {"n": len(values), "rps": len(values) / seconds, "p50": pct(50),
                       "p95": pct(95), "p99": pct(99), "bad": bad[kind],
                       "accepted": accepted if kind == "post" else 0}
    return found


def paced(base: str, plan: dict, seconds: int, pace: int, tag: str) -> dict:
    """Tutors arriving at random moments at the rate of all of them in ``pace`` seconds, each
    opening their roll call, submitting it and landing on the day's page, for ``seconds``."""
    rng = random.Random(20261640)
    n = min(len(plan["tutors"]), max(1, round(len(plan["tutors"]) * seconds / pace)))
    tutors = rng.sample(plan["tutors"], n)
    arrivals = sorted(rng.uniform(0, seconds) for _ in range(n))
    latencies = {"get": [], "post": [], "today": []}
    bad = dict.fromkeys(latencies, 0)
    accepted = []
    lock = threading.Lock()
    started = time.monotonic()

    def timed(kind, expected, url, cookie, body=None):
        t = time.perf_counter()
        status, content = fetch(url, cookie, body)
        with lock:
            latencies[kind].append((time.perf_counter() - t) * 1000)
            bad[kind] += status != expected
        return status, content

    def turn(i):
        time.sleep(max(0.0, started + arrivals[i] - time.monotonic()))
        tutor = tutors[i]
        _, page = timed("get", 200, base + tutor["path"], tutor["cookie"])
        found = re.search(rb'name="revision" value="(\d+)"', page)
        revision = int(found.group(1)) if found else 0
        status, _ = timed("post", 302, base + tutor["path"], tutor["cookie"],
                          submit_body(plan, tutor, revision, f"{tag}-{i}"))
        if status == 302:
            accepted.append(i)
        timed("today", 200, base + plan["today"], tutor["cookie"])

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(turn, range(n)))
    return _summary(latencies, bad, max(seconds, time.monotonic() - started), len(accepted))


def check_records(plan: dict, accepted: int, in_flight: int) -> str:
    """Every accepted submission is one revision of its lesson; no record doubled or lost.

    wrk stops a phase with up to one request per connection still at the server: those
    submissions are applied but not counted, so the database may hold up to ``in_flight`` more
    revisions than wrk saw accepted, never fewer."""
    from django.db.models import Count, Sum

    from attendance.models import AttendanceRecord, Lesson

    ids = [t["lesson"] for t in plan["tutors"]]
    revisions = Lesson.objects.filter(pk__in=ids).aggregate(n=Sum("roll_call_revision"))["n"]
    records = AttendanceRecord.objects.filter(lesson__in=ids)
    doubled = (records.values("lesson", "student").annotate(n=Count("pk")).filter(n__gt=1)
               .count())
    seen = accepted + 1  # the one submitted in process by count_queries()
    consistent = (seen <= revisions <= seen + in_flight and doubled == 0
                  and records.count() == plan["records"])
    return (f"Check after the run {'✓' if consistent else '✗'}: {seen} submissions accepted "
            f"(wrk and in process), {revisions} lesson revisions in the database (at most "
            f"{in_flight} more: submissions in flight when a phase stopped); "
            f"{records.count()} records for {plan['records']} children, {doubled} doubled")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="bench_attendance")
    parser.add_argument("--setup", action="store_true", help="recreate the database first")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pace", type=int, default=300,
                        help="seconds in which every tutor takes a turn in the paced phase")
    parser.add_argument("--paced-seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("需要 wrk：apt-get install wrk")
    if args.setup:
        setup(args.db)
    load_before = os.getloadavg()
    plan = prepare(args.db)
    queries, sizes = count_queries(plan)
    base = f"http://127.0.0.1:{args.port}"
    workdir = tempfile.mkdtemp(prefix="attendance_peak_")
    plan_file = os.path.join(workdir, "plan.lua")
    Path(plan_file).write_text(_lua_plan(plan), encoding="utf-8")
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "afterschool.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning",
         "--env", "DJANGO_SETTINGS_MODULE=bench.web.settings"],
        env=_env(args.db), cwd=ROOT, start_new_session=True)
    results = []
    try:
        for _ in range(150):
            try:
                fetch(base + BARE)
                break
            except OSError:
                time.sleep(0.2)
        first = plan["tutors"][0]
        status, body = fetch(base + first["path"], first["cookie"])
        if status != 200 or b'name="revision"' not in body:
            raise SystemExit(f"点名页打不开：HTTP {status}")
        for tutor in plan["tutors"][:4]:  # warm both workers, with the same form wrk sends
            fetch(base + tutor["path"], tutor["cookie"])
            fetch(base + plan["today"], tutor["cookie"])
            fetch(base + BARE)
        tag = f"p{int(time.time())}"
        for i, (label, mode) in enumerate(PHASES):
            label = label.format(lessons=plan["lessons"], pace=args.pace)
            if mode == "paced":
                found = paced(base, plan, args.paced_seconds, args.pace, f"{tag}{i}")
            else:
                found = wrk(base, mode, plan_file, args.seconds, args.connections, f"{tag}{i}")
            results.append((label, mode, found))
            summary = ", ".join(f"{k} {v['rps']:.0f}/s" for k, v in found.items() if k != "wrk")
            print(f"{label}: {summary}", file=sys.stderr)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()
    accepted = int(sum(f["post"]["accepted"] for _, _, f in results if "post" in f))
    posting = sum(1 for _, mode, f in results if "post" in f and mode != "paced")
    integrity = check_records(plan, accepted, posting * args.connections)
    report(args, plan, queries, sizes, results, load_before, load_after, integrity)


def report(args, plan, queries, sizes, results, load_before, load_after, integrity) -> None:
    refs = [f["bare"]["rps"] for _, mode, f in results if mode == "bare"]
    reference = sum(refs) / len(refs)
    print(f"\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} cores, load average "
          f"{load_before[0]:.1f} before and {load_after[0]:.1f} after (1 min), Python "
          f"{sys.version.split()[0]}, PostgreSQL, gunicorn 2 sync workers, wrk "
          f"{args.connections} connections × {args.seconds} s a phase ({args.paced_seconds} s "
          f"paced), command `.venv/bin/python bench/attendance_peak.py --seconds {args.seconds} "
          f"--connections {args.connections} --pace {args.pace} --paced-seconds "
          f"{args.paced_seconds}`. {plan['lessons']} lessons of 25 at 16:40 today "
          f"({plan['records']} children), one tutor each. Reference: mean of {len(refs)} runs of "
          f"the bare 60-row view, {reference:.0f} req/s. “queries” and “KiB”: one request, "
          f"counted in process. {integrity}.\n")
    print("| phase | request | queries | KiB | req/s | × reference | p50 ms | p95 ms | p99 ms "
          "| refused | goal |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, mode, found in results:
        for kind in ("bare", "get", "post", "today"):
            if kind not in found:
                continue
            r = found[kind]
            goals = []
            if kind in ("get", "post"):
                goals.append(f"p95 < {P95_GOAL_MS} {'✓' if r['p95'] < P95_GOAL_MS else '✗'}")
            if kind == "post" and mode != "paced":
                goals.append(f"≥ {POSTS_GOAL}/s {'✓' if r['rps'] >= POSTS_GOAL else '✗'}")
            # The paced phase's rate is set, not measured: no share of the reference.
            share = "—" if mode == "paced" else f"{r['rps'] / reference:.2f}"
            rate = f"{r['rps']:.0f}" if r["rps"] >= 10 else f"{r['rps']:.1f}"
            print(f"| {label} | {KIND_LABELS[kind]} | {queries[kind]} | {sizes[kind] / 1024:.0f} "
                  f"| {rate} | {share} "
                  f"| {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | {int(r['bad'])} "
                  f"| {'; '.join(goals)} |")


if __name__ == "__main__":
    main()
