"""Web load benchmark: the main pages of each role against a bare Django view, in one run.

    .venv/bin/python bench/web.py --setup          # new database bench_web: migrate, demo, ANALYZE
    .venv/bin/python bench/web.py                  # measure (about 10 s a page)

It starts gunicorn (2 sync workers, DEBUG off) on 127.0.0.1 against PostgreSQL and Redis (as in
production: sessions are read from it; ``BENCH_REDIS_URL``, default db 14), signs in as each
demo role by making a session in the database, checks that every page answers 200, then drives
each page with wrk (8 connections, 2 threads) for ``--seconds``. The reference — a plain Django
view rendering 60 rows from one query (``bench/web/urls.py``) — is measured first and last in the
same server, and each page's req/s is given as a ratio to the mean of the two. Only loopback is
ever contacted; every wrk run stops by itself.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "web" / "latency.lua"
VENV_BIN = Path(sys.executable).parent


@dataclass
class Target:
    role: str
    page: str
    path: str
    cookie: str = ""
    kind: str = "page"  # "page" | "reference" | "anonymous"
    goal: float | None = None  # the least share of the reference's req/s (issue 9)
    queries: int = 0


# The server's Redis, as in production (sessions are read from it: settings/base.py). Setting
# up runs without it, so the demo's arrangement is computed inline.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def _env(db: str, redis: str = "") -> dict:
    env = {**os.environ}
    env.update({
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
        "DJANGO_SETTINGS_MODULE": "bench.web.settings",
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": redis,
        "CONN_MAX_AGE": "600",
    })
    return env


def _manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True,
                   cwd=ROOT)


def setup(db: str) -> None:
    """A fresh database with the demo school, analysed (autovacuum is off on this machine)."""
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    env = _env(db)
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "seed_demo")
    # In a child process: this one sets Django up later, for the sessions of targets().
    subprocess.run([sys.executable, __file__, "--db", db, "--publish-only"], env=env,
                   check=True, cwd=ROOT)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qc", "ANALYZE"],
                   check=True)


def publish_demo_run(db: str) -> None:
    """A published arrangement of the demo term, so the schedule and roster pages have rows.

    Skipped when the demo already has one (the arrangement's demo step may make it). The demo
    guardian's twins are left unanswered by the demo; here their mother fills both forms
    through the services, their homeroom teacher and the office approve them, then the office
    runs the arrangement (computed inline: no REDIS_URL) and publishes it.
    """
    os.environ.update(_env(db))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from afterschool import demo
    from afterschool.access import actor_for
    from afterschool.models import School, Student, User
    from afterschool.selectors import current_term
    from arrangement import services as arrangement_services
    from arrangement.models import Arrangement
    from courses.models import Course
    from enrollment import services as enrollment_services
    from enrollment.models import Application

    school = School.objects.get(staff__phone=demo.COORDINATOR.phone)
    term = current_term(school)
    if Arrangement.objects.filter(term=term, status=Arrangement.Status.PUBLISHED).exists():
        return
    guardian = actor_for(User.objects.get(phone=demo.GUARDIAN.phone), school)
    office = actor_for(User.objects.get(phone=demo.COORDINATOR.phone), school)
    Status = Application.Status
    for child in Student.objects.filter(school=school, name__in=demo.TWINS):
        app = (Application.objects.filter(term=term, student=child).first()
               or enrollment_services.application_start(student=child, term=term,
                                                        actor=guardian))
        if app.status in (Status.DRAFT, Status.RETURNED):
            courses = list(Course.objects.filter(term=term, is_active=True, is_fixed=False,
                                                 grades=child.homeroom.grade)
                           .order_by("pk")[:term.max_preferences])
            done = enrollment_services.application_save_and_submit(
                application=app, actor=guardian, expected_revision=app.revision,
                participates=True, weekdays=[1, 2, 3, 4], preferences=courses,
                dismissal=Application.Dismissal.PICKED_UP,
                pickup_persons=[{"name": demo.GUARDIAN.name, "phone": demo.GUARDIAN.phone,
                                 "relation": "母亲"}],
                contact_phone=demo.GUARDIAN.phone, signed_name=demo.GUARDIAN.name, ip_address="127.0.0.1")
            if done.refused:
                raise SystemExit(f"{child.name}: {done.refused}")
            app.refresh_from_db()
        if app.status == Status.SUBMITTED:
            teacher = actor_for(child.homeroom.head_teacher.user, school)
            enrollment_services.applications_transition_bulk(
                application_ids=[app.pk], to_status=Status.CLASS_APPROVED, actor=teacher,
                notify=False)
            app.refresh_from_db()
        if app.status == Status.CLASS_APPROVED:
            enrollment_services.applications_transition_bulk(
                application_ids=[app.pk], to_status=Status.SCHOOL_APPROVED, actor=office,
                notify=False)
    run = arrangement_services.arrangement_start(term=term, actor=office, seed=1)
    run.refresh_from_db()
    if run.finished_at is None or run.status != Arrangement.Status.DRAFT:
        raise SystemExit(f"第{run.version}版统筹安排未算完：{run.progress}")
    arrangement_services.arrangement_publish(arrangement=run, actor=office)


def targets(db: str) -> list[Target]:
    """Sessions for the demo roles and the URLs of their main pages, read from the database."""
    os.environ.update(_env(db, REDIS_URL))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.urls import NoReverseMatch, reverse

    from afterschool import demo
    from afterschool.models import School, User

    def model(name):
        for label in ("arrangement", "courses"):
            try:
                return apps.get_model(label, name)
            except LookupError:
                continue
        raise LookupError(name)

    def url(names, *args):
        for name in names:
            try:
                return reverse(name, args=args)
            except NoReverseMatch:
                continue
        raise NoReverseMatch(names)

    school = School.objects.get(code=demo.MAIN.code) if hasattr(demo, "MAIN") else \
        School.objects.order_by("pk").first()

    def cookie(phone):
        user = User.objects.get(phone=phone)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store["school_id"] = school.pk
        store.create()
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    arrangement_model = model("Arrangement")
    placement_model = model("Placement")
    run = arrangement_model.objects.filter(term__school=school, status="published").first()
    tutor_section = None
    if run:
        # A section the demo tutor teaches, with children in it: the tutor's own roster.
        tutor_section = (placement_model.objects
                         .filter(arrangement=run, section__tutors__phone=demo.TUTOR.phone)
                         .values_list("section_id", flat=True).first())
    t = []
    guardian = cookie(demo.GUARDIAN.phone)
    homeroom = cookie(demo.HOMEROOM_TEACHER.phone)
    tutor = cookie(demo.TUTOR.phone)
    coordinator = cookie(demo.COORDINATOR.phone)
    principal = cookie(demo.PRINCIPAL.phone)
    half, third = 0.5, 0.33  # issue 9's goals, as a share of the reference
    t.append(Target("—", "参照：裸 Django 60 行", "/__bench__/bare/", kind="reference"))
    t.append(Target("匿名", "登录页", url(["login"]), kind="anonymous"))
    t.append(Target("家长", "首页", url(["school:home"]), guardian, goal=half))
    t.append(Target("家长", "孩子的课表（两个孩子）", url(["arrangement:my_schedule"]), guardian,
                    goal=half))
    t.append(Target("家长", "修改密码（近空页）", url(["password_change"]), guardian))
    t.append(Target("班主任", "首页", url(["school:home"]), homeroom, goal=half))
    t.append(Target("班主任", "审核队列（50 行）", url(["enrollment:review"]), homeroom,
                    goal=half))
    t.append(Target("辅导教师", "首页", url(["school:home"]), tutor, goal=half))
    t.append(Target("辅导教师", "我的教学班", url(["arrangement:my_sections"]), tutor,
                    goal=half))
    if run and tutor_section:
        t.append(Target("辅导教师", "教学班名单",
                        url(["arrangement:section_roster"], run.pk, tutor_section), tutor,
                        goal=half))
    t.append(Target("课后服务办公室", "首页", url(["school:home"]), coordinator, goal=third))
    t.append(Target("课后服务办公室", "复核队列（100 行）",
                    url(["enrollment:review"]) + "?bucket=class_approved", coordinator,
                    goal=third))
    if run:
        t.append(Target("课后服务办公室", "统筹安排详情",
                        url(["arrangement:detail"], run.pk), coordinator, goal=third))
    t.append(Target("校长", "首页", url(["school:home"]), principal, goal=third))
    t.append(Target("—", "参照：裸 Django 60 行（再测）", "/__bench__/bare/", kind="reference"))
    return t


def count_queries(plan: list[Target]) -> None:
    """Each page's queries, in this process against the same database (after targets())."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for target in plan:
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        if target.cookie:
            name, value = target.cookie.split("=", 1)
            client.cookies[name] = value
        client.get(target.path)
        with CaptureQueriesContext(connection) as ctx:
            client.get(target.path)
        target.queries = len(ctx.captured_queries)


def fetch(base: str, target: Target) -> tuple[int, int]:
    req = urllib.request.Request(base + target.path, headers={"Cookie": target.cookie})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, 0


def wrk(base: str, target: Target, seconds: int, connections: int) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
           "-s", str(LUA), base + target.path]
    if target.cookie:
        cmd[1:1] = ["-H", f"Cookie: {target.cookie}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    found = re.search(r"BENCH (.*)", out)
    if not found:
        raise SystemExit(f"wrk gave no result for {target.path}:\n{out}")
    return {k: float(v) for k, v in (p.split("=") for p in found.group(1).split())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="bench_web")
    parser.add_argument("--setup", action="store_true", help="recreate the database first")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--publish-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publish_only:
        publish_demo_run(args.db)
        return
    if not shutil.which("wrk"):
        raise SystemExit("需要 wrk：apt-get install wrk")
    if args.setup:
        setup(args.db)
    plan = targets(args.db)
    count_queries(plan)
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "afterschool.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning",
         "--env", "DJANGO_SETTINGS_MODULE=bench.web.settings"],
        env=_env(args.db, REDIS_URL), cwd=ROOT, start_new_session=True)
    try:
        for _ in range(100):
            try:
                fetch(base, plan[0])
                break
            except OSError:
                time.sleep(0.2)
        rows = []
        for target in plan:
            status, size = fetch(base, target)
            if status != 200:
                # Reported in its row, not measured: a broken page is no reason to lose the run.
                print(f"{target.role} {target.page} {target.path}: HTTP {status}",
                      file=sys.stderr)
                rows.append((target, status, None))
                continue
            for _ in range(5):  # warm both workers
                fetch(base, target)
            result = wrk(base, target, args.seconds, args.connections)
            if result["non2xx"] or result["errors"]:
                raise SystemExit(f"{target.path}: {result}")
            rows.append((target, size, result))
            print(f"{target.role} {target.page}: {result['rps']:.0f} req/s", file=sys.stderr)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    refs = [r["rps"] for t, _, r in rows if t.kind == "reference"]
    reference = sum(refs) / len(refs)
    load = os.getloadavg()[0]
    print(f"\nMeasured {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores "
          f"(load average {load:.1f} at the end), Python {sys.version.split()[0]}, "
          f"PostgreSQL, gunicorn 2 sync workers, `wrk -t2 -c{args.connections} "
          f"-d{args.seconds}s`, command `.venv/bin/python bench/web.py --seconds "
          f"{args.seconds}`. Reference: mean of {len(refs)} runs of the bare 60-row view, "
          f"{reference:.0f} req/s. “queries”: one request to the page, counted in process.\n")
    print("| role | page | KiB | queries | req/s | × reference | goal | p50 ms | p95 ms "
          "| p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for target, size, r in rows:
        if r is None:  # size holds the HTTP status
            goal = f"≥ {target.goal:.2f} ✗" if target.goal else ""
            print(f"| {target.role} | {target.page} | — | {target.queries} | HTTP {size} | — "
                  f"| {goal} | — | — | — |")
            continue
        ratio = r["rps"] / reference
        goal = ""
        if target.goal is not None:
            goal = f"≥ {target.goal:.2f} {'✓' if ratio >= target.goal else '✗'}"
        print(f"| {target.role} | {target.page} | {size / 1024:.0f} | {target.queries} | "
              f"{r['rps']:.0f} | {ratio:.2f} | {goal} | {r['p50']:.0f} | {r['p95']:.0f} | "
              f"{r['p99']:.0f}{' ✗' if r['p99'] >= 300 else ''} |")

if __name__ == "__main__":
    main()
