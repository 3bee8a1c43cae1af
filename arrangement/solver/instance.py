"""The arrangement instance: plain frozen dataclasses, validation and the exchange format.

An :class:`Instance` is valid by construction: ``Instance.__post_init__`` refuses duplicate ids,
unknown or repeated preferences, negative capacities and malformed slots, so the Django side may
build one straight from database rows and get the same checks as :func:`parse_instance`, which
additionally checks the JSON shapes and types of the exchange format (FORMAT.md).
Every message names the offending student, course or section, in Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

FORMAT = "afterschool-arrangement/1"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLOT = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)-([1-9][0-9]*)$")


class InstanceError(ValueError):
    """An instance the solver refuses; the message names the offender, in Chinese."""


def slot_day(slot: str) -> str:
    return slot.split("-", 1)[0]


@dataclass(frozen=True)
class Section:
    id: str
    capacity: int
    slots: tuple[str, ...] = ()
    name: str = ""

    def __post_init__(self):
        object.__setattr__(self, "slots", tuple(self.slots))

    @cached_property
    def days(self) -> frozenset[str]:
        return frozenset(slot_day(s) for s in self.slots)


@dataclass(frozen=True)
class Course:
    id: str
    grades: tuple[int, ...]
    sections: tuple[Section, ...] = ()
    name: str = ""

    def __post_init__(self):
        object.__setattr__(self, "grades", tuple(self.grades))
        object.__setattr__(self, "sections", tuple(self.sections))

    @cached_property
    def grade_set(self) -> frozenset[int]:
        return frozenset(self.grades)


@dataclass(frozen=True)
class Student:
    id: str
    grade: int
    days: tuple[str, ...]
    preferences: tuple[str, ...] = ()
    homeroom: str = ""
    name: str = ""

    def __post_init__(self):
        object.__setattr__(self, "days", tuple(self.days))
        object.__setattr__(self, "preferences", tuple(self.preferences))

    @cached_property
    def day_set(self) -> frozenset[str]:
        return frozenset(self.days)


@dataclass(frozen=True)
class Instance:
    courses: tuple[Course, ...]
    students: tuple[Student, ...]
    seed: int = 0
    max_courses_per_student: int = 1
    # Students whose seats are fixed: (student id, (section id, …)), the student's whole
    # arrangement (an empty tuple keeps them without a course). See :mod:`.pinned`.
    pinned: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Lookups, filled by __post_init__ (not part of equality or the exchange format).
    course_by_id: Mapping[str, Course] = field(init=False, repr=False, compare=False)
    section_by_id: Mapping[str, Section] = field(init=False, repr=False, compare=False)
    course_of_section: Mapping[str, Course] = field(init=False, repr=False, compare=False)
    student_by_id: Mapping[str, Student] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "courses", tuple(self.courses))
        object.__setattr__(self, "students", tuple(self.students))
        _check_int(self.seed, "随机种子 seed 必须是整数")
        k = self.max_courses_per_student
        _check_int(k, "每人最多课程数 max_courses_per_student 必须是正整数")
        if k < 1:
            raise InstanceError("每人最多课程数 max_courses_per_student 必须是正整数")
        courses: dict[str, Course] = {}
        sections: dict[str, Section] = {}
        course_of: dict[str, Course] = {}
        for course in self.courses:
            if course.id in courses:
                raise InstanceError(f"课程编号 “{course.id}” 重复")
            courses[course.id] = course
            for grade in course.grades:
                _check_int(grade, f"课程 {course.id} 的年级 “{grade}” 必须是整数")
            for section in course.sections:
                if section.id in sections:
                    raise InstanceError(
                        f"课程 {course.id} 的教学班编号 “{section.id}” 重复"
                    )
                sections[section.id] = section
                course_of[section.id] = course
                _check_section(section)
        students: dict[str, Student] = {}
        for student in self.students:
            if student.id in students:
                raise InstanceError(f"学生编号 “{student.id}” 重复")
            students[student.id] = student
            _check_student(student, courses)
        pins = tuple((student_id, tuple(sections)) for student_id, sections in self.pinned)
        object.__setattr__(self, "pinned", pins)
        _check_pins(pins, students, sections, course_of)
        object.__setattr__(self, "course_by_id", courses)
        object.__setattr__(self, "section_by_id", sections)
        object.__setattr__(self, "course_of_section", course_of)
        object.__setattr__(self, "student_by_id", students)

    @cached_property
    def pinned_sections(self) -> dict[str, tuple[str, ...]]:
        """Pinned student id → the section ids they keep."""
        return dict(self.pinned)

    @property
    def k(self) -> int:
        return self.max_courses_per_student

    @cached_property
    def max_rank(self) -> int:
        """The longest preference list: ``by_rank`` reports ranks 1..max_rank."""
        return max((len(s.preferences) for s in self.students), default=0)

    def fits(self, student: Student, section: Section) -> bool:
        """A section fits a student: right grade, and every day of its slots attended."""
        course = self.course_of_section[section.id]
        return student.grade in course.grade_set and section.days <= student.day_set

    def fitting_sections(self, student: Student, course: Course) -> tuple[Section, ...]:
        if student.grade not in course.grade_set:
            return ()
        return tuple(s for s in course.sections if s.days <= student.day_set)


def _check_int(value, message: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InstanceError(message)


def _check_section(section: Section) -> None:
    _check_int(section.capacity, f"教学班 {section.id} 的容量必须是整数")
    if section.capacity < 0:
        raise InstanceError(f"教学班 {section.id} 的容量 {section.capacity} 不能为负数")
    seen = set()
    for slot in section.slots:
        if not isinstance(slot, str) or not _SLOT.match(slot):
            raise InstanceError(
                f"教学班 {section.id} 的上课时间 “{slot}” 格式不正确，"
                "应为“星期-节次”，如 tue-2（星期为 mon～sun，节次为正整数）"
            )
        if slot in seen:
            raise InstanceError(f"教学班 {section.id} 的上课时间 “{slot}” 重复")
        seen.add(slot)


def _check_pins(pins, students, sections, course_of) -> None:
    seen = set()
    for student_id, section_ids in pins:
        if student_id not in students:
            raise InstanceError(f"固定安排中的学生 “{student_id}” 不在学生名单中")
        if student_id in seen:
            raise InstanceError(f"学生 {student_id} 的固定安排重复")
        seen.add(student_id)
        courses = set()
        for section_id in section_ids:
            if section_id not in sections:
                raise InstanceError(
                    f"学生 {student_id} 的固定安排 “{section_id}” 不是已有教学班")
            course_id = course_of[section_id].id
            if course_id in courses:
                raise InstanceError(f"学生 {student_id} 的固定安排重复了课程 {course_id}")
            courses.add(course_id)


def _check_student(student: Student, courses: Mapping[str, Course]) -> None:
    _check_int(student.grade, f"学生 {student.id} 的年级必须是整数")
    for day in student.days:
        if day not in DAYS:
            raise InstanceError(
                f"学生 {student.id} 的参加日期 “{day}” 不正确，"
                "应为 mon、tue、wed、thu、fri、sat、sun 之一"
            )
    seen = set()
    for course_id in student.preferences:
        if course_id not in courses:
            raise InstanceError(f"学生 {student.id} 的志愿 “{course_id}” 不是已有课程")
        if course_id in seen:
            raise InstanceError(f"学生 {student.id} 的志愿 “{course_id}” 重复")
        seen.add(course_id)


# ------------------------------------------------------------------ exchange format


def parse_instance(data) -> Instance:
    """Validate an exchange-format dict and return the :class:`Instance`.

    Unknown keys are ignored; ``seed`` defaults to 0, ``max_courses_per_student`` to 1 and
    ``pinned`` (optional) to none.
    """
    if not isinstance(data, Mapping):
        raise InstanceError("实例必须是一个 JSON 对象")
    fmt = data.get("format")
    if fmt != FORMAT:
        raise InstanceError(f"不支持的格式 “{fmt}”，应为 “{FORMAT}”")
    courses = [_parse_course(c, i) for i, c in enumerate(_list(data, "courses", "实例"))]
    students = [_parse_student(s, i) for i, s in enumerate(_list(data, "students", "实例"))]
    return Instance(
        courses=tuple(courses),
        students=tuple(students),
        seed=data.get("seed", 0),
        max_courses_per_student=data.get("max_courses_per_student", 1),
        pinned=_parse_pins(data.get("pinned", [])),
    )


def _parse_pins(rows) -> tuple:
    if not isinstance(rows, list):
        raise InstanceError("实例的字段 “pinned” 必须是列表")
    pins = []
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping) or not isinstance(row.get("student"), str):
            raise InstanceError(f"第 {index + 1} 个固定安排须为含 “student” 的 JSON 对象")
        sections = _list(row, "sections", f"学生 {row['student']} 的固定安排")
        for value in sections:
            if not isinstance(value, str):
                raise InstanceError(
                    f"学生 {row['student']} 的固定安排 “{value}” 不是已有教学班")
        pins.append((row["student"], tuple(sections)))
    return tuple(pins)


def instance_to_dict(inst: Instance) -> dict:
    """The exchange-format dict of an instance (names only where they are set)."""

    def named(row: dict, name: str) -> dict:
        if name:
            row["name"] = name
        return row

    data = {
        "format": FORMAT,
        "seed": inst.seed,
        "max_courses_per_student": inst.max_courses_per_student,
        "courses": [
            named(
                {
                    "id": c.id,
                    "grades": list(c.grades),
                    "sections": [
                        named({"id": s.id, "capacity": s.capacity, "slots": list(s.slots)},
                              s.name)
                        for s in c.sections
                    ],
                },
                c.name,
            )
            for c in inst.courses
        ],
        "students": [
            named(
                {
                    "id": s.id,
                    "grade": s.grade,
                    "homeroom": s.homeroom,
                    "days": list(s.days),
                    "preferences": list(s.preferences),
                },
                s.name,
            )
            for s in inst.students
        ],
    }
    if inst.pinned:
        data["pinned"] = [{"student": sid, "sections": list(sections)}
                          for sid, sections in inst.pinned]
    return data


def _list(row: Mapping, key: str, owner: str) -> list:
    if key not in row:
        raise InstanceError(f"{owner}缺少字段 “{key}”")
    value = row[key]
    if not isinstance(value, list):
        raise InstanceError(f"{owner}的字段 “{key}” 必须是列表")
    return value


def _id(row, kind: str, index: int) -> str:
    if not isinstance(row, Mapping):
        raise InstanceError(f"第 {index + 1} 个{kind}必须是一个 JSON 对象")
    value = row.get("id")
    if not isinstance(value, str) or not value:
        raise InstanceError(f"第 {index + 1} 个{kind}缺少编号 “id”（应为非空字符串）")
    return value


def _name(row: Mapping) -> str:
    name = row.get("name", "")
    return name if isinstance(name, str) else ""


def _parse_course(row, index: int) -> Course:
    course_id = _id(row, "课程", index)
    owner = f"课程 {course_id} "
    grades = _list(row, "grades", owner)
    sections = []
    for j, section in enumerate(_list(row, "sections", owner)):
        section_id = _id(section, f"教学班（课程 {course_id}）", j)
        if "capacity" not in section:
            raise InstanceError(f"教学班 {section_id} 缺少字段 “capacity”")
        slots = _list(section, "slots", f"教学班 {section_id} ")
        sections.append(
            Section(id=section_id, capacity=section["capacity"], slots=tuple(slots),
                    name=_name(section))
        )
    return Course(id=course_id, grades=tuple(grades), sections=tuple(sections),
                  name=_name(row))


def _parse_student(row, index: int) -> Student:
    student_id = _id(row, "学生", index)
    owner = f"学生 {student_id} "
    if "grade" not in row:
        raise InstanceError(f"{owner}缺少字段 “grade”")
    days = _list(row, "days", owner)
    preferences = _list(row, "preferences", owner)
    for value in days:
        if not isinstance(value, str):
            raise InstanceError(f"学生 {student_id} 的参加日期 “{value}” 不正确")
    for value in preferences:
        if not isinstance(value, str):
            raise InstanceError(f"学生 {student_id} 的志愿 “{value}” 不是已有课程")
    homeroom = row.get("homeroom", "")
    return Student(
        id=student_id,
        grade=row["grade"],
        days=tuple(days),
        preferences=tuple(preferences),
        homeroom=homeroom if isinstance(homeroom, str) else str(homeroom),
        name=_name(row),
    )
