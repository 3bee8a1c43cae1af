"""The demo school: a junior school's grade 7 shaped like the reports, built idempotently.

``build_demo`` makes the core (schools, term, homerooms, students, guardians, staff, roles)
from a fixed random seed, so every run generates the same rows and writes them with
``bulk_create(ignore_conflicts=True)`` on their natural keys: a second run adds nothing.
Apps above the core add their own demo data by registering a step from their
``AppConfig.ready``::

    from afterschool.demo import register_demo_step

    @register_demo_step
    def enrollment_demo(demo, stdout=None):
        ...  # demo["school"], demo["term"], demo["logins"] (append your own)

A step must be idempotent too. The core never imports the apps that register steps.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from .models import (
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

DEMO_PASSWORD = "kehou2026"
DEMO_SEED = 20260909
DISTRICT = "莒县教育和体育局"

# ------------------------------------------------------------------ the registry

DemoStep = Callable[..., None]
_steps: list[DemoStep] = []


def register_demo_step(step: DemoStep) -> DemoStep:
    """Add ``step(demo, stdout=None)`` to what ``seed_demo`` runs after the core."""
    if step not in _steps:
        _steps.append(step)
    return step


def demo_steps() -> list[DemoStep]:
    return list(_steps)


def run_demo_steps(demo: dict, stdout=None) -> None:
    for step in _steps:
        with transaction.atomic():
            step(demo, stdout=stdout)


# ------------------------------------------------------------------ names

# Surnames weighted roughly as in Shandong (王、张、李、刘 lead).
_SURNAMES = (
    "王" * 9 + "张" * 8 + "李" * 8 + "刘" * 7 + "陈" * 3 + "杨" * 3 + "赵" * 3 + "孙" * 3
    + "徐" * 2 + "马" * 2 + "朱" * 2 + "胡" * 2 + "郭" * 2 + "高" * 2 + "于" * 2 + "宋" * 2
    + "何林郑魏韩吕孔丁董袁崔曹潘田姜庄管葛厉鲁房臧邵石秦卢"
)
_BOY = "浩宇轩子博文俊杰泽睿明晨辰一凯鑫磊鹏昊天翔瑞嘉铭豪然航诚毅煜宸锦恒"
_GIRL = "欣怡梓涵雨萱诗雅静婷佳悦可馨思琪彤妍若语晴蕾菲瑶璐雪梦安晓颖"
_MAN = "伟强军勇磊涛斌刚明辉建国华峰鹏超海亮波东春林庆永"
_WOMAN = "丽静敏燕艳娟霞芳玲红梅娜洁琳慧萍晶丹倩英秀凤莉"


def _given(rng: random.Random, chars: str, two_chance: float) -> str:
    if rng.random() < two_chance:
        first, second = rng.sample(chars, 2)
        return first + second
    return rng.choice(chars)


def _child_name(rng: random.Random, surname: str, gender: str) -> str:
    return surname + _given(rng, _BOY if gender == "M" else _GIRL, 0.85)


def _adult_name(rng: random.Random, surname: str, male: bool) -> str:
    return surname + _given(rng, _MAN if male else _WOMAN, 0.6)


_PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "155", "156", "157", "158", "159", "176", "177", "180", "181", "182",
                   "183", "185", "186", "187", "188", "189")


class _Phones:
    """Unique, plausible mobile numbers; the demo logins use 199 0000 00xx, never drawn here."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def new(self) -> str:
        while True:
            phone = self.rng.choice(_PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.used:
                self.used.add(phone)
                return phone


_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _activation_code(rng: random.Random) -> str:
    return "".join(rng.choice(_CODE_ALPHABET) for _ in range(8))


# ------------------------------------------------------------------ what the demo holds

@dataclass(frozen=True)
class Login:
    phone: str
    role: str   # the Chinese label of the role, as printed
    name: str
    note: str = ""


@dataclass(frozen=True)
class _Person:
    phone: str
    name: str


# One person per role, with fixed names so the printed table (and the README) never changes.
GUARDIAN = _Person("19900000001", "王丽")
HOMEROOM_TEACHER = _Person("19900000002", "刘静")
TUTOR = _Person("19900000003", "赵明")
EXTERNAL = _Person("19900000004", "钱伟")
DUTY_TEACHER = _Person("19900000005", "吴敏")
COORDINATOR = _Person("19900000006", "孙建华")
PRINCIPAL = _Person("19900000007", "周国强")
DISTRICT_OFFICER = _Person("19900000008", "郑海燕")
TWINS = ("张子涵", "张子轩")

LOGINS = [
    Login(GUARDIAN.phone, Role.GUARDIAN.label, GUARDIAN.name, f"{TWINS[0]}、{TWINS[1]}的母亲（双胞胎）"),
    Login(HOMEROOM_TEACHER.phone, Role.HOMEROOM_TEACHER.label, HOMEROOM_TEACHER.name, "七年级1班班主任"),
    Login(TUTOR.phone, Role.TUTOR.label, TUTOR.name, "美术教师"),
    Login(EXTERNAL.phone, Role.EXTERNAL_INSTRUCTOR.label, EXTERNAL.name, "篮球教练"),
    Login(DUTY_TEACHER.phone, Role.DUTY_TEACHER.label, DUTY_TEACHER.name, "体育教师"),
    Login(COORDINATOR.phone, Role.COORDINATOR.label, COORDINATOR.name, "副校长，领导小组副组长"),
    Login(PRINCIPAL.phone, Role.PRINCIPAL.label, PRINCIPAL.name, "领导小组组长"),
    Login(DISTRICT_OFFICER.phone, Role.DISTRICT_OFFICER.label, DISTRICT_OFFICER.name, DISTRICT),
]

# Eight external instructors (校外教师), as the reports bring in coaches and artists.
EXTERNALS = [
    (EXTERNAL.name, "篮球"), ("", "舞狮"), ("", "萨克斯"), ("", "剪纸（过门笺）"),
    ("", "机器人"), ("", "3D打印"), ("", "书法"), ("", "足球"),
]
_SUBJECTS = ["语文", "数学", "英语", "道德与法治", "历史", "地理", "生物", "信息技术", "音乐",
             "美术", "体育", "心理健康"]
_HOMEROOM_SUBJECTS = ["语文", "数学", "英语", "语文", "数学", "英语", "道德与法治", "历史",
                      "地理", "生物"]

PERIODS = [
    (1, dt.time(16, 40), dt.time(17, 20), Period.Kind.HOMEWORK),
    (2, dt.time(17, 30), dt.time(18, 10), Period.Kind.COURSE),
    (3, dt.time(18, 15), dt.time(18, 50), Period.Kind.COURSE),
]

SERVICE_CONTENT = (
    "一、作业辅导：以班级为主体，由任课教师在本班教室辅导学生完成书面作业、答疑解惑，"
    "不讲新课，不组织考试。\n"
    "二、特色课程（社团）：学生自主选择、走班参加，共四类——艺术素养（萨克斯、剪纸过门笺）、"
    "语言素养（大阅读、英语模仿秀）、操作技巧（机器人、科学小探秘、3D打印）、"
    "体育技能（篮球、舞狮）；另设名师课堂和培优辅潜。\n"
    "三、每 25 名学生配备 1 名辅导教师。如遇疫情等不宜走班的情况，学校暂停走班社团，"
    "改为以班级为单位的“特色课程+作业辅导”模式。"
)
SAFETY_TEXT = (
    "1. 安全第一：每节课前点名，从点名到离校每个环节责任到人。\n"
    "2. 实行交接班制度，班主任与辅导教师当面交接学生名单。\n"
    "3. 值日教师每天巡查并记录巡查情况。\n"
    "4. 放学时辅导教师护送学生出校门，家长在指定区域接孩子。\n"
    "5. 学校与家长签订《课后服务协议》和《安全责任书》，存档备查。"
)


def _schedule_text() -> str:
    # What the periods do not say: the pages list the service days and the periods themselves
    # from the term, so repeating them here would show the timetable twice.
    number, _, end, _ = PERIODS[-1]
    lines = [f"第{number}节结束（{end:%H:%M}）后，辅导教师护送学生离校。"]
    lines.append("寄宿生：晚自习前 40 分钟阅读，晚自习后 40 分钟培优辅潜（自愿参加）。")
    return "\n".join(lines)


@dataclass
class _SchoolSpec:
    code: str
    name: str
    address: str
    homeroom_sizes: list[int]
    extra_teachers: int            # internal staff beyond homeroom teachers and named ones
    externals: list[tuple[str, str]] = field(default_factory=list)
    twin_chance: float = 0.03
    boarder_share: float = 0.3


MAIN = _SchoolSpec(
    code="demo-jx4", name="莒县第四实验学校", address="山东省日照市莒县城阳街道",
    # 1,096 students in 22 homerooms: 18 of 50 and 4 of 49.
    homeroom_sizes=[50] * 18 + [49] * 4,
    extra_teachers=34, externals=EXTERNALS,
)
SMALL = _SchoolSpec(
    code="demo-jx5", name="莒县第五实验学校", address="山东省日照市莒县店子集街道",
    homeroom_sizes=[40, 40, 38], extra_teachers=6, externals=[("", "舞狮")],
    twin_chance=0.0, boarder_share=0.0,
)


def school_year_start(today: dt.date) -> int:
    """The calendar year a school year began in: from August on, this year's."""
    return today.year if today.month >= 8 else today.year - 1


# ------------------------------------------------------------------ building


def build_demo(stdout=None) -> dict:
    """Create (or find) the demo schools; returns what later steps and the printout need."""

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message)

    rng = random.Random(DEMO_SEED)
    phones = _Phones(rng)
    now = timezone.now()
    year = school_year_start(timezone.localdate())
    # One hash for every demo login: hashing is deliberately slow, and the password is shared.
    demo_hash = make_password(DEMO_PASSWORD)

    with transaction.atomic():
        school, term = _build_school(MAIN, rng, phones, year=year, now=now, main=True)
        other, _ = _build_school(SMALL, rng, phones, year=year, now=now, main=False)
        officer = _user(DISTRICT_OFFICER.phone, DISTRICT_OFFICER.name)
        RoleAssignment.objects.get_or_create(user=officer, role=Role.DISTRICT_OFFICER,
                                             school=None, defaults={"district": DISTRICT,
                                                                    "title": "基础教育科"})
        # Demo logins always work with the printed password, even after someone changed it.
        User.objects.filter(phone__in=[login.phone for login in LOGINS]).update(
            password=demo_hash, is_active=True, must_change_password=False)
        # The family printed for trying /activate/: its letter counts as printed now, so the
        # code works (once, for the term's number of days) whenever the demo is seeded.
        example = activation_example(school)
        if example is not None:
            Guardian.objects.filter(pk=example.pk).update(
                letter_printed_at=now, activation_used_at=None,
                activation_expires_at=now + dt.timedelta(days=term.activation_valid_days))

    counts = {
        "students": Student.objects.filter(school=school).count(),
        "homerooms": Homeroom.objects.filter(school=school).count(),
        "staff": Staff.objects.filter(school=school).count(),
        "externals": Staff.objects.filter(school=school, is_external=True).count(),
        "guardians": Guardian.objects.filter(school=school).count(),
    }
    say(f"{school.name}：{counts['homerooms']} 个班，{counts['students']} 名学生，"
        f"{counts['guardians']} 名监护人，{counts['staff']} 名教职工"
        f"（其中校外教师 {counts['externals']} 名）；另有{other.name}。")
    return {
        "school": school,
        "other_school": other,
        "term": term,
        "password": DEMO_PASSWORD,
        "logins": list(LOGINS),
        "counts": counts,
    }


