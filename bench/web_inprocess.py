"""Per-request cost of the pages of bench/web.py, in this process, one request at a time.

    .venv/bin/python bench/web.py --setup                     # the bench_web database, once
    .venv/bin/python bench/web_inprocess.py                    # median ms and queries per page
    .venv/bin/python bench/web_inprocess.py --profile 首页      # pyinstrument of matching pages

wrk numbers move with whatever else the machine runs; the time one request takes in process,
single-threaded and repeated, moves much less, so this is what to compare before and after a
change. Same settings as the load run (``bench.web.settings``: DEBUG off, cached templates,
PostgreSQL, persistent connection), same sessions and pages (``bench.web.targets``), through
Django's test Client (the whole middleware stack). Each page: a warm-up, then ``--repeat`` runs
of ``--requests`` requests; the table gives the median of the runs' per-request means.
``--profile`` needs pyinstrument (requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load_web():
    """bench/web.py itself (``bench.web`` is the package of its settings and URLs)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_web_load", ROOT / "bench" / "web.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="bench_web")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="only pages whose role or name contains this")
    parser.add_argument("--profile", default="",
                        help="profile the pages whose role or name contains this (pyinstrument)")
    parser.add_argument("--sql", action="store_true", help="print each page's queries")
    args = parser.parse_args()
    plan = _load_web().targets(args.db)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    def matches(target, text):
        return text in target.role or text in target.page or text in target.path

    # ms: wall time per request (median of the runs, their least and most); CPU: this
    # process's own time, without PostgreSQL's; k calls: thousands of Python function calls.
    print("| role | page | queries | ms (median) | min | max | CPU ms | k calls |")
    print("|---|---|---|---|---|---|---|---|")
    for target in plan:
        if args.only and not matches(target, args.only):
            continue
        client = Client(HTTP_HOST="127.0.0.1")
        if target.cookie:
            name, value = target.cookie.split("=", 1)
            client.cookies[name] = value
        for _ in range(3):
            response = client.get(target.path)
        if response.status_code != 200:
            print(f"| {target.role} | {target.page} | HTTP {response.status_code} | | | | | |")
            continue
        with CaptureQueriesContext(connection) as ctx:
            client.get(target.path)
        queries = len(ctx.captured_queries)  # before the next request_started empties the log
        if args.sql:
            for q in ctx.captured_queries:
                print(f"  {float(q['time']) * 1000:6.1f} ms  {q['sql'][:300]}", file=sys.stderr)
        # Python function calls per request: a count, so it hardly moves with the machine's
        # load (a proxy for the CPU a page takes; the database's work is not in it).
        import cProfile
        import pstats

        counter = cProfile.Profile()
        counter.enable()
        for _ in range(3):
            client.get(target.path)
        counter.disable()
        calls = pstats.Stats(counter).total_calls // 3
        means, cpu = [], []
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(args.requests):
                client.get(target.path)
            means.append((time.perf_counter() - start) * 1000 / args.requests)
            cpu.append((time.process_time() - start_cpu) * 1000 / args.requests)
        print(f"| {target.role} | {target.page} | {queries} | "
              f"{statistics.median(means):.1f} | {min(means):.1f} | {max(means):.1f} | "
              f"{statistics.median(cpu):.1f} | {calls / 1000:.0f} |", flush=True)
        if args.profile and matches(target, args.profile):
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
            for _ in range(args.requests):
                client.get(target.path)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False),
                  file=sys.stderr)


if __name__ == "__main__":
    main()
