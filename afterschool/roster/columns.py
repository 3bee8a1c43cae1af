"""The two kinds of roster and their columns: headers, synonyms, and the template's example rows."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import ImportJob

STUDENTS = ImportJob.Kind.STUDENTS.value
STAFF = ImportJob.Kind.STAFF.value

@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the header the template and the export write
    synonyms: tuple[str, ...] = ()
    required: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.label, *self.synonyms)


STUDENT_COLUMNS = (
    Column("student_no", "学籍号", ("学号", "学生学籍号", "全国学籍号", "学籍编号"), required=True),
    Column("name", "姓名", ("学生姓名",), required=True),
    Column("gender", "性别", ("学生性别",)),
    Column("grade", "年级", ("所在年级",)),
    Column("homeroom", "班级", ("班别", "所在班级", "班级名称"), required=True),
    Column("boarding", "是否寄宿", ("寄宿", "是否住校", "住校", "寄宿生", "寄宿/走读", "走读/寄宿")),
    Column("guardian_name", "监护人姓名", ("家长姓名", "监护人", "家长", "第一监护人姓名", "监护人1姓名"),
           required=True),
    Column("guardian_phone", "监护人电话",
           ("家长电话", "联系电话", "手机号", "手机号码", "监护人手机号", "家长手机号", "监护人手机",
            "家长手机", "联系方式", "第一监护人电话", "监护人1电话"), required=True),
    Column("guardian_relation", "与学生关系",
           ("关系", "与学生的关系", "监护人关系", "第一监护人关系", "监护人1关系")),
    Column("guardian2_name", "第二监护人姓名", ("第二监护人", "监护人2姓名")),
    Column("guardian2_phone", "第二监护人电话", ("第二监护人手机号", "第二监护人手机", "监护人2电话")),
    Column("guardian2_relation", "第二监护人关系", ("第二监护人与学生关系", "监护人2关系")),
)

STAFF_COLUMNS = (
    Column("name", "姓名", ("教师姓名", "教职工姓名"), required=True),
    Column("phone", "手机号", ("电话", "联系电话", "手机号码", "手机"), required=True),
    Column("subjects", "任教学科", ("学科", "科目", "任教科目")),
    Column("is_external", "类别", ("是否校外", "校外教师", "是否校外教师", "教师类别")),
    Column("homerooms", "班主任班级", ("担任班主任班级", "任班主任班级")),
    Column("weekdays", "可服务日", ("可服务时间", "服务日")),
)

COLUMNS = {STUDENTS: STUDENT_COLUMNS, STAFF: STAFF_COLUMNS}

SUMMARY_LABELS = {
    "students_created": "新增学生",
    "students_updated": "更新学生",
    "students_unchanged": "未变学生",
    "guardians_created": "新增监护人",
    "homerooms_created": "新增班级",
    "staff_created": "新增教职工",
    "staff_updated": "更新教职工",
    "staff_unchanged": "未变教职工",
}
SUMMARY_KEYS = {
    STUDENTS: ("students_created", "students_updated", "students_unchanged",
               "guardians_created", "homerooms_created"),
    STAFF: ("staff_created", "staff_updated", "staff_unchanged"),
}

# The example row of the downloadable template; a file that still holds it is refused.
EXAMPLE_STUDENT = {"学籍号": "2024070301", "姓名": "张三", "性别": "男", "年级": "七年级",
                   "班级": "3班", "是否寄宿": "否", "监护人姓名": "张建国", "监护人电话": "13800138000",
                   "与学生关系": "父亲", "第二监护人姓名": "李秀英", "第二监护人电话": "13800138001",
                   "第二监护人关系": "母亲"}
EXAMPLE_STAFF = {"姓名": "王示例", "手机号": "13900139000", "任教学科": "语文、书法", "类别": "校内",
                 "班主任班级": "七年级3班", "可服务日": "周一、周三"}
