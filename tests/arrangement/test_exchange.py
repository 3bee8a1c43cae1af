"""The exchange-format side of the arrangement: a term as an instance, explanations."""

from arrangement import solver
from arrangement.exchange import explanations, term_instance, unplaced_text
from courses.models import Course

from .factories import make_application, make_course, small_term


def test_term_instance_is_the_exchange_format(world):
    st = small_term(world, n_students=4, capacity=2)
    world.term.max_courses_per_student = 2
    world.term.save()
    closed = make_course(world.term, "舞狮", grades=[st.grade])
    closed.is_active = False
    closed.save()
    per_homeroom = make_course(world.term, "班级合唱", grades=[st.grade],
                               mode=Course.Mode.HOMEROOM)
    # Only Tuesday and Thursday; preferences: closed course first, then robotics.
    app = st.applications[0]
    app.weekdays = [4, 2]
    app.save()
    app.preferences.all().delete()
    app.preferences.create(rank=1, course=closed)
    app.preferences.create(rank=2, course=st.courses["robotics"])
    app.preferences.create(rank=3, course=per_homeroom)

    data = term_instance(world.term, seed=42)
    assert data["format"] == "afterschool-arrangement/1"
    assert data["seed"] == 42 and data["max_courses_per_student"] == 2
    courses = {c["id"]: c for c in data["courses"]}
    basketball = courses[str(st.courses["basketball"].pk)]
    assert basketball["name"] == "篮球" and basketball["grades"] == [7]
    section = st.courses["basketball"].sections.get()
    assert basketball["sections"] == [{"id": str(section.pk), "name": "1班", "capacity": 2,
                                       "slots": ["tue-2"]}]
    # Not offered by the run, but kept so the ranks stay true.
    assert courses[str(closed.pk)]["sections"] == []
    assert courses[str(per_homeroom.pk)]["sections"] == []
    student = next(s for s in data["students"] if s["id"] == str(app.student_id))
    assert student["days"] == ["tue", "thu"]
    assert student["grade"] == 7 and student["homeroom"] == "7-1"
    assert student["preferences"] == [str(closed.pk), str(st.courses["robotics"].pk),
                                      str(per_homeroom.pk)]
    parsed = solver.parse_instance(data)  # the solver accepts it as it is
    assert len(parsed.students) == 4


def test_only_approved_participating_applications_are_arranged(world):
    st = small_term(world, n_students=3)
    from tests import factories

    declined = factories.StudentFactory(school=world.school, homeroom=world.homeroom)
    make_application(world.term, declined, participates=False)
    pending = factories.StudentFactory(school=world.school, homeroom=world.homeroom)
    make_application(world.term, pending, status="class_approved")
    ids = {s["id"] for s in term_instance(world.term, seed=1)["students"]}
    assert ids == {str(s.pk) for s in st.students}


def test_explanations_use_course_names(world):
    small_term(world, n_students=7, capacity=2)
    parsed = solver.parse_instance(term_instance(world.term, seed=3))
    placed, unplaced = explanations(parsed, solver.solve(parsed))
    texts = set(placed.values())
    assert texts == {"已安排第一志愿篮球", "第一志愿篮球已满，已安排第二志愿书法",
                     "第一志愿篮球已满，第二志愿书法已满，已安排第三志愿机器人"}
    assert set(unplaced.values()) == {"所报课程已满，暂未安排，可联系课后服务办公室"}


def test_unplaced_text_for_guardians():
    assert unplaced_text("full", "所有志愿课程已满") == "所报课程已满，暂未安排，可联系课后服务办公室"
    assert unplaced_text("no_preferences", "未填写志愿").startswith("未填写志愿课程")
    assert unplaced_text("days", "所报课程的上课日与孩子参加的日期不符") == (
        "所报课程的上课日与孩子参加的日期不符，暂未安排，可联系课后服务办公室")
