"""Forms of the catalog: they parse and present; the rules live in ``services/catalog.py``."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from afterschool.formatting import slot_label, weekday_label
from afterschool.models import Grade, Homeroom, Period, Staff, Term
from afterschool.norms import STUDENTS_PER_TUTOR
from afterschool.params import TEXT_TOO_LONG, parse_id

from .models import Course, Section
from .selectors import staff_for_course
from .services import validate_course_picture


class ModelIdsField(forms.ModelMultipleChoiceField):
    """Checkboxes of rows: a value that is not an id is a form error before any query.

    Django looks the values up with ``pk__in``, which on SQLite overflows (a 500) for a number
    too big for a key instead of finding nothing.
    """

    def _check_values(self, value):
        try:
            values = list(value)
        except TypeError:
            raise ValidationError(self.error_messages["invalid_list"],
                                  code="invalid_list") from None
        for pk in values:
            if parse_id(pk) is None:
                raise ValidationError(self.error_messages["invalid_pk_value"],
                                      code="invalid_pk_value", params={"pk": pk})
        return super()._check_values(values)


TEXT = {"max_length": TEXT_TOO_LONG}


class CourseForm(forms.ModelForm):
    description = forms.CharField(label="课程简介", required=False, max_length=1000,
                                  error_messages=TEXT, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Course
        fields = ["name", "category", "description", "picture", "grades", "mode", "min_size",
                  "instructor_subject", "instructor_kind", "is_fixed", "is_active"]
        field_classes = {"grades": ModelIdsField}
        error_messages = {"name": TEXT, "category": TEXT, "instructor_subject": TEXT}
        widgets = {
            "category": forms.TextInput(attrs={"list": "category-options",
                                               "autocomplete": "off"}),
            "picture": forms.ClearableFileInput(attrs={"accept": "image/*"}),
            "grades": forms.CheckboxSelectMultiple,
            "mode": forms.RadioSelect,
            "min_size": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
        }
        help_texts = {
            "category": "可从列表选择，也可输入本校自定义的类别",
            "min_size": "报名人数少于此数时提示“人数不足开班”；0 表示不限",
            "instructor_subject": "如“篮球”；留空表示不限学科",
            "is_fixed": "如周一的阅读写字、作业辅导：参加课后服务的学生都参加，家长无需填报志愿",
            "is_active": "取消勾选即停开：保留已有志愿，家长不再看到",
            "picture": "jpg、png、gif 或 webp，不超过 2 MB",
        }

    def __init__(self, *args, term: Term, **kwargs):
        super().__init__(*args, **kwargs)
        # The model's own checks (one name per term) need to know the term.
        self.instance.term = term
        self.instance.school_id = term.school_id
        self.fields["grades"].queryset = Grade.objects.filter(school_id=term.school_id)

    def clean_picture(self):
        picture = self.cleaned_data.get("picture")
        if isinstance(picture, UploadedFile):
            validate_course_picture(picture)
        return picture

    def service_kwargs(self) -> dict:
        """The cleaned data as the course services take it (``picture``: new/False/None)."""
        data = dict(self.cleaned_data)
        picture = data.get("picture")
        data["picture"] = picture if isinstance(picture, UploadedFile) or picture is False \
            else None
        data["grades"] = list(data["grades"])
        return data


class SlotField(forms.MultipleChoiceField):
    """Weekday × period checkboxes: values like ``2-17`` (ISO weekday, period id)."""

    def __init__(self, *, term: Term, **kwargs):
        self.term = term
        self.periods = list(Period.objects.filter(term=term).order_by("number"))
        self.weekdays = sorted(term.service_weekdays)
        choices = [(f"{d}-{p.pk}", slot_label(d, p.number))
                   for p in self.periods for d in self.weekdays]
        kwargs.setdefault("label", "上课时间")
        kwargs.setdefault("error_messages", {"required": "请至少选择一个上课时间。"})
        super().__init__(choices=choices, **kwargs)

    def to_slots(self, values) -> list[tuple[int, Period]]:
        by_pk = {p.pk: p for p in self.periods}
        slots = []
        for value in values:
            weekday, period_id = value.split("-")
            slots.append((int(weekday), by_pk[int(period_id)]))
        return slots


def slot_grid(form: forms.Form, name: str = "slots") -> dict:
    """The slot field as a table: a row per period, a checkbox per service day."""
    field = form.fields[name]
    bound = form[name]
    chosen = {str(v) for v in (bound.value() or [])}
    return {
        "name": bound.html_name,
        "weekdays": [weekday_label(d) for d in field.weekdays],
        "rows": [{
            "period": period,
            "cells": [{"value": f"{d}-{period.pk}", "checked": f"{d}-{period.pk}" in chosen,
                       "label": slot_label(d, period.number)}
                      for d in field.weekdays],
        } for period in field.periods],
        "errors": bound.errors,
    }


def slot_values(section: Section) -> list[str]:
    return [f"{s.weekday}-{s.period_id}" for s in section.slots.all()]


class TutorChoiceField(ModelIdsField):
    """Staff as checkboxes, each labelled with subjects and this term's weekly load."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, staff: Staff) -> str:
        details = "、".join(staff.subject_list)
        if staff.is_external:
            details = f"{details}·校外" if details else "校外"
        name = f"{staff.name}（{details}）" if details else staff.name
        return f"{name} · 每周 {staff.load}/{staff.max_weekly_lessons} 节"


