"""Forms of attendance: the calendar entry, a substitution, a correction (leave forms follow)."""

from __future__ import annotations

from django import forms

from afterschool.models import WEEKDAY_LABELS

from .models import AttendanceRecord, CalendarDay

WEEKDAY_CHOICES = [("", "—")] + [(i + 1, f"按{label}上课") for i, label in
                                 enumerate(WEEKDAY_LABELS)]


class CalendarDayForm(forms.Form):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date",
                                                                      "class": "form-control"}))
    kind = forms.ChoiceField(label="类型", choices=CalendarDay.Kind.choices,
                             widget=forms.Select(attrs={"class": "form-select"}))
    runs_as_weekday = forms.TypedChoiceField(
        label="调休：按星期几上课", choices=WEEKDAY_CHOICES, coerce=int, empty_value=None,
        required=False, widget=forms.Select(attrs={"class": "form-select"}))
    grade = forms.ModelChoiceField(label="只针对年级（暂停服务时可选）", queryset=None,
                                   required=False, empty_label="全校",
                                   widget=forms.Select(attrs={"class": "form-select"}))
    reason = forms.CharField(label="说明", max_length=200, required=False,
                             error_messages={"max_length": "最多 200 个字"},
                             widget=forms.TextInput(attrs={"class": "form-control",
                                                           "placeholder": "如：国庆节、期中考试"}))

    def __init__(self, *args, grades=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].queryset = grades


class SubstitutionForm(forms.Form):
    tutor = forms.ModelChoiceField(label="原辅导教师", queryset=None, required=False,
                                   widget=forms.Select(attrs={"class": "form-select"}))
    substitute = forms.ModelChoiceField(label="代课教师", queryset=None,
                                        widget=forms.Select(attrs={"class": "form-select"}))
    start_date = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control"}))
    end_date = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control"}))
    reason = forms.CharField(label="原因", max_length=200, required=False,
                             error_messages={"max_length": "最多 200 个字"},
                             widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args, staff=None, single_lesson=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tutor"].queryset = staff
        self.fields["substitute"].queryset = staff
        self.single_lesson = single_lesson

    def clean(self):
        data = super().clean()
        if not self.single_lesson:
            for name in ("tutor", "start_date", "end_date"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, "请填写此项。")
        return data


class CorrectionForm(forms.Form):
    new_status = forms.ChoiceField(label="更正为", choices=AttendanceRecord.Status.choices,
                                   widget=forms.Select(attrs={"class": "form-select"}))
    reason = forms.CharField(label="更正原因", max_length=200,
                             error_messages={"required": "更正点名须填写原因。",
                                             "max_length": "最多 200 个字"},
                             widget=forms.TextInput(attrs={"class": "form-control"}))
