"""The demo catalog: about 30 走班 courses with staffed sections.

A demo step (``afterschool.demo.register_demo_step``, joined in ``CoursesConfig.ready``). For
each demo school's current term it:

1. creates the catalog through the catalog services, as the school's office would: the four
   categories of the reports (艺术素养、语言素养、操作技巧、体育技能) plus 名师课堂 and 培优辅潜,
   all 走班, and the two fixed items everybody attends (周一阅读写字 in each homeroom, 作业辅导);
2. gives each course one section of 25 (a second one for the most wanted), at a weekday and
   period its venue, its external instructor and the teachers of its subject are free — clubs
   meet Tuesday to Thursday in the course periods and on Monday after 阅读写字;
3. staffs the sections: each homeroom's 班主任 takes its 阅读写字, then ``courses.staffing``
   proposes the rest and ``staffing_apply`` adds them with the usual clash checks.

How many second sections it opens depends on how many children take part: a step that made
the forms before this one says so in ``demo["participants"]`` (term id → count); without it,
the catalog expects :data:`EXPECTED_SHARE` of the school's students. The families' choices are
the arrangement's demo step (``arrangement.demo``), which needs both the forms and the catalog.

Idempotent: a term that already has courses keeps its catalog. Deterministic: fixed seeds, rows
read in a fixed order.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass

from afterschool import demo as core_demo
from afterschool.access import Actor, actor_for
from afterschool.models import Period, Role, RoleAssignment, School, Staff, Term
from afterschool.norms import STUDENTS_PER_TUTOR
from afterschool.selectors import current_term

from . import services as catalog_services
from . import staffing
from .exceptions import CatalogError
from .models import Course, Section
from .selectors import staffing_input

SEED = 20260911
# A popular course gets a second section when its expected first choices reach this many
# sections' worth: even with two it stays over-subscribed.
SECOND_SECTION_AT = 3
MAX_SECTIONS = 2
# A school smaller than this offers only the courses marked ``small``.
SMALL_SCHOOL = 300
# The share of students expected to take part when no step said how many do.
EXPECTED_SHARE = 0.4

InstructorKind = Course.InstructorKind
ART, LANGUAGE, HANDS_ON, SPORT = "艺术素养", "语言素养", "操作技巧", "体育技能"
MASTER, ENRICH = "名师课堂", "培优辅潜"


@dataclass(frozen=True)
class CourseSpec:
    name: str
    category: str
    description: str
    weight: int                       # how wanted: drives first choices and second sections
    venues: tuple[str, ...]
    kind: str = InstructorKind.ANY
    subject: str = ""                 # kept only when the school has a teacher of it
    min_size: int = 0
    twice: bool = False               # meets on two days a week
    small: bool = False               # also in a small school's catalog


COURSES: list[CourseSpec] = [
    # 艺术素养
    CourseSpec("萨克斯", ART, "从吹奏姿势、呼吸和指法学起，一学期能合奏一两首简单的乐曲。",
               6, ("音乐教室",), InstructorKind.EXTERNAL, "萨克斯", min_size=8),
    CourseSpec("剪纸·过门笺", ART, "跟民间艺人学莒县传统过门笺的折、剪、刻，春节前贴上自家门楣。",
               3, ("美术室2",), InstructorKind.EXTERNAL, "剪纸（过门笺）"),
    CourseSpec("书法", ART, "以楷书为主，练习执笔、笔画和间架结构，写好一手规范字。",
               3, ("书法教室",), InstructorKind.EXTERNAL, "书法"),
    CourseSpec("合唱", ART, "学习科学发声和多声部配合，排练曲目参加学校艺术节合唱比赛。",
               3, ("合唱室",), InstructorKind.INTERNAL, "音乐"),
    CourseSpec("素描与水彩", ART, "从线条、明暗到色彩，写生静物、校园和家乡风景。",
               4, ("美术室1",), InstructorKind.INTERNAL, "美术", small=True),
    CourseSpec("舞蹈", ART, "以民族民间舞和校园集体舞为主，锻炼形体、节奏感和表现力。",
               5, ("舞蹈房",)),
    CourseSpec("陶艺", ART, "用泥条、泥板捏塑小器物，了解陶瓷文化并烧制自己的作品。",
               3, ("陶艺室",)),
    # 语言素养
    CourseSpec("大阅读", LANGUAGE, "每周共读一本好书的几个章节，做读书笔记、开读书交流会。",
               3, ("图书馆阅览室",), InstructorKind.INTERNAL, "语文", small=True),
    CourseSpec("英语模仿秀", LANGUAGE, "模仿经典影视片段和英文歌曲的语音语调，期末登台配音表演。",
               5, ("语音室",), InstructorKind.INTERNAL, "英语", small=True),
    CourseSpec("经典诵读", LANGUAGE, "诵读《论语》和唐诗宋词名篇，练习朗诵的停连、重音和节奏。",
               2, ("录播教室",), InstructorKind.INTERNAL, "语文"),
    CourseSpec("校园小记者", LANGUAGE, "学习采访和写消息、通讯，为校刊和学校公众号供稿。",
               2, ("校刊编辑部",), InstructorKind.INTERNAL, "语文"),
    CourseSpec("演讲与主持", LANGUAGE, "练习即兴演讲和活动主持，敢于当众表达、说得有条理。",
               2, ("多功能厅",)),
    # 操作技巧
    CourseSpec("机器人", HANDS_ON, "搭建并编程控制机器人完成巡线、搬运等任务，备战青少年机器人竞赛。",
               14, ("机器人实验室",), InstructorKind.EXTERNAL, "机器人", min_size=10),
    CourseSpec("科学小探秘", HANDS_ON, "动手做有趣的物理、化学、生物小实验，学会提出问题、记录观察。",
               6, ("科学实验室",), InstructorKind.INTERNAL, "生物", small=True),
    CourseSpec("3D打印", HANDS_ON, "学用三维建模软件，设计并打印自己的钥匙扣、笔筒等小作品。",
               10, ("创客教室",), InstructorKind.EXTERNAL, "3D打印", min_size=8),
    CourseSpec("趣味编程", HANDS_ON, "用图形化编程和 Python 做小游戏、小动画，培养计算思维。",
               8, ("计算机教室1", "计算机教室2"), InstructorKind.INTERNAL, "信息技术"),
    CourseSpec("航模", HANDS_ON, "制作并放飞橡筋动力飞机和遥控模型，了解飞行的原理。",
               5, ("科技活动室",)),
    CourseSpec("植物栽培", HANDS_ON, "在校园种植园种蔬菜和花卉，观察记录一株植物的一生。",
               2, ("校园种植园",), InstructorKind.INTERNAL, "生物"),
    CourseSpec("天文与地理观测", HANDS_ON, "认识星空和地图，用望远镜观测月相，动手制作简易地球仪。",
               2, ("地理教室",), InstructorKind.INTERNAL, "地理"),
    # 体育技能
    CourseSpec("篮球", SPORT, "练习运球、传球、投篮等基本功和简单战术，组建年级篮球队。",
               16, ("篮球场",), InstructorKind.EXTERNAL, "篮球", twice=True),
    CourseSpec("舞狮", SPORT, "学习传统舞狮的步法、造型和锣鼓配合，在校园艺术节上表演。",
               4, ("体育馆",), InstructorKind.EXTERNAL, "舞狮", min_size=12, small=True),
    CourseSpec("足球", SPORT, "以脚下技术和小场地比赛为主，在对抗中学会团队配合。",
               11, ("足球场",), InstructorKind.EXTERNAL, "足球", twice=True),
    CourseSpec("乒乓球", SPORT, "从握拍、发球到正反手攻球，每周进行小组对抗赛。",
               9, ("乒乓球室",), InstructorKind.INTERNAL, "体育", small=True),
    CourseSpec("羽毛球", SPORT, "学习握拍、步法和高远球、吊球，进行单打和双打练习。",
               6, ("羽毛球馆",), InstructorKind.INTERNAL, "体育"),
    CourseSpec("花样跳绳", SPORT, "学习单摇、双摇、交叉跳和集体长绳，参加全县跳绳比赛。",
               3, ("操场",), InstructorKind.INTERNAL, "体育", small=True),
    CourseSpec("围棋", SPORT, "学习围棋规则、死活和布局，提高专注力和计算能力。",
               3, ("棋艺室",)),
    # 名师课堂
    CourseSpec("名师课堂·数学思维", MASTER, "由数学骨干教师讲趣味数学和思维方法，重在思路，不讲新课、不考试。",
               4, ("阶梯教室",), InstructorKind.INTERNAL, "数学"),
    CourseSpec("名师课堂·走进古诗词", MASTER, "由语文名师带领品读古诗词背后的故事，积累经典名句。",
               2, ("阶梯教室",), InstructorKind.INTERNAL, "语文"),
    # 培优辅潜
    CourseSpec("培优辅潜·数学拓展", ENRICH, "面向学有余力的学生，一题多解、拓展思路，不超前讲课。",
               3, ("培优教室1",), InstructorKind.INTERNAL, "数学"),
    CourseSpec("培优辅潜·英语巩固", ENRICH, "面向英语基础薄弱的学生，巩固词汇、语音和书写习惯，不讲新课。",
               2, ("培优教室2",), InstructorKind.INTERNAL, "英语"),
]

READING = CourseSpec(
    "阅读写字", "阅读写字", "每周一全体学生在本班教室读整本书、练规范字，由班主任和一名任课教师辅导。",
    0, (), InstructorKind.INTERNAL)
HOMEWORK = CourseSpec(
    "作业辅导", "作业辅导", "每个服务日第一节由任课教师在本班辅导完成书面作业、答疑解惑，不讲新课、不组织考试。",
    0, (), InstructorKind.INTERNAL)

_SECTION_NAMES = ("一班", "二班")


# ------------------------------------------------------------------ the step


def courses_demo(demo: dict, stdout=None) -> None:
    """The demo step (``afterschool.demo.register_demo_step``)."""
    for school in (demo.get("school"), demo.get("other_school")):
        if school is None:
            continue
        term = current_term(school)
        if term is None:
            continue
        catalog = build_demo_catalog(
            term=term, participants=demo.get("participants", {}).get(term.pk))
        if stdout is not None and catalog:
            stdout.write(f"{school.name}：已建立 {catalog['courses']} 门课程（其中全员固定项目 "
                         f"{catalog['fixed']} 项）、{catalog['sections']} 个教学班，配备辅导教师 "
                         f"{catalog['tutors']} 人次" + (f"，{catalog['unstaffed']} 个教学班缺辅导教师"
                                                   if catalog["unstaffed"] else "") + "。")


def _office(school: School) -> Actor:
    assignment = (RoleAssignment.objects.filter(school=school, role=Role.COORDINATOR)
                  .select_related("user").order_by("pk").first())
    if assignment is not None:
        return actor_for(assignment.user, school)
    return Actor(user=None, school=school, roles=frozenset({Role.COORDINATOR}))


# ------------------------------------------------------------------ the catalog


def build_demo_catalog(*, term: Term, participants: int | None = None,
                       seed: int = SEED) -> dict | None:
    """Courses, sections and tutors for a term without courses; None when it has some.

    ``participants``: how many children are expected to choose (sizes the popular courses).
    """
    if Course.objects.filter(term=term).exists():
        return None
    school = term.school
    # Seeded by the school code, not its id: ids depend on what the database made before.
    rng = random.Random(f"{seed}:{school.code}")
    office = _office(school)
    grades = list(school.grades.order_by("number"))
    periods = sorted(term.periods.all(), key=lambda p: p.number)
    course_periods = [p for p in periods if p.kind == Period.Kind.COURSE] or periods[1:] or periods
    staff = list(Staff.objects.filter(school=school, is_active=True).order_by("pk"))
    students = school.students.filter(is_active=True).count()
    small = students < SMALL_SCHOOL

    # 周一阅读写字: every homeroom in its own classroom, in Monday's first course period.
    monday = 1 in (term.service_weekdays or [])
    reading_period = course_periods[0] if course_periods else None
    fixed = []
    for spec in (READING, HOMEWORK):
        fixed.append(catalog_services.course_create(
            actor=office, term=term, name=spec.name, category=spec.category, grades=grades,
            mode=Course.Mode.HOMEROOM, description=spec.description, instructor_kind=spec.kind,
            is_fixed=True))
    if monday and reading_period is not None and grades:
        reading = catalog_services.course_generate_homeroom_sections(
            actor=office, course=fixed[0], slots=[(1, reading_period)])
        heads = {s.pk: s for s in staff if not s.is_external}
        for section in reading:
            head = heads.get(section.homeroom.head_teacher_id)
            if head is not None and 1 in (head.available_weekdays or []):
                try:
                    catalog_services.section_set_tutors(actor=office, section=section,
                                                        tutors=[head])
                except CatalogError:
                    pass

    # The clubs: free slots are every course period, Monday's only after 阅读写字.
    slots = [(day, p.number) for day in sorted(term.service_weekdays or [])
             for p in course_periods
             if not (monday and day == 1 and p == reading_period)]
    specs = [s for s in COURSES if s.small or not small]
    subjects = Counter(staffing.normalise_subject(subject) for s in staff if not s.is_external
                       for subject in s.subject_list)
    externals = [s for s in staff if s.is_external]
    participating = round(students * EXPECTED_SHARE) if participants is None else participants
    wanted = _first_choice_shares(specs)
    plan = _plan_sections(specs, slots=slots, subjects=subjects, externals=externals,
                          participating=participating, wanted=wanted, rng=rng)

    by_number = {p.number: p for p in periods}
    courses = 0
    for spec, sections in plan:
        if not sections:
            continue
        subject = spec.subject
        if (spec.kind != InstructorKind.EXTERNAL
                and staffing.normalise_subject(subject) not in subjects):
            subject = ""
        course = catalog_services.course_create(
            actor=office, term=term, name=spec.name, category=spec.category, grades=grades,
            mode=Course.Mode.MIXED, description=spec.description, min_size=spec.min_size,
            instructor_subject=subject, instructor_kind=spec.kind)
        courses += 1
        for name, venue, section_slots in sections:
            catalog_services.section_create(
                actor=office, course=course, name=name, capacity=STUDENTS_PER_TUTOR, venue=venue,
                slots=[(day, by_number[number]) for day, number in section_slots])

    # The printed tutor login (赵明, 美术) teaches a club of their subject; everyone else
    # through the staffing proposal, applied as the office would.
    _demo_tutor_takes_a_club(office=office, term=term)
    data = staffing_input(term)
    result = staffing.assign_tutors(data.units, data.tutors, seed=seed, time_limit=10)
    additions = [(sid, tid) for sid, added in result.added.items() for tid in added]
    if additions:
        catalog_services.staffing_apply(actor=office, term=term, additions=additions)
    sections = Section.objects.filter(course__term=term)
    return {
        "courses": courses + len(fixed),
        "fixed": len(fixed),
        "sections": sections.count(),
        "tutors": Section.tutors.through.objects.filter(section__course__term=term).count(),
        "unstaffed": len(result.unstaffed),
    }


def _demo_tutor_takes_a_club(*, office: Actor, term: Term) -> None:
    tutor = Staff.objects.filter(school=term.school, phone=core_demo.TUTOR.phone,
                                 is_external=False, is_active=True).first()
    if tutor is None:
        return
    mine = {staffing.normalise_subject(s) for s in tutor.subject_list}
    for section in (Section.objects.filter(course__term=term, course__mode=Course.Mode.MIXED,
                                           course__is_fixed=False, tutors__isnull=True)
                    .exclude(course__instructor_kind=InstructorKind.EXTERNAL)
                    .select_related("course").order_by("course__name", "name")):
        if staffing.normalise_subject(section.course.instructor_subject) in mine:
            try:
                catalog_services.section_set_tutors(actor=office, section=section,
                                                    tutors=[tutor])
            except CatalogError:
                continue
            return


def _first_choice_shares(specs: list[CourseSpec]) -> dict[str, float]:
    """Roughly the share of first choices each course gets (see ``_rank``)."""
    total = sum(s.weight ** 2 for s in specs) or 1
    return {s.name: s.weight ** 2 / total for s in specs}


def _plan_sections(specs, *, slots, subjects, externals, participating, wanted, rng):
    """[(spec, [(section name, venue, ((weekday, period number), ...)), ...]), ...].

    Each section gets a venue and the slots at which nothing already planned holds that venue,
    the course's external instructor is free (on their days, under their weekly maximum) and a
    teacher of the course's subject is left; among those, the least busy slots, other days
    than the course's first section. A section nowhere possible is left out.
    """
    venue_busy: set[tuple[str, tuple[int, int]]] = set()
    slot_use: Counter = Counter()
    subject_use: Counter = Counter()
    external_busy: dict[int, set] = defaultdict(set)
    external_load: Counter = Counter()

    def count(spec: CourseSpec) -> int:
        expected = participating * wanted[spec.name]
        return max(1, min(MAX_SECTIONS, math.floor(expected / (STUDENTS_PER_TUTOR * SECOND_SECTION_AT))
                          + 1))

    def options(spec: CourseSpec) -> list[tuple[tuple[int, int], ...]]:
        if not spec.twice:
            return [(s,) for s in slots]
        return [(a, b) for a in slots for b in slots if a[1] == b[1] and a[0] < b[0]]

    # Most constrained first: external instructors, then subject teachers, then the rest.
    order = sorted(specs,
                   key=lambda s: (s.kind != InstructorKind.EXTERNAL, not s.subject, -s.weight))
    planned: dict[str, list] = {}
    for spec in order:
        subject = staffing.normalise_subject(spec.subject)
        teachers = subjects.get(subject, 0) if spec.kind != InstructorKind.EXTERNAL else 0
        instructors = [t for t in externals
                       if subject in {staffing.normalise_subject(x) for x in t.subject_list}]
        if spec.kind == InstructorKind.EXTERNAL and not instructors:
            planned[spec.name] = []
            continue
        sections, days_taken = [], set()
        for index in range(count(spec)):
            best = None
            for option in options(spec):
                days = {d for d, _ in option}
                instructor = None
                if spec.kind == InstructorKind.EXTERNAL:
                    instructor = next(
                        (t for t in instructors
                         if days <= set(t.available_weekdays or [])
                         and not external_busy[t.pk] & set(option)
                         and external_load[t.pk] + len(option) <= t.max_weekly_lessons), None)
                    if instructor is None:
                        continue
                elif teachers and any(subject_use[subject, s] >= teachers for s in option):
                    continue
                venue = next((v for v in spec.venues
                              if all((v, s) not in venue_busy for s in option)), None)
                if venue is None:
                    continue
                score = (len(days & days_taken), sum(slot_use[s] for s in option), rng.random())
                if best is None or score < best[0]:
                    best = (score, option, venue, instructor)
            if best is None:
                break
            _, option, venue, instructor = best
            for s in option:
                venue_busy.add((venue, s))
                slot_use[s] += 1
                if teachers:
                    subject_use[subject, s] += 1
            if instructor is not None:
                external_busy[instructor.pk].update(option)
                external_load[instructor.pk] += len(option)
            days_taken |= {d for d, _ in option}
            sections.append((_SECTION_NAMES[index], venue, option))
        planned[spec.name] = sections
    return [(spec, planned[spec.name]) for spec in specs]
