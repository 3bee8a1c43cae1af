"""The service's fixed norms, stated once for every app that applies them.

Plain constants with no Django import: ``courses.staffing`` (tutor assignment) reads them and
stays plain data in, plain data out.
"""

# 每 25 名学生配备 1 名辅导教师: a section's default capacity, the tutors a section or a
# homework group needs, and the largest homework group.
STUDENTS_PER_TUTOR = 25