def tutor_field(course: Course) -> TutorChoiceField:
    return TutorChoiceField(queryset=staff_for_course(course), required=False, label="辅导教师")


class SectionForm(forms.Form):
    name = forms.CharField(label="教学班名称", max_length=50, error_messages=TEXT,
                           help_text="如“1班”“周二班”")
    capacity = forms.IntegerField(label="容量", min_value=1, max_value=200,
                                  initial=STUDENTS_PER_TUTOR,
                                  help_text=f"一名辅导教师对应不超过 {STUDENTS_PER_TUTOR} 名学生",
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    venue = forms.CharField(label="上课地点", max_length=50, required=False, error_messages=TEXT,
                            help_text="同一时间一个地点只安排一个教学班")
    homeroom = forms.ModelChoiceField(label="所属班级", queryset=Homeroom.objects.none(),
                                      required=False, empty_label="（不属于某个班级）")

    def __init__(self, *args, course: Course, section: Section | None = None, **kwargs):
        if section is not None:
            kwargs["initial"] = {
                "name": section.name, "capacity": section.capacity, "venue": section.venue,
                "homeroom": section.homeroom_id, "slots": slot_values(section),
                "tutors": [t.pk for t in section.tutors.all()], **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.course = course
        self.fields["slots"] = SlotField(term=course.term)
        self.fields["tutors"] = tutor_field(course)
        if course.mode == Course.Mode.HOMEROOM:
            self.fields["homeroom"].queryset = (
                Homeroom.objects.filter(school_id=course.school_id, grade__in=course.grades.all())
                .select_related("grade"))
        else:
            del self.fields["homeroom"]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "capacity": data["capacity"], "venue": data["venue"],
                "homeroom": data.get("homeroom"), "tutors": list(data["tutors"]),
                "slots": self.fields["slots"].to_slots(data["slots"])}


class SectionTutorsForm(forms.Form):
    def __init__(self, *args, section: Section, **kwargs):
        kwargs["initial"] = {"tutors": [t.pk for t in section.tutors.all()],
                             **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.fields["tutors"] = tutor_field(section.course)


class GenerateSectionsForm(forms.Form):
    def __init__(self, *args, course: Course, **kwargs):
        first = course.sections.order_by("pk").first()
        if first is not None:
            kwargs["initial"] = {"slots": slot_values(first), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.fields["slots"] = SlotField(term=course.term)

    def slots(self):
        return self.fields["slots"].to_slots(self.cleaned_data["slots"])


class CatalogFilterForm(forms.Form):
    category = forms.ChoiceField(label="类别", required=False)
    grade = forms.ModelChoiceField(label="年级", queryset=Grade.objects.none(), required=False,
                                   empty_label="全部年级")

    def __init__(self, *args, categories: list[str], grades, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "全部类别"), *[(c, c) for c in categories]]
        self.fields["grade"].queryset = grades
