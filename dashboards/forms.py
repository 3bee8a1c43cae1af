"""Forms of the dashboards: a school's plan, the bureau's decision."""

from __future__ import annotations

from django import forms

from afterschool.params import TEXT_TOO_LONG


class PlanForm(forms.Form):
    term = forms.ModelChoiceField(label="学期", queryset=None, empty_label=None,
                                  widget=forms.Select(attrs={"class": "form-select"}))
    summary = forms.CharField(
        label="方案说明", required=False, max_length=3000,
        error_messages={"max_length": TEXT_TOO_LONG},
        help_text="工作目标、组织领导、安全措施等；作息、师资和课程会随报送自动附上。",
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 6}))

    def __init__(self, *args, terms=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = terms


class DecisionForm(forms.Form):
    comment = forms.CharField(label="审批意见", required=False, max_length=1000,
                              error_messages={"max_length": TEXT_TOO_LONG},
                              widget=forms.Textarea(attrs={"class": "form-control", "rows": 3,
                                                           "placeholder": "退回时必填，如：请补充校外教师的资质说明"}))
