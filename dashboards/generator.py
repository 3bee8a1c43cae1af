"""A county's worth of schools for benchmarks (``manage.py seed_district``).

Each school gets what a real one has by mid-term: grades and homerooms of about 45, staff (a
head teacher per homeroom, subject teachers, a few external instructors) with a principal's
and a coordinator's login, families, intention forms (most taking part, some declining, a few
not answering), a catalog of clubs with sections of 25, a published arrangement placing the
children by their choices, homework lessons per homeroom and club lessons per section on every
service day of the last ``months`` × 30 days (within the term) with roll calls taken at a plausible minute, absence
alerts mostly handled, two patrols a day with the odd finding and its follow-up, final subsidy
statements for the months that are over, and a satisfaction survey most families answered.

Rows go in through :class:`dashboards.loader.Loader` (COPY on PostgreSQL), school by school, so
memory stays flat in the number of schools; the catalog's few rows per school and the survey's
questions use the ORM. The result is deterministic for a seed. Everything is what the services
would have written — the same statuses, stamps and constraints (one record per child and
lesson, one answer per child and survey, a handled alert with its outcome) — but without the
services' checks, which is the point of a bulk load.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from afterschool.demo import school_year_start
from afterschool.models import (
    Grade,
    Guardian,
    Homeroom,
    Period,
    Role,
    RoleAssignment,
    School,
    Staff,
    Student,
    StudentGuardian,
    Term,
    User,
)
from arrangement.models import Arrangement, Placement
from attendance.models import AbsenceAlert, AttendanceRecord, Lesson
from courses.models import BUILTIN_CATEGORIES, Course, Section, SectionSlot
from enrollment.models import Application, Preference
from evaluation.models import Statement
from safety.models import FollowUp, PatrolReport
from surveys.anonymity import respondent_key
from surveys.models import Question, Respondent, Survey, SurveyAnswer, SurveyResponse
from surveys.services import DEFAULT_INTRO, DEFAULT_QUESTIONS

from .loader import Loader, analyze

PASSWORD = "kehou2026"
HOMEROOM_SIZE = 45
SECTION_SIZE = 25
SURNAMES = "王张李刘陈杨赵孙徐马朱胡郭高于宋何林郑魏韩吕孔丁董袁崔曹潘田姜庄管葛"
GIVEN = "浩宇轩子博文俊杰泽睿明晨辰一凯鑫磊鹏昊天翔瑞嘉铭豪然航诚毅煜宸锦恒欣怡梓涵雨萱佳琪诗语"
CLUBS = ["篮球", "足球", "乒乓球", "舞狮", "书法", "国画", "剪纸", "过门笺", "萨克斯", "合唱",
         "大阅读", "英语模仿秀", "机器人", "科学小探秘", "3D打印", "围棋", "象棋", "朗诵",
         "街舞", "编程", "陶艺", "民乐", "田径", "跳绳", "摄影", "手工", "戏曲", "科技制作"]
MARKS = (("present", 94.0), ("late", 3.0), ("leave", 2.0), ("absent", 1.0))
# National Day week: no service.
HOLIDAYS = {(10, d) for d in range(1, 8)}


@dataclass
class Report:
    schools: int = 0
    students: int = 0
    lessons: int = 0
    records: int = 0
    answers: int = 0
    seconds: float = 0.0
    rows: dict = field(default_factory=dict)

    def text(self) -> str:
        rows = sum(self.rows.values())
        return (f"生成 {self.schools} 所学校、{self.students:,} 名学生、{self.lessons:,} 节课次、"
                f"{self.records:,} 条点名记录、{self.answers:,} 份满意度答卷，共写入 {rows:,} 行，"
                f"用时 {self.seconds:.1f} 秒。")


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def service_days(term: Term, first: dt.date, last: dt.date) -> list[dt.date]:
    days, day = [], max(first, term.start_date)
    while day <= min(last, term.end_date):
        if day.isoweekday() in term.service_weekdays and (day.month, day.day) not in HOLIDAYS:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _at(day: dt.date, time_: dt.time, minutes: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time_)) + dt.timedelta(minutes=minutes)


class DistrictGenerator:
    def __init__(self, *, schools: int, students: int, months: int = 1, district: str,
                 prefix: str = "cty", seed: int = 2026, today: dt.date | None = None,
                 names: list[str] | None = None, with_officer: bool = True, stdout=None):
        self.n_schools, self.n_students, self.months = schools, students, months
        self.district, self.prefix, self.seed = district, prefix, seed
        self.today = today or timezone.localdate()
        self.stdout = stdout
        self.names = names or []
        self.with_officer = with_officer
        self.password = make_password(PASSWORD)
        self.report = Report()

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)

    # -------------------------------------------------------------- the whole district

    def run(self) -> Report:
        started = time.perf_counter()
        year = school_year_start(self.today)
        last = self.today - dt.timedelta(days=1)
        # "K months": the 30·K days up to yesterday, within the term.
        first_month = last - dt.timedelta(days=30 * self.months - 1)
        self.first = first_month
        self.officer = self._officer() if self.with_officer else None
        self.loaded: dict = {}
        for index in range(self.n_schools):
            code = f"{self.prefix}-{index + 1:03d}"
            if School.objects.filter(code=code).exists():
                continue
            with transaction.atomic():
                loader = Loader()
                self._school(loader, index, code, year, first_month, last)
                loader.finish()
                for name, n in loader.written.items():
                    self.report.rows[name] = self.report.rows.get(name, 0) + n
                self.loaded.update(loader.tables)
            self.report.schools += 1
            if (index + 1) % 10 == 0 or index + 1 == self.n_schools:
                self.say(f"  {index + 1}/{self.n_schools} 所学校，"
                         f"{time.perf_counter() - started:.0f} 秒")
        analyze(self.loaded)
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _next_phone(self) -> str:
        """A login phone no user has: after the highest 17… number in the table (logins are
        unique across schools; the generator may run again with another prefix)."""
        if not hasattr(self, "_phone"):
            top = (User.objects.filter(phone__startswith="17").order_by("-phone")
                   .values_list("phone", flat=True).first())
            self._phone = int(top[2:]) if top else 0
        self._phone += 1
        return f"17{self._phone:09d}"

    def _officer(self) -> User:
        """The district's bureau login (one per district name)."""
        phone = f"1970{zlib.crc32(self.district.encode()) % 10_000_000:07d}"
        user, _ = User.objects.get_or_create(phone=phone, defaults={
            "name": f"{self.district}科员", "password": self.password})
        RoleAssignment.objects.get_or_create(user=user, role=Role.DISTRICT_OFFICER, school=None,
                                             district=self.district)
        return user

    # -------------------------------------------------------------- one school

    def _school(self, loader: Loader, index: int, code: str, year: int, first: dt.date,
                last: dt.date) -> None:
        rng = random.Random(self.seed * 100_003 + index)
        now = timezone.now()
        county = self.district.removesuffix("教育局").removesuffix("教育和体育局")
        school = School.objects.create(
            name=self.names[index] if index < len(self.names) else f"{county}第{index + 1}实验学校",
            code=code, district=self.district, subsidy_per_period=Decimal("30"))
        term = Term.objects.create(
            school=school, name=f"{year}—{year + 1}学年第一学期", is_current=True,
            start_date=dt.date(year, 9, 1), end_date=dt.date(year + 1, 1, 20),
            service_weekdays=[1, 2, 3, 4],
            application_opens_at=_at(dt.date(year, 8, 20), dt.time(8)),
            application_closes_at=_at(dt.date(year, 8, 31), dt.time(20)))
        homework = Period.objects.create(term=term, number=1, start_time=dt.time(16, 40),
                                         end_time=dt.time(17, 20), kind=Period.Kind.HOMEWORK)
        club = Period.objects.create(term=term, number=2, start_time=dt.time(17, 30),
                                     end_time=dt.time(18, 10), kind=Period.Kind.COURSE)
        grades = [Grade.objects.create(school=school, number=n, name=f"{'一二三四五六'[n - 1]}年级")
                  for n in range(1, 7)]

        # People.
        n_homerooms = max(1, math.ceil(self.n_students / HOMEROOM_SIZE))
        n_teachers = n_homerooms + max(6, n_homerooms // 2)
        staff_ids, external_ids = [], []
        for j in range(n_teachers + 3):
            external = j >= n_teachers
            pk = loader.add(Staff, {"school_id": school.pk, "name": _name(rng),
                                    "phone": f"13{index % 1000:03d}{j:06d}",
                                    "subjects": "体育" if external else rng.choice(
                                        ["语文", "数学", "英语", "美术", "音乐", "科学"]),
                                    "is_external": external,
                                    "available_weekdays": [1, 2, 3, 4]})
            (external_ids if external else staff_ids).append(pk)
        logins = {}
        for k, role in enumerate((Role.PRINCIPAL, Role.COORDINATOR)):
            phone = self._next_phone()
            user = loader.add(User, {"phone": phone,
                                     "name": f"{school.name}{'校长' if k == 0 else '主任'}",
                                     "password": self.password, "date_joined": now})
            loader.add(RoleAssignment, {"user_id": user, "role": role, "school_id": school.pk})
            loader.add(Staff, {"school_id": school.pk, "user_id": user,
                               "name": f"{'校长' if k == 0 else '主任'}{index + 1}",
                               "phone": phone, "subjects": "管理"})
            logins[role] = user
        self.logins = logins
        homerooms = []
        for h in range(n_homerooms):
            grade = grades[h % len(grades)]
            homerooms.append((loader.add(Homeroom, {
                "school_id": school.pk, "grade_id": grade.pk, "number": h // len(grades) + 1,
                "head_teacher_id": staff_ids[h]}), grade.pk, staff_ids[h]))
        loader.flush()

        # The catalog (the ORM: a few dozen rows).
        courses = []
        n_courses = max(6, self.n_students // 50)
        popularity = [1.0 / (c + 1) for c in range(n_courses)]
        tutor_pool = staff_ids[n_homerooms:] + external_ids
        for c in range(n_courses):
            course = Course.objects.create(
                school=school, term=term, name=f"{CLUBS[c % len(CLUBS)]}"
                f"{'' if c < len(CLUBS) else c // len(CLUBS) + 1}",
                category=BUILTIN_CATEGORIES[c % 4])
            course.grades.set(grades)
            sections = []
            for s in range(max(1, round(3 * popularity[c] ** 0.5))):
                section = Section.objects.create(course=course, name=f"{s + 1}班",
                                                 capacity=SECTION_SIZE, venue=f"{c + 1}0{s + 1}室")
                tutor = tutor_pool[(c + s) % len(tutor_pool)]
                section.tutors.set([tutor])
                weekday = (c + s) % 4 + 1
                SectionSlot.objects.create(section=section, weekday=weekday, period=club)
                sections.append({"id": section.pk, "weekday": weekday, "tutor": tutor,
                                 "seats": SECTION_SIZE, "students": []})
            courses.append({"id": course.pk, "sections": sections})

        # Families and their forms.
        arrangement = loader.add(Arrangement, {
            "term_id": term.pk, "version": 1, "status": Arrangement.Status.PUBLISHED,
            "seed": rng.randrange(10**9), "created_at": now, "published_at": now,
            "started_at": now, "finished_at": now, "updated_at": now})
        children = []
        for i in range(self.n_students):
            homeroom, grade_id, head = homerooms[i % n_homerooms]
            sid = loader.add(Student, {"school_id": school.pk, "student_no": f"{code}{i:05d}",
                                       "name": _name(rng), "gender": rng.choice("MF"),
                                       "homeroom_id": homeroom})
            gid = loader.add(Guardian, {"school_id": school.pk, "name": _name(rng),
                                        "phone": f"15{index % 1000:03d}{i:06d}"})
            loader.add(StudentGuardian, {"student_id": sid, "guardian_id": gid,
                                         "relation": rng.choice(["母亲", "父亲"])})
            r = rng.random()
            child = {"id": sid, "homeroom": homeroom, "grade": grade_id, "head": head,
                     "weekdays": [], "section": None, "course": None}
            if r < 0.93:
                participates = r < 0.88
                weekdays = [1, 2, 3, 4] if rng.random() < 0.8 else sorted(
                    rng.sample([1, 2, 3, 4], 3))
                app = loader.new_id(Application)
                ranked, placed = [], None
                if participates:
                    child["weekdays"] = weekdays
                    picks = rng.choices(range(n_courses), weights=popularity, k=6)
                    ranked = list(dict.fromkeys(picks))[:3]
                    for rank, c in enumerate(ranked, start=1):
                        open_sections = [x for x in courses[c]["sections"] if x["seats"]]
                        if open_sections:
                            placed = (rank, c, open_sections[0])
                            break
                loader.add(Application, {
                    "id": app, "school_id": school.pk, "term_id": term.pk, "student_id": sid,
                    "status": Application.Status.PLACED if placed
                    else Application.Status.SCHOOL_APPROVED,
                    "participates": participates, "weekdays": weekdays if participates else [],
                    "dismissal": "picked_up" if participates else "", "created_at": now,
                    "submitted_at": now, "status_changed_at": now, "updated_at": now})
                for rank, c in enumerate(ranked, start=1):
                    loader.add(Preference, {"application_id": app, "rank": rank,
                                            "course_id": courses[c]["id"]})
                if placed:
                    rank, c, section = placed
                    section["seats"] -= 1
                    section["students"].append(child)
                    child["section"], child["course"] = section, courses[c]["id"]
                    loader.add(Placement, {
                        "arrangement_id": arrangement, "student_id": sid, "application_id": app,
                        "course_id": courses[c]["id"], "section_id": section["id"],
                        "rank": rank, "created_at": now})
            children.append(child)
        self.report.students += self.n_students

        # Lessons and roll calls.
        by_homeroom = defaultdict(list)
        for child in children:
            if child["weekdays"]:
                by_homeroom[child["homeroom"]].append(child)
        lesson_meta = []
        days = service_days(term, first, last)
        lessons_by_tutor = defaultdict(int)
        for day in days:
            weekday = day.isoweekday()
            meetings = []
            for homeroom, _grade, head in homerooms:
                kids = [c for c in by_homeroom[homeroom] if weekday in c["weekdays"]]
                if kids:
                    meetings.append((Lesson.Kind.HOMEWORK, f"homework:{homeroom}:{weekday}",
                                     "作业辅导", homework, head, kids, None, homeroom))
            for course in courses:
                for section in course["sections"]:
                    if section["weekday"] != weekday:
                        continue
                    kids = [c for c in section["students"] if weekday in c["weekdays"]]
                    if kids:
                        meetings.append((Lesson.Kind.COURSE, f"section:{section['id']}",
                                         f"社团{section['id']}", club, section["tutor"], kids,
                                         section["id"], None))
            for kind, key, title, period, tutor, kids, section_id, homeroom in meetings:
                minute = rng.choice((1, 2, 3, 3, 4, 5, 6, 8, 9, 14, 22))
                called = _at(day, period.start_time, minute)
                lesson = loader.add(Lesson, {
                    "term_id": term.pk, "date": day, "period_id": period.pk,
                    "start_time": period.start_time, "end_time": period.end_time, "kind": kind,
                    "key": key, "title": title, "section_id": section_id,
                    "homeroom_id": homeroom, "roll_call_at": called, "roll_call_by_id": tutor,
                    "roll_call_revision": 1, "generated_at": now})
                loader.add(Lesson.tutors.through, {"lesson_id": lesson, "staff_id": tutor})
                lessons_by_tutor[(tutor, day.replace(day=1))] += 1
                lesson_meta.append((lesson, day, tutor))
                self.report.lessons += 1
                for child in kids:
                    status = rng.choices([m for m, _ in MARKS], weights=[w for _, w in MARKS])[0]
                    record = loader.add(AttendanceRecord, {
                        "lesson_id": lesson, "student_id": child["id"], "status": status,
                        "marked_at": called, "revision": 1})
                    self.report.records += 1
                    if status == "absent":
                        handled = rng.random() < 0.9
                        loader.add(AbsenceAlert, {
                            "record_id": record, "student_id": child["id"], "lesson_id": lesson,
                            "status": "handled" if handled else "open", "raised_at": called,
                            "notified_at": called,
                            "handled_at": called + dt.timedelta(minutes=rng.randint(3, 90))
                            if handled else None,
                            "outcome": "已联系家长，孩子在家" if handled else ""})

        # Patrols: two a day, a finding now and then.
        by_day = defaultdict(list)
        for lesson, day, tutor in lesson_meta:
            by_day[day].append((lesson, tutor))
        for day, lessons in by_day.items():
            for lesson, tutor in rng.sample(lessons, min(2, len(lessons))):
                late = rng.random() < 0.05
                patrol = loader.add(PatrolReport, {
                    "school_id": school.pk, "lesson_id": lesson, "date": day,
                    "patrolled_at": _at(day, dt.time(16, 55)), "recorded_by_id":
                    logins[Role.COORDINATOR], "teacher_id": tutor,
                    "presence": "late" if late else "present", "has_finding": late,
                    "created_at": now})
                if late:
                    closed = rng.random() < 0.6
                    loader.add(FollowUp, {
                        "patrol_id": patrol, "school_id": school.pk,
                        "status": "closed" if closed else "open", "created_at": now,
                        "closed_at": _at(day, dt.time(19)) if closed else None,
                        "close_note": "已整改" if closed else ""})

        # Final statements of the months that are over.
        this_month = self.today.replace(day=1)
        for (tutor, month), n in lessons_by_tutor.items():
            if month >= this_month:
                continue
            external = tutor in external_ids
            rate = Decimal("80") if external else Decimal("30")
            loader.add(Statement, {
                "school_id": school.pk, "staff_id": tutor, "month": month,
                "status": Statement.Status.FINAL, "staff_type": "external" if external
                else "teacher", "rate": rate, "total": Decimal(n), "subsidy": rate * n,
                "issued_at": now, "final_at": now})
        loader.flush()

        self._survey(loader, rng, school, term, children, now)

    def _survey(self, loader, rng, school, term, children, now) -> None:
        survey = Survey.objects.create(
            school=school, term=term, title=f"{term.name}课后服务家长满意度调查",
            intro=DEFAULT_INTRO, status=Survey.Status.OPEN, opened_at=now,
            closes_at=now + dt.timedelta(days=14), created_at=now,
            invited=sum(1 for c in children if c["weekdays"]))
        questions = Question.objects.bulk_create([
            Question(survey=survey, number=i, text=q.text, kind=q.kind, topic=q.topic,
                     options=list(q.options), required=q.required)
            for i, q in enumerate(DEFAULT_QUESTIONS, start=1)])
        for child in children:
            if not child["weekdays"] or rng.random() > 0.6:
                continue
            response = loader.add(SurveyResponse, {"survey_id": survey.pk,
                                                   "grade_id": child["grade"],
                                                   "homeroom_id": child["homeroom"]})
            loader.add(Respondent, {"survey_id": survey.pk, "response_id": response,
                                    "key": respondent_key(survey.pk, child["id"])})
            mood = rng.choices((5, 4, 3, 2, 1), weights=(58, 31, 8, 2, 1))[0]
            for q in questions:
                values = {"response_id": response, "question_id": q.pk}
                if q.kind == Question.Kind.SCALE:
                    values["scale"] = mood if rng.random() < 0.7 else rng.choice((3, 4, 5))
                elif q.kind == Question.Kind.CHOICE:
                    values["choice"] = rng.choice(q.options[:3])
                elif rng.random() < 0.1:
                    values["text"] = "希望继续开展，谢谢老师。"
                else:
                    continue
                loader.add(SurveyAnswer, values)
            tutors = {child["head"]} | ({child["section"]["tutor"]} if child["section"] else set())
            for tutor in tutors:
                loader.add(SurveyResponse.tutors.through, {"surveyresponse_id": response,
                                                           "staff_id": tutor})
            if child["course"]:
                loader.add(SurveyResponse.courses.through, {"surveyresponse_id": response,
                                                            "course_id": child["course"]})
            self.report.answers += 1
