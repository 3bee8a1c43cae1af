"""The peak's school: 5,000 students in 100 homerooms of 50, and 200 homework groups of 25 at
16:40 today, one tutor each — the shape of issue 11's "16:40 peak".

Rows are written in bulk (this is a load fixture, not a school's history): the school, grades
7–9, 100 homerooms with their 班主任, 100 more teachers, 5,000 students with placed intention
forms (the roster's markers read them: a few health notes and allergies, a fifth going home
alone), then, for each run, today's 200 lessons with one empty record per child, as lesson
generation makes them. Each homeroom's two groups are taken by its 班主任 and by one subject
teacher. Deterministic: one seed.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from afterschool.models import Grade, Homeroom, Period, School, Staff, Student, Term, User
from attendance.models import (
    AbsenceAlert,
    AttendancePolicy,
    AttendanceRecord,
    Lesson,
)
from enrollment.models import Application

CODE = "bench-peak"
SEED = 20261640
STUDENTS = 5000
HOMEROOM_SIZE = 50
GROUP_SIZE = 25
START, END = dt.time(16, 40), dt.time(17, 20)
PASSWORD = "bench-peak-2026"
BATCH = 2000

_SURNAMES = "王王王张张张李李李刘刘陈杨赵孙徐马朱胡郭高于宋何林郑魏韩吕孔丁董袁崔曹潘田姜庄管葛"
_GIVEN = "浩宇轩子博文俊杰泽睿明晨一凯鑫磊鹏昊天翔瑞嘉铭欣怡梓涵雨萱诗雅静婷佳悦可馨思琪彤妍若"
_SUBJECTS = ["语文", "数学", "英语", "道德与法治", "历史", "地理", "生物", "物理", "信息技术"]


def _name(rng: random.Random) -> str:
    given = "".join(rng.sample(_GIVEN, 2 if rng.random() < 0.8 else 1))
    return rng.choice(_SURNAMES) + given


def _phone(n: int) -> str:
    return f"1980{n:07d}"


@transaction.atomic
def build_school() -> School:
    """The school, its people and its children; nothing if it is there already."""
    school = School.objects.filter(code=CODE).first()
    if school is not None:
        return school
    rng = random.Random(SEED)
    today = timezone.localdate()
    school = School.objects.create(name="莒县压测实验中学", code=CODE, district="莒县教育和体育局")
    term = Term.objects.create(school=school, name="压测学期", is_current=True,
                               start_date=today - dt.timedelta(days=60),
                               end_date=today + dt.timedelta(days=60),
                               service_weekdays=[1, 2, 3, 4, 5])
    Period.objects.create(term=term, number=1, start_time=START, end_time=END,
                          kind=Period.Kind.HOMEWORK)
    AttendancePolicy.objects.create(school=school, lock_next_day=True)

    homerooms_n = STUDENTS // HOMEROOM_SIZE
    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        [User(phone=_phone(i), name=_name(rng), password=password)
         for i in range(2 * homerooms_n)], batch_size=BATCH)
    staff = Staff.objects.bulk_create(
        [Staff(school=school, user=u, name=u.name, phone=u.phone,
               subjects=_SUBJECTS[i % len(_SUBJECTS)], available_weekdays=[1, 2, 3, 4, 5])
         for i, u in enumerate(users)], batch_size=BATCH)
    grades = Grade.objects.bulk_create(
        [Grade(school=school, number=n, name=f"{'七八九'[n - 7]}年级") for n in (7, 8, 9)])
    homerooms = Homeroom.objects.bulk_create(
        [Homeroom(school=school, grade=grades[i % 3], number=i // 3 + 1, head_teacher=staff[i])
         for i in range(homerooms_n)], batch_size=BATCH)
    students = Student.objects.bulk_create(
        [Student(school=school, homeroom=homerooms[i // HOMEROOM_SIZE],
                 student_no=f"2026{i:06d}", name=_name(rng), gender=rng.choice("MF"),
                 is_boarder=rng.random() < 0.3)
         for i in range(STUDENTS)], batch_size=BATCH)
    forms = []
    for student in students:
        way = rng.choices(["picked_up", "alone", "bus"], [70, 20, 10])[0]
        forms.append(Application(
            school=school, term=term, student=student, status=Application.Status.PLACED,
            participates=True, weekdays=[1, 2, 3, 4, 5], dismissal=way,
            alone_consent=way == "alone", bus_route="2路" if way == "bus" else "",
            health_notes="哮喘，随身带喷雾" if rng.random() < 0.03 else "",
            allergies="花生过敏" if rng.random() < 0.02 else "",
            contact_phone=_phone(900000 + student.pk % 100000)))
    Application.objects.bulk_create(forms, batch_size=BATCH)
    return school


@transaction.atomic
def todays_lessons(school: School) -> list[Lesson]:
    """Today's 200 homework groups at 16:40, every record empty: the term's lessons are made
    afresh on each run, so every run starts from the same state."""
    term = Term.objects.get(school=school, is_current=True)
    today = timezone.localdate()
    if not term.start_date <= today <= term.end_date:
        term.start_date, term.end_date = today - dt.timedelta(days=60), today + dt.timedelta(days=60)
        term.save(update_fields=["start_date", "end_date"])
    AbsenceAlert.objects.filter(lesson__term=term).delete()
    Lesson.objects.filter(term=term).delete()
    period = term.periods.get(number=1)
    homerooms = list(Homeroom.objects.filter(school=school).select_related("grade")
                     .order_by("grade__number", "number"))
    teachers = list(Staff.objects.filter(school=school, homerooms__isnull=True)
                    .order_by("pk"))
    students_of: dict[int, list[int]] = {}
    for pk, homeroom_id in Student.objects.filter(school=school).order_by("pk").values_list(
            "pk", "homeroom_id"):
        students_of.setdefault(homeroom_id, []).append(pk)
    specs = []  # (lesson, tutor, students)
    for i, homeroom in enumerate(homerooms):
        children = students_of[homeroom.pk]
        for half in range(len(children) // GROUP_SIZE):
            tutor = homeroom.head_teacher if half == 0 else teachers[i % len(teachers)]
            lesson = Lesson(term=term, date=today, period=period, start_time=START, end_time=END,
                            kind=Lesson.Kind.HOMEWORK, key=f"homework:{homeroom.pk}:{half + 1}",
                            title=f"作业辅导（{homeroom.grade.name}{homeroom.number}班第{half + 1}组）",
                            venue=f"{homeroom.grade.name}{homeroom.number}班教室",
                            homeroom=homeroom)
            specs.append((lesson, tutor,
                          children[half * GROUP_SIZE:(half + 1) * GROUP_SIZE]))
    lessons = Lesson.objects.bulk_create([s[0] for s in specs], batch_size=BATCH)
    Through = Lesson.tutors.through
    Through.objects.bulk_create([Through(lesson_id=les.pk, staff_id=tutor.pk)
                                 for les, (_, tutor, _) in zip(lessons, specs, strict=True)],
                                batch_size=BATCH)
    AttendanceRecord.objects.bulk_create(
        [AttendanceRecord(lesson=les, student_id=s)
         for les, (_, _, children) in zip(lessons, specs, strict=True) for s in children],
        batch_size=BATCH)
    return lessons


def analyze() -> None:
    """Planner statistics after the bulk load (autovacuum may be off or behind)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