def _user(phone: str, name: str) -> User:
    user, _ = User.objects.get_or_create(phone=phone, defaults={
        "name": name, "password": make_password(None)})
    return user


def _build_school(spec: _SchoolSpec, rng: random.Random, phones: _Phones, *, year: int,
                  now: dt.datetime, main: bool) -> tuple[School, Term]:
    school, _ = School.objects.get_or_create(code=spec.code, defaults={
        "name": spec.name, "district": DISTRICT, "address": spec.address,
        "subsidy_per_period": 30})
    term = _build_term(school, year=year, now=now)
    grade, _ = Grade.objects.get_or_create(school=school, number=7, defaults={"name": "七年级"})

    staff_rows = _staff_rows(spec, rng, phones, main=main)
    _bulk(User, [User(phone=s["phone"], name=s["name"], password=make_password(None))
                 for s in staff_rows])
    users = dict(User.objects.filter(phone__in=[s["phone"] for s in staff_rows])
                 .values_list("phone", "pk"))
    _bulk(Staff, [Staff(school=school, user_id=users[s["phone"]], name=s["name"],
                        phone=s["phone"], subjects=s["subjects"], is_external=s["external"],
                        available_weekdays=s["weekdays"],
                        max_weekly_lessons=4 if s["external"] else 8) for s in staff_rows])
    staff = {s.phone: s for s in Staff.objects.filter(school=school)}
    heads = [s for s in staff_rows if s["homeroom"]]

    _bulk(Homeroom, [Homeroom(school=school, grade=grade, number=s["homeroom"],
                              head_teacher=staff[s["phone"]]) for s in heads])
    homerooms = {h.number: h for h in Homeroom.objects.filter(grade=grade)}

    students, guardians, links = _family_rows(spec, rng, phones, year=year, main=main)
    _bulk(Student, [Student(school=school, homeroom=homerooms[s["homeroom"]], **s["fields"])
                    for s in students])
    if main:
        guardian_user = _user(GUARDIAN.phone, GUARDIAN.name)
    _bulk(Guardian, [Guardian(school=school, **g) for g in guardians])
    if main:
        Guardian.objects.filter(school=school, phone=GUARDIAN.phone, user__isnull=True).update(
            user=guardian_user, activated_at=now)
    student_ids = dict(Student.objects.filter(school=school).values_list("student_no", "pk"))
    guardian_ids = dict(Guardian.objects.filter(school=school).values_list("phone", "pk"))
    _bulk(StudentGuardian, [
        StudentGuardian(student_id=student_ids[no], guardian_id=guardian_ids[phone],
                        relation=relation, is_primary=primary)
        for no, phone, relation, primary in links])

    for s in staff_rows:
        for role, title in s["roles"]:
            RoleAssignment.objects.get_or_create(
                user_id=users[s["phone"]], role=role, school=school, defaults={"title": title})
    return school, term


