"""Forms of the surveys: a new survey, a question, reopening, the school's threshold.

The family's answer page is not a Django form: its fields are the survey's questions, read by
the view as ``q<question id>`` and checked by :func:`surveys.services.clean_answers`.
"""

from __future__ import annotations

from django import forms

from afterschool.params import TEXT_TOO_LONG

from .models import Question

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"},
                                      format="%Y-%m-%dT%H:%M")
INPUT = {"class": "form-control"}
SELECT = {"class": "form-select"}


class SurveyCreateForm(forms.Form):
    term = forms.ModelChoiceField(label="学期", queryset=None, empty_label=None,
                                  widget=forms.Select(attrs=SELECT))
    title = forms.CharField(label="调查名称", max_length=100,
                            error_messages={"max_length": TEXT_TOO_LONG},
                            widget=forms.TextInput(attrs=INPUT))
    closes_at = forms.DateTimeField(label="截止时间", widget=DATETIME_WIDGET,
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])

    def __init__(self, *args, terms=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = terms


class QuestionForm(forms.Form):
    text = forms.CharField(label="题目", max_length=200,
                           error_messages={"max_length": TEXT_TOO_LONG},
                           widget=forms.TextInput(attrs=INPUT))
    kind = forms.ChoiceField(label="题型", choices=Question.Kind.choices,
                             widget=forms.Select(attrs=SELECT))
    topic = forms.ChoiceField(label="内容", choices=Question.Topic.choices,
                              widget=forms.Select(attrs=SELECT))
    options = forms.CharField(label="选项（单选题，每行一个）", required=False, max_length=1100,
                              error_messages={"max_length": TEXT_TOO_LONG},
                              widget=forms.Textarea(attrs={**INPUT, "rows": 3}))
    required = forms.BooleanField(label="必答", required=False, initial=True,
                                  widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


class ReopenForm(forms.Form):
    closes_at = forms.DateTimeField(label="新的截止时间", widget=DATETIME_WIDGET,
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    comment = forms.CharField(label="重新开放的原因", max_length=200,
                              error_messages={"max_length": TEXT_TOO_LONG},
                              widget=forms.TextInput(attrs=INPUT))


class PolicyForm(forms.Form):
    min_answers = forms.IntegerField(
        label="分组最少答卷数", min_value=3, max_value=50,
        error_messages={"min_value": "最少 3 份（少于 3 份很容易看出是谁的答卷）。",
                        "max_value": "最多 50 份。", "invalid": "请填写整数。"},
        help_text="某个年级、班级、课程或辅导教师的答卷少于这个数时，不单独显示其结果。",
        widget=forms.NumberInput(attrs=INPUT))
