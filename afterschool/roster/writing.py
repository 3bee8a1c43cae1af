"""Step 3: write validated rows all at once, with a handful of bulk queries whatever the size."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from ..models import Grade, Guardian, Homeroom, School, Staff, Student, StudentGuardian
from .columns import STUDENTS, SUMMARY_KEYS
from .labels import grade_name
from .validation import StaffRow, StudentRow


def _lock_school(school: School) -> None:
    """Two imports into one school wait for each other instead of racing on the same rows."""
    list(School.objects.select_for_update().filter(pk=school.pk).values_list("pk", flat=True))


@transaction.atomic
def _write_students(*, school: School, rows: list[StudentRow]) -> dict:
    """Create or update students, guardians, homerooms and links for validated rows.

    The file is the truth for the students it lists: their guardian links become exactly the
    guardians of their row (a file without 第二监护人 columns leaves second guardians alone),
    and a listed student who had left is 在读 again. Students not in the file are left as they
    are. ``validate_students`` checked every value against the model's rules, so the bulk
    queries here skip ``full_clean``.
    """
    _lock_school(school)
    summary = dict.fromkeys(SUMMARY_KEYS[STUDENTS], 0)

    grades = {g.number: g for g in Grade.objects.filter(school=school)}
    new_grades = [Grade(school=school, number=n, name=grade_name(n))
                  for n in sorted({r.grade for r in rows} - grades.keys())]
    grades.update((g.number, g) for g in Grade.objects.bulk_create(new_grades))

    homerooms = {(h.grade.number, h.number): h
                 for h in Homeroom.objects.filter(school=school).select_related("grade")}
    new_homerooms = [Homeroom(school=school, grade=grades[g], number=n)
                     for g, n in sorted({(r.grade, r.homeroom) for r in rows} - homerooms.keys())]
    homerooms.update(((h.grade.number, h.number), h)
                     for h in Homeroom.objects.bulk_create(new_homerooms))
    summary["homerooms_created"] = len(new_homerooms)

    guardians = {g.phone: g for g in Guardian.objects.filter(school=school)
                 .only("pk", "school_id", "phone", "name")}
    new_guardians: dict[str, Guardian] = {}
    renamed: dict[str, Guardian] = {}
    for row in rows:
        for entry in row.guardians:
            guardian = guardians.get(entry.phone)
            if guardian is None:
                new_guardians.setdefault(entry.phone, Guardian(school=school, name=entry.name,
                                                               phone=entry.phone))
            elif guardian.name != entry.name:
                guardian.name = entry.name
                renamed[entry.phone] = guardian
    Guardian.objects.bulk_create(new_guardians.values(), batch_size=500)
    Guardian.objects.bulk_update(renamed.values(), ["name"], batch_size=500)
    guardians.update(new_guardians)
    summary["guardians_created"] = len(new_guardians)

    existing = {s.student_no: s for s in Student.objects.filter(school=school)}
    created, changed, students = [], [], []
    for row in rows:
        wanted = {"name": row.name, "homeroom_id": homerooms[(row.grade, row.homeroom)].pk,
                  "is_active": True}
        if row.gender is not None:
            wanted["gender"] = row.gender
        if row.is_boarder is not None:
            wanted["is_boarder"] = row.is_boarder
        student = existing.get(row.student_no)
        if student is None:
            student = Student(school=school, student_no=row.student_no, **wanted)
            created.append(student)
        elif any(getattr(student, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(student, k, v)
            changed.append(student)
        students.append(student)
    Student.objects.bulk_create(created, batch_size=500)
    Student.objects.bulk_update(changed, ["name", "gender", "homeroom", "is_boarder", "is_active"],
                                batch_size=500)

    links: dict[int, dict[int, StudentGuardian]] = defaultdict(dict)
    for link in StudentGuardian.objects.filter(student__school=school):
        links[link.student_id][link.guardian_id] = link
    new_links, updated_links, removed_links = [], [], []
    touched = {s.pk for s in changed}
    for row, student in zip(rows, students, strict=True):
        current = links.get(student.pk, {})
        wanted_links = {guardians[e.phone].pk: e for e in row.guardians}
        for guardian_id, entry in wanted_links.items():
            link = current.get(guardian_id)
            relation = entry.relation
            if link is None:
                new_links.append(StudentGuardian(student=student, guardian_id=guardian_id,
                                                 relation=relation or "",
                                                 is_primary=entry.is_primary))
                touched.add(student.pk)
                continue
            relation = link.relation if relation is None else relation
            if (link.relation, link.is_primary) != (relation, entry.is_primary):
                link.relation, link.is_primary = relation, entry.is_primary
                updated_links.append(link)
                touched.add(student.pk)
        for guardian_id, link in current.items():
            if guardian_id not in wanted_links and (link.is_primary or row.lists_second_guardian):
                removed_links.append(link.pk)
                touched.add(student.pk)
        if any(e.phone in renamed for e in row.guardians):
            touched.add(student.pk)
    StudentGuardian.objects.filter(pk__in=removed_links).delete()
    StudentGuardian.objects.bulk_update(updated_links, ["relation", "is_primary"], batch_size=500)
    StudentGuardian.objects.bulk_create(new_links, batch_size=500)

    created_ids = {s.pk for s in created}
    summary["students_created"] = len(created)
    summary["students_updated"] = len(touched - created_ids)
    summary["students_unchanged"] = len(rows) - len(created) - summary["students_updated"]
    return summary


@transaction.atomic
def _write_staff(*, school: School, rows: list[StaffRow]) -> dict:
    """Create or update staff by phone; a column the file lacks leaves that field alone.

    With a 班主任班级 column, the homerooms a listed person heads become exactly those named
    (a blank cell: none). New staff get no login here; 重置密码 on the staff page creates it.
    """
    _lock_school(school)
    existing = {s.phone: s for s in Staff.objects.filter(school=school)}
    created, changed, people = [], [], []
    for row in rows:
        wanted = {"name": row.name, "is_active": True}
        for key, value in (("subjects", row.subjects), ("is_external", row.is_external),
                           ("available_weekdays", row.weekdays)):
            if value is not None:
                wanted[key] = value
        person = existing.get(row.phone)
        if person is None:
            person = Staff(school=school, phone=row.phone, **wanted)
            created.append(person)
        elif any(getattr(person, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(person, k, v)
            changed.append(person)
        people.append(person)
    Staff.objects.bulk_create(created, batch_size=500)
    Staff.objects.bulk_update(changed, ["name", "is_active", "subjects", "is_external",
                                        "available_weekdays"], batch_size=500)
    touched = {p.pk for p in changed}

    managed = [(row, person) for row, person in zip(rows, people, strict=True)
               if row.homerooms is not None]
    if managed:
        homerooms = {(h.grade.number, h.number): h
                     for h in Homeroom.objects.filter(school=school).select_related("grade")}
        head = {h.pk: h.head_teacher_id for h in homerooms.values()}
        listed = {person.pk for _, person in managed}
        # First release what listed people head, then assign what the file says: a homeroom
        # handed from one listed teacher to another ends with the new one in any row order.
        for homeroom in homerooms.values():
            if homeroom.head_teacher_id in listed:
                head[homeroom.pk] = None
        for row, person in managed:
            for key in row.homerooms:
                if key in homerooms:  # validated; missing only if deleted meanwhile
                    head[homerooms[key].pk] = person.pk
        moved = []
        for homeroom in homerooms.values():
            if head[homeroom.pk] != homeroom.head_teacher_id:
                touched.update({homeroom.head_teacher_id, head[homeroom.pk]} & listed)
                homeroom.head_teacher_id = head[homeroom.pk]
                moved.append(homeroom)
        Homeroom.objects.bulk_update(moved, ["head_teacher"], batch_size=500)

    created_ids = {p.pk for p in created}
    updated = len(touched - created_ids)
    return {"staff_created": len(created), "staff_updated": updated,
            "staff_unchanged": len(rows) - len(created) - updated}