def _bulk(model, rows: list) -> None:
    model.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


def _build_term(school: School, *, year: int, now: dt.datetime) -> Term:
    name = f"{year}—{year + 1}学年第一学期"
    Term.objects.filter(school=school, is_current=True).exclude(name=name).update(
        is_current=False)
    term, _ = Term.objects.get_or_create(school=school, name=name, defaults={
        "start_date": dt.date(year, 9, 9),
        "end_date": dt.date(year + 1, 1, 22),
        "service_weekdays": [1, 2, 3, 4],
        "max_preferences": 3,
        "max_courses_per_student": 1,
        "service_content": SERVICE_CONTENT,
        "schedule_text": _schedule_text(),
        "safety_text": SAFETY_TEXT,
    })
    # The window is open whenever the demo is (re)built, so it can be tried at once.
    term.application_opens_at = now - dt.timedelta(days=1)
    term.application_closes_at = now + dt.timedelta(days=21)
    term.is_current = True
    term.save(update_fields=["application_opens_at", "application_closes_at", "is_current"])
    Period.objects.bulk_create(
        [Period(term=term, number=n, start_time=start, end_time=end, kind=kind)
         for n, start, end, kind in PERIODS], ignore_conflicts=True)
    return term


def _staff_rows(spec: _SchoolSpec, rng: random.Random, phones: _Phones, *,
                main: bool) -> list[dict]:
    """Every staff member as a dict: leadership, 班主任 of each homeroom, teachers, externals."""
    weekdays = [1, 2, 3, 4]
    rows: list[dict] = []

    def add(name, subjects, *, phone=None, homeroom=None, external=False, roles=(), days=None):
        rows.append({"name": name, "phone": phone or phones.new(), "subjects": subjects,
                     "homeroom": homeroom, "external": external, "roles": list(roles),
                     "weekdays": days or weekdays})

    def someone(male=None):
        male = rng.random() < 0.45 if male is None else male
        return _adult_name(rng, rng.choice(_SURNAMES), male)

    if main:
        add(PRINCIPAL.name, "语文", phone=PRINCIPAL.phone,
            roles=[(Role.PRINCIPAL, "领导小组组长")])
        add(COORDINATOR.name, "数学", phone=COORDINATOR.phone,
            roles=[(Role.COORDINATOR, "领导小组副组长")])
        add(someone(), "英语", roles=[(Role.COORDINATOR, "领导小组成员（教务处）")])
        add(someone(), "道德与法治", roles=[(Role.COORDINATOR, "领导小组成员（政教处）")])
        add(TUTOR.name, "美术", phone=TUTOR.phone)
        add(DUTY_TEACHER.name, "体育", phone=DUTY_TEACHER.phone,
            roles=[(Role.DUTY_TEACHER, "周一值日")])
    else:
        add(someone(), "语文", roles=[(Role.PRINCIPAL, "领导小组组长")])
        add(someone(), "数学", roles=[(Role.COORDINATOR, "领导小组副组长")])

    for number in range(1, len(spec.homeroom_sizes) + 1):
        if main and number == 1:
            add(HOMEROOM_TEACHER.name, "语文", phone=HOMEROOM_TEACHER.phone, homeroom=1)
        else:
            add(someone(), rng.choice(_HOMEROOM_SUBJECTS), homeroom=number)

    for i in range(spec.extra_teachers):
        subjects = rng.choice(_SUBJECTS)
        if rng.random() < 0.15:
            subjects += "、" + rng.choice([s for s in _SUBJECTS if s != subjects])
        roles = []
        if main and i < 3:  # three more duty teachers: one for each other service day
            roles = [(Role.DUTY_TEACHER, f"周{'二三四'[i]}值日")]
        add(someone(), subjects, roles=roles)

    for name, subject in spec.externals:
        days = sorted(rng.sample(weekdays, 2))
        if name:
            add(name, subject, phone=EXTERNAL.phone, external=True, days=days)
        else:
            add(someone(male=rng.random() < 0.6), subject, external=True, days=days)
    return rows


