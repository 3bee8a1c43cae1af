"""Forms of the family's rights: they parse; the services decide."""

from __future__ import annotations

from django import forms

from .models import RETENTION_MAX_DAYS, RETENTION_MIN_DAYS, DataRequest

SELF = "self"


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label="申请类型", choices=DataRequest.Kind.choices,
                             widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                             error_messages={"required": "请选择申请类型：更正或删除。"})
    subject = forms.ChoiceField(label="涉及谁的信息")
    text = forms.CharField(label="申请内容", max_length=1000, widget=forms.Textarea(attrs={
        "rows": 4, "placeholder": "例如：孩子的过敏史写错了，应为“花生过敏”；或：请删除孩子在课后服务中的个人信息。"}),
        error_messages={"required": "请在“申请内容”中写明需要更正或删除的信息。",
                        "max_length": "“申请内容”最多 1000 个字。"})

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.children = {str(c.pk): c for c in children}
        self.fields["subject"].choices = ([(str(c.pk), c.name) for c in children]
                                          + [(SELF, "我本人（家长）")])

    def clean(self):
        data = super().clean()
        subject = data.get("subject")
        data["student"] = self.children.get(subject) if subject != SELF else None
        return data


class CarryOutForm(forms.Form):
    comment = forms.CharField(label="办理说明", required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class RefuseForm(forms.Form):
    legal_reason = forms.ChoiceField(label="不予办理的法定理由",
                                     widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                                     choices=DataRequest.LegalReason.choices,
                                     error_messages={"required": "请选择不予办理的法定理由。"})
    comment = forms.CharField(label="具体说明（家长可见）", required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class RetentionForm(forms.Form):
    retention_days = forms.IntegerField(
        label="学期结束后保存天数", min_value=RETENTION_MIN_DAYS, max_value=RETENTION_MAX_DAYS,
        error_messages={
            "required": "请填写保存天数。",
            "invalid": "保存天数须是整数。",
            "min_value": f"保存期限至少 {RETENTION_MIN_DAYS} 天。",
            "max_value": f"保存期限最多 {RETENTION_MAX_DAYS} 天。"})
