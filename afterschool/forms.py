from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from .cleaning import clean_phone
from .exceptions import DomainError
from .models import ImportJob, NoticePreference, phone_validator
from .xlsx import CONTENT_TYPE as XLSX

MAX_UPLOAD_MB = 20


def add_domain_error(form: forms.BaseForm, exc: DomainError | ValidationError) -> None:
    """Put a service's refusal on the form, next to the field it names when the form has it.

    A :class:`DomainError` may name a field (``exc.field``, as enrollment's
    ``ApplicationInvalid`` does); a model's :class:`ValidationError` from ``full_clean`` names
    fields in its ``error_dict``. Anything not about one of the form's fields goes on top.
    """
    if isinstance(exc, ValidationError):
        if not hasattr(exc, "error_dict"):
            form.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, exc.message)


def normalise_phone(value: str) -> str:
    """Accept a phone typed with spaces, dashes, full-width digits or +86."""
    return clean_phone(value) or value.strip()


class PhoneLoginForm(AuthenticationForm):
    username = forms.CharField(
        label="手机号", max_length=20,
        widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "tel",
                                      "autocomplete": "username"}))
    error_messages = {
        "invalid_login": "手机号或密码不正确。家长首次使用请先用激活码激活账号。",
        "inactive": "该账号已停用，请联系课后服务办公室。",
    }

    def clean_username(self):
        return normalise_phone(self.cleaned_data["username"])


class ActivationForm(forms.Form):
    phone = forms.CharField(label="手机号", max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    code = forms.CharField(label="激活码", max_length=8,
                           help_text="见《致家长的一封信》，8 位字母数字")
    password1 = forms.CharField(label="设置密码", widget=forms.PasswordInput,
                                help_text="至少 8 位，不能全是数字")
    password2 = forms.CharField(label="再次输入密码", widget=forms.PasswordInput)

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        phone_validator(phone)
        return phone

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "两次输入的密码不一致。")
        elif p1:
            try:
                validate_password(p1)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ClaimCodeForm(forms.Form):
    """A signed-in person adds a child with the code of the letter home."""

    code = forms.CharField(label="激活码", max_length=12,
                           help_text="见《致家长的一封信》，8 位字母数字；信上的手机号须是您登录用的手机号")


class RosterUploadForm(forms.Form):
    kind = forms.ChoiceField(label="名册类型", choices=ImportJob.Kind.choices,
                             initial=ImportJob.Kind.STUDENTS, widget=forms.RadioSelect)
    file = forms.FileField(
        label="Excel 文件", help_text="仅支持 .xlsx；.xls 或 WPS 文件请先“另存为” .xlsx。",
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX}"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 .xlsx 格式的 Excel 文件。")
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(f"文件太大（超过 {MAX_UPLOAD_MB} MB）。")
        return upload


class NoticePreferenceForm(forms.ModelForm):
    class Meta:
        model = NoticePreference
        fields = ["sms", "email"]
        help_texts = {"sms": "审核结果、统筹安排、填报提醒等重要通知会同时发短信到您的手机号。",
                      "email": "只在您的账号填写了电子邮箱时发送。"}