def _family_rows(spec: _SchoolSpec, rng: random.Random, phones: _Phones, *, year: int,
                 main: bool) -> tuple[list[dict], list[dict], list[tuple]]:
    """Students, their guardians and the links, with twins sharing one guardian's phone."""
    total = sum(spec.homeroom_sizes)
    children: list[dict] = []   # in family order; homerooms are dealt out afterwards
    guardians: list[dict] = []
    links: list[tuple] = []     # (student index, guardian phone, relation, is_primary)

    def guardian(name, phone, **extra):
        guardians.append({"name": name, "phone": phone,
                          "activation_code": _activation_code(rng), **extra})

    def family(surname, kids, primary=None):
        first = len(children)
        for gender, name in kids:
            children.append({"name": name, "gender": gender})
        if primary is None:
            relation = rng.choices(["母亲", "父亲", "奶奶", "爷爷"], [50, 36, 9, 5])[0]
            male = relation in ("父亲", "爷爷")
            name = _adult_name(rng, surname if male else rng.choice(_SURNAMES), male)
            primary = (name, phones.new(), relation)
        guardian(primary[0], primary[1])
        second = None
        if rng.random() < 0.3 and primary[2] in ("母亲", "父亲"):
            relation = "父亲" if primary[2] == "母亲" else "母亲"
            male = relation == "父亲"
            second = (_adult_name(rng, surname if male else rng.choice(_SURNAMES), male),
                      phones.new(), relation)
            guardian(second[0], second[1])
        for k in range(first, len(children)):
            links.append((k, primary[1], primary[2], True))
            if second:
                links.append((k, second[1], second[2], False))

    if main:
        family("张", [("F", TWINS[0]), ("M", TWINS[1])],
               primary=(GUARDIAN.name, GUARDIAN.phone, "母亲"))
    while len(children) < total:
        surname = rng.choice(_SURNAMES)
        if rng.random() < spec.twin_chance and total - len(children) >= 2:
            kids = [(g, _child_name(rng, surname, g)) for g in rng.choices("MF", k=2)]
            if kids[0][1] == kids[1][1]:
                kids[1] = (kids[1][0], kids[1][1] + "儿")
        else:
            gender = rng.choice("MF")
            kids = [(gender, _child_name(rng, surname, gender))]
        family(surname, kids)

    # Deal the children into homerooms: the demo twins stay together in 1 班, the rest are
    # shuffled, so other twins usually land in different homerooms, as schools tend to do.
    fixed = 2 if main else 0
    order = list(range(fixed, total))
    rng.shuffle(order)
    order = list(range(fixed)) + order
    boarders = set(rng.sample(range(total), round(total * spec.boarder_share)))
    students: list[dict] = []
    position = 0
    for number, size in enumerate(spec.homeroom_sizes, start=1):
        for seat in range(1, size + 1):
            index = order[position]
            position += 1
            child = children[index]
            child["student_no"] = f"{year}07{number:02d}{seat:02d}"
            students.append({"homeroom": number, "fields": {
                "student_no": child["student_no"], "name": child["name"],
                "gender": child["gender"], "is_boarder": index in boarders}})
    link_rows = [(children[k]["student_no"], phone, relation, primary)
                 for k, phone, relation, primary in links]
    return students, guardians, link_rows


# ------------------------------------------------------------------ the printout


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def format_logins(demo: dict) -> str:
    """The table of demo logins as ``seed_demo`` prints it (and README.md shows it)."""
    logins: list[Login] = demo["logins"]
    header = Login("手机号", "角色", "姓名", "说明")
    rows = [header, *logins]
    widths = [max(_width(getattr(r, f)) for r in rows) for f in ("phone", "role", "name")]
    lines = [f"演示账号（密码均为 {demo['password']}）：", ""]
    for r in rows:
        lines.append("  ".join([_pad(r.phone, widths[0]), _pad(r.role, widths[1]),
                                _pad(r.name, widths[2]), r.note]).rstrip())
    return "\n".join(lines)


def activation_example(school: School) -> Guardian | None:
    """A guardian who has not activated yet, to try /activate/ with."""
    return (Guardian.objects.filter(school=school, user__isnull=True)
            .order_by("student_links__student__student_no").first())
