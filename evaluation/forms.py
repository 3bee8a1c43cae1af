"""Forms of evaluation: they parse and say what is wrong with a field; the rules are in the
services."""

from __future__ import annotations

from django import forms

from afterschool.params import TEXT_TOO_LONG

from . import exceptions as e
from .models import AssessmentScheme, WorkloadPolicy
from .services.settings import POLICY_FIELDS, SCHEME_FIELDS


def _numeric(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        field.widget.attrs.setdefault("class", "form-control")
        field.widget.attrs.setdefault("inputmode", "decimal")


class WorkloadPolicyForm(forms.ModelForm):
    class Meta:
        model = WorkloadPolicy
        fields = POLICY_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _numeric(self)


class AssessmentSchemeForm(forms.ModelForm):
    class Meta:
        model = AssessmentScheme
        fields = SCHEME_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _numeric(self)


class DisputeForm(forms.Form):
    """A dispute of one line (``line``), or a missing item (补报: ``claim_date``)."""

    line = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    claim_date = forms.DateField(label="日期", required=False,
                                 widget=forms.DateInput(format="%Y-%m-%d",
                                                        attrs={"type": "date",
                                                               "class": "form-control"}))
    claim_title = forms.CharField(label="课次或事项", required=False, max_length=150,
                                  error_messages={"max_length": TEXT_TOO_LONG},
                                  widget=forms.TextInput(attrs={
                                      "class": "form-control",
                                      "placeholder": "如：11月12日 16:40 作业辅导（代李老师）"}))
    reason = forms.CharField(label="异议原因", max_length=200,
                             error_messages={"max_length": TEXT_TOO_LONG,
                                             "required": e.DISPUTE_REASON_REQUIRED},
                             widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))
    revision = forms.IntegerField(required=False, min_value=0, max_value=2**31 - 1)


class ResolveForm(forms.Form):
    DECISIONS = [("accept", "采纳并更正课时"), ("decline", "不采纳")]

    decision = forms.ChoiceField(label="处理", choices=DECISIONS, widget=forms.RadioSelect)
    corrected_weight = forms.CharField(label="更正后课时", required=False, max_length=10,
                                       widget=forms.TextInput(attrs={"class": "form-control",
                                                                     "inputmode": "decimal"}))
    note = forms.CharField(label="处理意见", max_length=200,
                           error_messages={"max_length": TEXT_TOO_LONG,
                                           "required": e.RESOLVE_NOTE_REQUIRED},
                           widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))
    revision = forms.IntegerField(required=False, min_value=0, max_value=2**31 - 1)


class CommentForm(forms.Form):
    comment = forms.CharField(label="说明", max_length=200,
                              error_messages={"max_length": TEXT_TOO_LONG,
                                              "required": "请填写说明。"},
                              widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))
    revision = forms.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
