"""Solutions: placements, unplaced students with reasons, statistics, checks and explanations.

The reasons and explanations are computed from the final seat counts: in an optimal solution a
better choice that a student did not get is always full, not for the student's grade, on days
the child does not attend, or (k > 1) at the same time as a course already given — otherwise
moving the student up would improve rule 2. They are written for guardians, in Chinese.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .instance import Instance, Student

MECHANISMS = ("exact", "lottery", "fcfs")
RANK_WORDS = "一二三四五六七八九十"

# Why one preference was not given, as a phrase after the course ("第一志愿C01已满").
_WHY = {
    "not_offered": "本学期未开设",
    "grade": "不面向该年级",
    "days": "的上课日与孩子参加的日期不符",
    "full": "已满",
    "conflict": "与已安排的课程时间冲突",
    "limit": "超出每人可安排的课程数",
    "open": "未能安排",
}
# The reason for a student left without any course, per code.
REASONS = {
    "no_preferences": "未填写志愿",
    "not_offered": "所报课程本学期均未开设",
    "grade": "所报课程均不面向该年级",
    "days": "所报课程的上课日与孩子参加的日期不符",
    "unfit": "所报课程均无法参加",  # refined with the mix of causes, see unplaced_reason
    "full": "所有志愿课程已满",
    "other": "仍有空位但未能安排，请人工调剂",
}
_UNFIT_PHRASE = {
    "not_offered": "本学期未开设",
    "grade": "不面向该年级",
    "days": "上课日与孩子参加的日期不符",
}


def rank_word(rank: int) -> str:
    """第一, 第二 … 第十, then 第11 …"""
    return f"第{RANK_WORDS[rank - 1] if 1 <= rank <= 10 else rank}"


@dataclass(frozen=True)
class Placement:
    student: str
    course: str
    section: str
    rank: int


@dataclass(frozen=True)
class Unplaced:
    student: str
    reason: str
    code: str = "other"


@dataclass(frozen=True)
class Solution:
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]
    students: int
    by_rank: tuple[int, ...]  # by_rank[0] = rank-1 placements; ranks 1..inst.max_rank
    seconds: float = 0.0
    optimal: bool = False
    mechanism: str = "exact"
    extra: Mapping | None = None  # further stats (stages, sum of squares), for the curious

    @property
    def placed(self) -> int:
        return len({p.student for p in self.placements})

    def objective(self) -> tuple[int, ...]:
        """Rules 1–2 as a vector to compare lexicographically: (placed, rank 1, rank 2, …)."""
        return (self.placed, *self.by_rank)

    def to_dict(self) -> dict:
        stats = {
            "students": self.students,
            "placed": self.placed,
            "by_rank": {str(r + 1): n for r, n in enumerate(self.by_rank)},
            "seconds": round(self.seconds, 3),
            "optimal": self.optimal,
            "mechanism": self.mechanism,
        }
        if self.extra:
            stats.update(self.extra)
        return {
            "placements": [
                {"student": p.student, "course": p.course, "section": p.section,
                 "rank": p.rank}
                for p in self.placements
            ],
            "unplaced": [
                {"student": u.student, "reason": u.reason, "code": u.code}
                for u in self.unplaced
            ],
            "stats": stats,
        }


def solution_from_dict(data: Mapping) -> Solution:
    """Read back :meth:`Solution.to_dict` output (for checking a stored solution)."""
    stats = data.get("stats", {})
    by_rank = stats.get("by_rank", {})
    known = {"students", "placed", "by_rank", "seconds", "optimal", "mechanism"}
    return Solution(
        placements=tuple(
            Placement(p["student"], p["course"], p["section"], int(p["rank"]))
            for p in data.get("placements", [])
        ),
        unplaced=tuple(
            Unplaced(u["student"], u.get("reason", ""), u.get("code", "other"))
            for u in data.get("unplaced", [])
        ),
        students=int(stats.get("students", 0)),
        by_rank=tuple(int(by_rank[str(r)]) for r in range(1, len(by_rank) + 1)),
        seconds=float(stats.get("seconds", 0.0)),
        optimal=bool(stats.get("optimal", False)),
        mechanism=str(stats.get("mechanism", "exact")),
        extra={k: v for k, v in stats.items() if k not in known} or None,
    )


def build_solution(
    inst: Instance,
    placements: Iterable[Placement],
    *,
    seconds: float,
    optimal: bool,
    mechanism: str,
    extra: Mapping | None = None,
) -> Solution:
    """Sort the placements, count them by rank, and give each unplaced student a reason."""
    order = {s.id: i for i, s in enumerate(inst.students)}
    placements = tuple(sorted(placements, key=lambda p: (order[p.student], p.rank)))
    by_rank = [0] * inst.max_rank
    for p in placements:
        if p.rank:  # rank 0: a pinned placement outside the preferences
            by_rank[p.rank - 1] += 1
    load = Counter(p.section for p in placements)
    placed = {p.student for p in placements}
    unplaced = []
    for student in inst.students:
        if student.id not in placed:
            code, reason = unplaced_reason(inst, student, load)
            unplaced.append(Unplaced(student.id, reason, code))
    return Solution(
        placements=placements,
        unplaced=tuple(unplaced),
        students=len(inst.students),
        by_rank=tuple(by_rank),
        seconds=seconds,
        optimal=optimal,
        mechanism=mechanism,
        extra=extra,
    )


def _why_not(
    inst: Instance, student: Student, course_id: str, load: Mapping[str, int],
    taken_slots: frozenset[str] = frozenset(), at_limit: bool = False,
) -> str:
    """The code of why ``student`` is not in ``course_id`` given the seats in ``load``."""
    course = inst.course_by_id[course_id]
    if not course.sections:
        return "not_offered"
    if student.grade not in course.grade_set:
        return "grade"
    fitting = inst.fitting_sections(student, course)
    if not fitting:
        return "days"
    open_ = [s for s in fitting if load.get(s.id, 0) < s.capacity]
    if not open_:
        return "full"
    if any(not (set(s.slots) & taken_slots) for s in open_):
        return "limit" if at_limit else "open"
    return "conflict"


def unplaced_reason(
    inst: Instance, student: Student, load: Mapping[str, int]
) -> tuple[str, str]:
    """(code, reason) for a student without any course, given the final seat counts."""
    if not student.preferences:
        return "no_preferences", REASONS["no_preferences"]
    codes = [_why_not(inst, student, c, load) for c in student.preferences]
    kinds = set(codes)
    if "open" in kinds:
        return "other", REASONS["other"]
    if len(kinds) == 1:
        (code,) = kinds
        return code, REASONS[code]
    unfit = [c for c in ("grade", "days", "not_offered") if c in kinds]
    if "full" in kinds:
        rest = "或".join(_UNFIT_PHRASE[c] for c in unfit)
        return "full", f"能参加的志愿课程均已满（其余志愿{rest}）"
    return "unfit", "所报课程" + "，".join("有的" + _UNFIT_PHRASE[c] for c in unfit)


def explain(
    inst: Instance, sol: Solution, student_id: str, names: Mapping[str, str] | None = None
) -> str:
    """One sentence for the guardian, e.g. "第一志愿篮球已满，已安排第二志愿书法".

    ``names`` maps course ids to display names (default: the instance's names, else ids).
    """
    student = inst.student_by_id[student_id]

    def label(course_id: str) -> str:
        if names and course_id in names:
            return names[course_id]
        return inst.course_by_id[course_id].name or course_id

    load = Counter(p.section for p in sol.placements)
    mine = [p for p in sol.placements if p.student == student_id]
    if not mine:
        for u in sol.unplaced:
            if u.student == student_id:
                return f"未安排：{u.reason}"
        return "未安排：" + unplaced_reason(inst, student, load)[1]
    got = {p.course for p in mine}
    taken = frozenset(slot for p in mine for slot in inst.section_by_id[p.section].slots)
    at_limit = len(mine) >= inst.k
    worst = max(p.rank for p in mine)
    parts = []
    for rank, course_id in enumerate(student.preferences[:worst], start=1):
        if course_id in got:
            continue
        why = _why_not(inst, student, course_id, load, taken, at_limit)
        parts.append(f"{rank_word(rank)}志愿{label(course_id)}{_WHY[why]}")
    given = "、".join(
        f"{rank_word(p.rank)}志愿{label(p.course)}" if p.rank else f"{label(p.course)}（非志愿）"
        for p in sorted(mine, key=lambda p: p.rank)
    )
    parts.append(f"已安排{given}")
    return "，".join(parts)


def check_feasible(inst: Instance, sol: Solution) -> list[str]:
    """Every way ``sol`` breaks the rules of FORMAT.md; an empty list means feasible.

    Checks fit (grade and days), capacities, true ranks, at most k distinct courses without
    shared slots, the unplaced list, and that the statistics match the placements.
    """
    problems: list[str] = []
    pins = inst.pinned_sections
    by_student: dict[str, list[Placement]] = defaultdict(list)
    load: Counter[str] = Counter()
    for p in sol.placements:
        student = inst.student_by_id.get(p.student)
        section = inst.section_by_id.get(p.section)
        if student is None or section is None:
            problems.append(f"安排 {p} 的学生或教学班不存在")
            continue
        course = inst.course_of_section[p.section]
        if course.id != p.course:
            problems.append(f"教学班 {p.section} 不属于课程 {p.course}")
        if p.course not in student.preferences:
            if p.student not in pins or p.rank != 0:
                problems.append(f"学生 {p.student} 没有报课程 {p.course}")
        elif student.preferences.index(p.course) + 1 != p.rank:
            problems.append(f"学生 {p.student} 的课程 {p.course} 志愿顺序 {p.rank} 不对")
        if not inst.fits(student, section):
            problems.append(f"教学班 {p.section} 不适合学生 {p.student}（年级或上课日）")
        by_student[p.student].append(p)
        load[p.section] += 1
    for section_id, n in load.items():
        capacity = inst.section_by_id[section_id].capacity
        if n > capacity:
            problems.append(f"教学班 {section_id} 安排了 {n} 人，超过容量 {capacity}")
    for student_id, mine in by_student.items():
        if len(mine) > inst.k:
            problems.append(f"学生 {student_id} 安排了 {len(mine)} 门课，超过 {inst.k} 门")
        courses = [p.course for p in mine]
        if len(set(courses)) != len(courses):
            problems.append(f"学生 {student_id} 重复安排了同一课程")
        slots = [s for p in mine for s in inst.section_by_id[p.section].slots]
        if len(set(slots)) != len(slots):
            problems.append(f"学生 {student_id} 的课程时间冲突")
    for student_id, sections in pins.items():
        got = sorted(p.section for p in by_student.get(student_id, []))
        if got != sorted(sections):
            problems.append(f"学生 {student_id} 的固定安排被改动")
    unplaced = [u.student for u in sol.unplaced]
    expected = [s.id for s in inst.students if s.id not in by_student]
    if sorted(unplaced) != sorted(expected):
        problems.append("未安排名单与安排结果不一致")
    by_rank = Counter(p.rank for p in sol.placements if p.rank)
    if tuple(by_rank.get(r, 0) for r in range(1, inst.max_rank + 1)) != sol.by_rank:
        problems.append("统计中各志愿人数与安排结果不一致")
    if sol.students != len(inst.students):
        problems.append("统计中学生人数不对")
    return problems
