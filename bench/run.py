"""Benchmark the arrangement solver against first-come-first-served and the lottery (RSD).

Run from the repository root:  .venv/bin/python bench/run.py  [--seeds 1 2 3] [--only 5k-k1]
Prints a markdown table; bench/README.md holds the measured one.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generate import generate  # noqa: E402

from arrangement.solver import (  # noqa: E402
    check_feasible,
    parse_instance,
    solve,
    solve_first_come,
    solve_serial_dictatorship,
)

# name: (students, sections, preferences, k, grades, target seconds)
SCENARIOS = {
    "5k-k1": (5_000, 200, 3, 1, 6, 2),
    "20k-k1": (20_000, 800, 5, 1, 9, 20),
    "5k-k2": (5_000, 400, 4, 2, 6, 60),
}
# Not run by default: k = 3 often needs the hierarchical CP-SAT fallback (see README).
EXTRA = {"5k-k3": (5_000, 600, 5, 3, 6, None)}
SCENARIOS.update(EXTRA)
DEFAULT = [name for name in SCENARIOS if name not in EXTRA]

HEADER = (
    "| scenario | seed | students | sections | prefs | k | seconds | target | proven optimal "
    "| placed | rank-1 | FCFS placed / rank-1 | RSD placed / rank-1 "
    "| +placed vs FCFS | +rank-1 vs FCFS | +placed vs RSD | +rank-1 vs RSD |"
)


def row(name: str, seed: int, time_limit: float | None) -> str:
    students, sections, prefs, k, grades, target = SCENARIOS[name]
    data = generate(students=students, sections=sections, prefs=prefs, k=k, grades=grades,
                    seed=seed)
    inst = parse_instance(data)
    start = time.perf_counter()
    exact = solve(inst, time_limit=time_limit)
    seconds = time.perf_counter() - start
    fcfs = solve_first_come(inst)
    rsd = solve_serial_dictatorship(inst)
    for sol in (exact, fcfs, rsd):
        problems = check_feasible(inst, sol)
        if problems:
            raise SystemExit(f"{name} seed {seed}: infeasible {sol.mechanism}: {problems[:3]}")
    n_sections = sum(len(c.sections) for c in inst.courses)
    n_prefs = sum(len(s.preferences) for s in inst.students)

    def first(sol) -> int:
        return sol.by_rank[0] if sol.by_rank else 0

    cells = [
        name, seed, students, n_sections, n_prefs, k, f"{seconds:.2f}",
        f"< {target}" if target else "–",
        "yes" if exact.optimal else "no", exact.placed, first(exact),
        f"{fcfs.placed} / {first(fcfs)}", f"{rsd.placed} / {first(rsd)}",
        f"{exact.placed - fcfs.placed:+d}", f"{first(exact) - first(fcfs):+d}",
        f"{exact.placed - rsd.placed:+d}", f"{first(exact) - first(rsd):+d}",
    ]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=sorted(SCENARIOS), nargs="*")
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="passed to solve(); only bounds CP-SAT (k > 1)")
    args = parser.parse_args()
    import arrangement.solver.multi  # noqa: F401  (CP-SAT's one-off import is not timed)

    print(f"{date.today().isoformat()} · Python {platform.python_version()} · "
          f"{platform.machine()} · command: .venv/bin/python bench/run.py\n")
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    for name in args.only or DEFAULT:
        for seed in args.seeds:
            print(row(name, seed, args.time_limit), flush=True)


if __name__ == "__main__":
    main()
