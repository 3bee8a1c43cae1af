"""Time of the duty roster solver (safety/solver.py) on a large school's term.

A 5,000-student school: about 150 staff of whom 10 are leaders (领导小组), about 80 service
days, 1–3 duty teachers a day and one leader on duty, 5% of days declared unavailable at
random. Prints one row per case, for the README's table::

    .venv/bin/python bench/duty_roster.py
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from safety import solver as s  # noqa: E402


def problem(n_staff: int, n_days: int, per_day: int, seed: int = 1, leaders: int = 10,
            away: float = 0.05) -> s.Problem:
    rng = random.Random(seed)
    start = dt.date(2026, 9, 7)
    days = []
    day = start
    while len(days) < n_days:
        if day.isoweekday() <= 4:
            days.append(day)
        day += dt.timedelta(days=1)
    people = []
    for pid in range(1, n_staff + 1):
        kinds = {s.TEACHER, s.LEADER} if pid <= leaders else {s.TEACHER}
        unavailable = frozenset(d for d in days if rng.random() < away)
        people.append(s.Person(pid, frozenset(kinds), unavailable))
    return s.Problem(days=days, needs={s.TEACHER: per_day, s.LEADER: 1}, people=people)


def main() -> None:
    print("| 教职工（领导） | 服务日 | 每天值日教师 | 不可值日 | 用时（秒） | 方法 | 最优 "
          "| 一天两班 | 最多值日（教师/领导） | 平方和 | 连续两天 |")
    print("|---|---:|---:|---:|---:|---|---|---:|---|---:|---:|")
    cases = [(60, 80, 1, 10, 0.05), (150, 80, 1, 10, 0.05), (150, 80, 2, 10, 0.05),
             (150, 80, 3, 10, 0.05), (300, 80, 3, 10, 0.05),
             # A small school whose teachers are often away: leaders must stand in, so the
             # min-cost flow's roster breaks the doubles rule and CP-SAT decides.
             (10, 80, 2, 3, 0.15), (12, 80, 3, 4, 0.2), (40, 80, 3, 8, 0.25)]
    for n_staff, n_days, per_day, leaders, away in cases:
        p = problem(n_staff, n_days, per_day, leaders=leaders, away=away)
        started = time.perf_counter()
        try:
            roster = s.solve(p, time_limit=120)
        except s.Infeasible as exc:
            print(f"| {n_staff}（{leaders}） | {n_days} | {per_day} | {away:.0%} | – | – | – "
                  f"| 无解：{len(exc.shortages)} 个班次人数不够 | – | – | – |")
            continue
        seconds = time.perf_counter() - started
        print(f"| {n_staff}（{leaders}） | {n_days} | {per_day} | {away:.0%} | {seconds:.2f} "
              f"| {roster.method} | {'是' if roster.optimal else '否'} | {roster.doubles} "
              f"| {roster.max_load[s.TEACHER]}/{roster.max_load[s.LEADER]} "
              f"| {roster.sum_of_squares} | {roster.back_to_back} |")


if __name__ == "__main__":
    main()
