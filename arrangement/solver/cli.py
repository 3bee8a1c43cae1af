"""Command line: ``python -m arrangement.solver INSTANCE.json`` prints the solution JSON.

Exit status 0 with the solution on stdout; 2 with the reason on stderr (and nothing on stdout)
when the instance is refused or cannot be read. The Django command ``arrange`` wraps this.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from .exact import solve
from .greedy import solve_first_come, solve_serial_dictatorship
from .instance import InstanceError, parse_instance

MECHANISMS = {
    "exact": lambda inst, limit: solve(inst, time_limit=limit),
    "lottery": lambda inst, limit: solve_serial_dictatorship(inst),
    "fcfs": lambda inst, limit: solve_first_come(inst),
}


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m arrangement.solver", description="统筹安排：按志愿分配教学班")
    parser.add_argument("instance", help="实例 JSON 文件路径，“-” 表示标准输入")
    parser.add_argument("--mechanism", choices=sorted(MECHANISMS), default="exact",
                        help="exact 最优分配（默认）、lottery 随机顺序、fcfs 先到先得")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="每人多门课程时 CP-SAT 的时间上限（秒）")
    parser.add_argument("--indent", type=int, default=None, help="JSON 缩进")
    return parser


def main(
    argv: list[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    except _UsageError as exc:
        print(f"参数错误：{exc}", file=stderr)
        return 2
    try:
        if args.instance == "-":
            data = json.load(stdin)
        else:
            with open(args.instance, encoding="utf-8") as handle:
                data = json.load(handle)
    except OSError as exc:
        print(f"无法读取实例文件 {args.instance}：{exc.strerror or exc}", file=stderr)
        return 2
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        print(f"实例文件不是有效的 JSON：{exc}", file=stderr)
        return 2
    try:
        inst = parse_instance(data)
    except InstanceError as exc:
        print(str(exc), file=stderr)
        return 2
    solution = MECHANISMS[args.mechanism](inst, args.time_limit)
    json.dump(solution.to_dict(), stdout, ensure_ascii=False, indent=args.indent)
    stdout.write("\n")
    return 0
