"""Random arrangement instances shaped like the examples in ``tests/arrangement/data/examples``.

Grades with homerooms of about 45, Monday–Thursday service with some partial attendance,
sections of 25 with one or two ``DAY-PERIOD`` slots, and Zipf-ish course popularity so that the
popular courses are oversubscribed and capacity binds.
"""

from __future__ import annotations

import random

DAYS = ("mon", "tue", "wed", "thu")
GRADE_BANDS = ((1, 2), (1, 3), (3, 4), (4, 6), (5, 6), (1, 6), (2, 5))


def generate(
    *,
    students: int,
    sections: int,
    prefs: int = 3,
    k: int = 1,
    grades: int = 6,
    seed: int = 1,
) -> dict:
    """Return an instance dict in the exchange format."""
    rng = random.Random(seed)
    n_courses = max(3, sections // 4)
    # Popularity ~ 1/rank: a few courses everyone wants, a long tail nobody fills.
    popularity = [1.0 / (i + 1) for i in range(n_courses)]
    rng.shuffle(popularity)
    # Sections per course ~ sqrt(popularity): schools open more sections for popular courses,
    # but not enough of them.
    weight = [p**0.5 for p in popularity]
    per_course = [1] * n_courses
    total_weight = sum(weight)
    for _ in range(sections - n_courses):
        pick = rng.random() * total_weight
        for i, w in enumerate(weight):
            pick -= w
            if pick <= 0:
                per_course[i] += 1
                break
    courses = []
    for i in range(n_courses):
        lo, hi = rng.choice(GRADE_BANDS)
        scale = grades / 6
        band = list(range(max(1, round(lo * scale)), max(1, round(hi * scale)) + 1))
        course_sections = []
        for j in range(per_course[i]):
            day = DAYS[(i + j) % len(DAYS)] if j else rng.choice(DAYS)
            slots = [f"{day}-{rng.randint(1, 3)}"]
            if rng.random() < 0.2:
                other = rng.choice([d for d in DAYS if d != day])
                slots.append(f"{other}-{rng.randint(1, 3)}")
            course_sections.append(
                {"id": f"C{i + 1:03d}-{j + 1}", "capacity": 25, "slots": slots}
            )
        courses.append({"id": f"C{i + 1:03d}", "grades": band, "sections": course_sections})

    eligible = {
        g: [i for i, c in enumerate(courses) if g in c["grades"]] for g in range(1, grades + 1)
    }
    student_rows = []
    per_homeroom = 45
    for s in range(students):
        grade = 1 + s * grades // students
        homeroom = f"{grade}-{(s % (students // grades or 1)) // per_homeroom + 1:02d}"
        if rng.random() < 0.85:
            days = list(DAYS)
        else:
            days = sorted(rng.sample(DAYS, rng.randint(1, 3)), key=DAYS.index)
        pool = eligible[grade] or list(range(n_courses))
        wanted = prefs if rng.random() < 0.9 else rng.randint(0, prefs)
        chosen: list[int] = []
        while len(chosen) < min(wanted, len(pool)):
            # 3% of choices ignore the grade band, as guardians sometimes do.
            if rng.random() < 0.03:
                i = rng.randrange(n_courses)
            else:
                i = rng.choices(pool, weights=[popularity[j] for j in pool])[0]
            if i not in chosen:
                chosen.append(i)
        student_rows.append(
            {
                "id": f"S{s + 1:05d}",
                "grade": grade,
                "homeroom": homeroom,
                "days": days,
                "preferences": [courses[i]["id"] for i in chosen],
            }
        )
    return {
        "format": "afterschool-arrangement/1",
        "seed": seed,
        "max_courses_per_student": k,
        "courses": courses,
        "students": student_rows,
    }
