"""Forms of safety: the settings, unavailable days, a swap, a patrol, a follow-up's moves.

Forms parse and bound the input; the rules are the services' (a refusal comes back on the
field it names through ``afterschool.forms.add_domain_error``).
"""

from __future__ import annotations

from django import forms

from afterschool.params import TEXT_TOO_LONG

from .models import PatrolReport, SafetyPolicy

SELECT = {"class": "form-select"}
TEXT = {"class": "form-control"}
DATE = {"type": "date", "class": "form-control"}


def _too_long():
    return {"max_length": TEXT_TOO_LONG}


class PolicyForm(forms.ModelForm):
    class Meta:
        model = SafetyPolicy
        fields = ["duty_teachers_per_day", "leaders_per_day", "duty_pool", "follow_up_days"]
        widgets = {
            "duty_teachers_per_day": forms.NumberInput(attrs={**TEXT, "inputmode": "numeric"}),
            "leaders_per_day": forms.NumberInput(attrs={**TEXT, "inputmode": "numeric"}),
            "duty_pool": forms.Select(attrs=SELECT),
            "follow_up_days": forms.NumberInput(attrs={**TEXT, "inputmode": "numeric"}),
        }


class GenerateForm(forms.Form):
    from_date = forms.DateField(label="自此日起重新排班", required=False,
                                widget=forms.DateInput(attrs=DATE),
                                help_text="留空：新值日表从今天起，重新生成从明天起；之前的值日保持不变")


class UnavailabilityForm(forms.Form):
    dates = forms.MultipleChoiceField(
        label="不能值日的日期", required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "“%(value)s”不是今天以后的服务日，请刷新页面后重新选择。"})
    reason = forms.CharField(label="原因（可不填）", max_length=100, required=False,
                             error_messages=_too_long(),
                             widget=forms.TextInput(attrs={**TEXT,
                                                           "placeholder": "如：外出培训、监考"}))

    def __init__(self, *args, days=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dates"].choices = [(d.isoformat(), d.isoformat()) for d in days]


class SwapForm(forms.Form):
    theirs = forms.ChoiceField(label="与谁调换", widget=forms.RadioSelect)
    reason = forms.CharField(label="原因（可不填）", max_length=200, required=False,
                             error_messages=_too_long(), widget=forms.TextInput(attrs=TEXT))

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theirs"].choices = [(f"{a.staff_id}:{a.date.isoformat()}", str(a))
                                         for a in options]
        self.fields["theirs"].error_messages["invalid_choice"] = (
            "所选的值日不在值日表上（可能刚刚调换过），请重新选择。")


class PatrolForm(forms.Form):
    teacher = forms.TypedChoiceField(label="辅导教师", coerce=int, required=False,
                                     empty_value=None, widget=forms.Select(attrs=SELECT))
    presence = forms.ChoiceField(label="辅导教师在岗", choices=PatrolReport.Presence.choices,
                                 widget=forms.RadioSelect,
                                 error_messages={"required": "请选择辅导教师是否在岗、准时。"})
    head_count = forms.IntegerField(label="实到人数", required=False, min_value=0,
                                    max_value=999,
                                    widget=forms.NumberInput(attrs={**TEXT,
                                                                    "inputmode": "numeric"}))
    activity = forms.ChoiceField(label="活动内容与计划", choices=PatrolReport.Activity.choices,
                                 initial=PatrolReport.Activity.AS_PLANNED,
                                 widget=forms.RadioSelect)
    other_issue = forms.BooleanField(label="其他问题（安全隐患、纪律等，请写在备注里）",
                                     required=False,
                                     widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    photo = forms.FileField(label="照片（可不传）", required=False,
                            widget=forms.ClearableFileInput(attrs={
                                **TEXT, "accept": "image/jpeg,image/png,image/webp",
                                "capture": "environment"}))
    notes = forms.CharField(label="备注", max_length=500, required=False,
                            error_messages=_too_long(),
                            widget=forms.Textarea(attrs={**TEXT, "rows": 3}))

    def __init__(self, *args, teachers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].choices = [(t.pk, t.name) for t in teachers]
        if not teachers:
            self.fields["teacher"].choices = [("", "（本课次未安排辅导教师）")]


class FollowUpAssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label="整改负责人", coerce=int,
                                      widget=forms.Select(attrs=SELECT),
                                      error_messages={"required": "请选择整改负责人。"})
    due_date = forms.DateField(label="整改期限", widget=forms.DateInput(attrs=DATE),
                               error_messages={"required": "请选择整改期限。",
                                               "invalid": "请输入有效的日期。"})
    comment = forms.CharField(label="说明（可不填）", max_length=500, required=False,
                              error_messages=_too_long(),
                              widget=forms.Textarea(attrs={**TEXT, "rows": 2}))

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "—")] + [(s.pk, s.name) for s in staff]


class FollowUpCommentForm(forms.Form):
    comment = forms.CharField(label="说明", max_length=500, required=False,
                              error_messages=_too_long(),
                              widget=forms.Textarea(attrs={**TEXT, "rows": 3}))
