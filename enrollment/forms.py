"""Forms parse what a person typed; the rules themselves live in services.py."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from afterschool.cleaning import clean_phone, clean_text
from afterschool.formatting import weekday_label
from afterschool.models import Term
from afterschool.params import MAX_ID, TEXT_TOO_LONG, parse_id

from . import exceptions
from .models import Application

ORDINALS = "一二三四五六七八九十"
# Every free-text field has a bound (the models' TextFields have none): a form is the only way
# in, and its message says how long is too long.
TEXT = {"max_length": TEXT_TOO_LONG}
HEALTH_NOTES_MAX = 500
PARTICIPATE_CHOICES = [("yes", "参加课后服务"), ("no", "不参加")]


def _phone(value: str) -> str:
    if not clean_text(value):
        return ""
    phone = clean_phone(value)
    if not phone:
        raise forms.ValidationError(exceptions.PHONE_INVALID)
    return phone


class CourseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.category}）" if obj.category else obj.name


class ApplicationForm(forms.Form):
    """The intention form. Everything is optional for a draft; submitting checks completeness."""

    participates = forms.ChoiceField(label="是否参加", choices=PARTICIPATE_CHOICES,
                                     widget=forms.RadioSelect(attrs={"class": "btn-check"}),
                                     required=False)
    weekdays = forms.TypedMultipleChoiceField(
        label="需要参加的日子", coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "btn-check"}))
    dismissal = forms.ChoiceField(label="放学后如何回家", choices=Application.Dismissal.choices,
                                  widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                                  required=False)
    alone_consent = forms.BooleanField(
        label="我同意孩子放学后自行回家，并已告知孩子回家路线和安全注意事项", required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    bus_route = forms.CharField(label="校车线路", max_length=50, required=False,
                                error_messages=TEXT, widget=forms.TextInput(attrs={"placeholder": "如：3 号线"}))
    health_notes = forms.CharField(
        label="健康情况", required=False, max_length=HEALTH_NOTES_MAX, error_messages=TEXT,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "如有需要老师注意的健康情况请填写，没有可不填"}))
    allergies = forms.CharField(label="过敏史", max_length=200, required=False,
                                error_messages=TEXT,
                                widget=forms.TextInput(attrs={"placeholder": "如：花生、青霉素；没有可不填"}))
    contact_phone = forms.CharField(
        label="紧急联系电话", max_length=20, required=False, error_messages=TEXT,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    # The two separate consents; shown only while not given on the school's current notice.
    consent_personal = forms.BooleanField(
        label="我已阅读《个人信息保护告知书》，同意学校为课后服务处理孩子的个人信息",
        required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    consent_sensitive = forms.BooleanField(
        label="我单独同意学校处理孩子的健康情况和过敏史（敏感个人信息）",
        required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    revision = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, term: Term, courses, consent=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.term = term
        # The child's ``ConsentState`` before this request, to name every missing consent at
        # once (the services refuse the same, one at a time); None skips these checks.
        self.consent = consent
        self.fields["weekdays"].choices = [(d, weekday_label(d))
                                           for d in sorted(term.service_weekdays)]
        self.courses = list(courses)
        self.preference_names = []
        if self.courses:
            for rank in range(1, term.max_preferences + 1):
                name = f"pref_{rank}"
                self.fields[name] = CourseChoiceField(
                    label=f"第{ORDINALS[rank - 1]}志愿", queryset=courses, required=False,
                    empty_label="（不填）", widget=forms.Select(attrs={"class": "form-select"}))
                self.preference_names.append(name)

    @property
    def preference_fields(self):
        return [self[name] for name in self.preference_names]

    @classmethod
    def initial_for(cls, application: Application) -> dict:
        initial = {
            "participates": {True: "yes", False: "no"}.get(application.participates, ""),
            "weekdays": application.weekdays,
            "dismissal": application.dismissal,
            "alone_consent": application.alone_consent,
            "bus_route": application.bus_route,
            "health_notes": application.health_notes,
            "allergies": application.allergies,
            "contact_phone": application.contact_phone,
            "revision": application.revision,
        }
        for pref in application.preferences.all():
            initial[f"pref_{pref.rank}"] = pref.course_id
        return initial

    def clean_contact_phone(self):
        return _phone(self.cleaned_data["contact_phone"])

    def clean(self):
        data = super().clean()
        seen = set()
        for name in self.preference_names:
            course = data.get(name)
            if course is None:
                continue
            if course.pk in seen:
                self.add_error(name, exceptions.DUPLICATE_PREFERENCE)
            seen.add(course.pk)
        if data.get("participates") == "yes":
            if data.get("dismissal") == Application.Dismissal.ALONE and not data.get("alone_consent"):
                self.add_error("alone_consent", exceptions.ALONE_NEEDS_CONSENT)
            if data.get("dismissal") == Application.Dismissal.BUS and not clean_text(
                    data.get("bus_route")):
                self.add_error("bus_route", exceptions.BUS_NEEDS_ROUTE)
        self._clean_consent(data)
        return data

    def _clean_consent(self, data):
        consent = self.consent
        if consent is None or consent.notice is None:
            return
        personal = consent.has_personal or data.get("consent_personal")
        if ((clean_text(data.get("health_notes")) or clean_text(data.get("allergies")))
                and not (consent.has_sensitive or data.get("consent_sensitive"))):
            self.add_error("consent_sensitive", exceptions.SENSITIVE_CONSENT_REQUIRED)
        elif data.get("consent_sensitive") and not personal:
            self.add_error("consent_sensitive", exceptions.SENSITIVE_NEEDS_PERSONAL)
        if (self.data.get("action") == "submit" and data.get("participates") == "yes"
                and not personal):
            self.add_error("consent_personal", (
                exceptions.CONSENT_RENEW.format(version=consent.notice.version)
                if consent.personal_outdated else exceptions.CONSENT_REQUIRED))

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "participates": {"yes": True, "no": False}.get(data["participates"]),
            "weekdays": data["weekdays"],
            "preferences": [data[name] for name in self.preference_names if data.get(name)],
            "dismissal": data["dismissal"],
            "alone_consent": data["alone_consent"],
            "bus_route": data["bus_route"],
            "health_notes": data["health_notes"],
            "allergies": data["allergies"],
            "contact_phone": data["contact_phone"],
            "consent_personal": data["consent_personal"],
            "consent_sensitive": data["consent_sensitive"],
            "expected_revision": data["revision"],
        }


class PickupPersonForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50, required=False, error_messages=TEXT)
    relation = forms.CharField(label="关系", max_length=20, required=False, error_messages=TEXT,
                               widget=forms.TextInput(attrs={"placeholder": "如：爷爷"}))
    phone = forms.CharField(label="手机号", max_length=20, required=False, error_messages=TEXT,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))

    def clean_phone(self):
        return _phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        filled = [data.get(k) for k in ("name", "relation", "phone")]
        if any(filled) and not all(filled) and not self.errors:
            raise forms.ValidationError(exceptions.PICKUP_PERSON_INCOMPLETE)
        return data


MAX_PICKUP_PERSONS = 4


def pickup_formset(data=None, *, application: Application | None = None):
    initial = [{"name": p.name, "relation": p.relation, "phone": p.phone}
               for p in (application.pickup_persons.all() if application else [])]
    extra = max(2 - len(initial), 1) if len(initial) < MAX_PICKUP_PERSONS else 0
    formset_class = forms.formset_factory(PickupPersonForm, extra=extra,
                                          max_num=MAX_PICKUP_PERSONS, validate_max=True)
    return formset_class(data, initial=initial, prefix="pickup")


class SignForm(forms.Form):
    signed_name = forms.CharField(label="签名（请输入您的姓名）", max_length=50, required=False,
                                  error_messages=TEXT, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    agree = forms.BooleanField(label="我已阅读并同意《课后服务协议》和《安全责任书》",
                               required=False,
                               widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.required = required

    def clean(self):
        data = super().clean()
        if self.required:
            if not clean_text(data.get("signed_name")):
                self.add_error("signed_name", exceptions.SIGNATURE_NAME_REQUIRED)
            if not data.get("agree"):
                self.add_error("agree", "请勾选已阅读并同意协议。")
        return data


class WithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label="从哪天起不再参加", widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"))
    reason = forms.CharField(label="退出原因", max_length=200, error_messages=TEXT, widget=forms.TextInput(
        attrs={"class": "form-control", "placeholder": "如：家中老人可以按时接孩子"}))
    revision = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["withdrawn_on"].initial = today
        self.fields["withdrawn_on"].widget.attrs["min"] = today.isoformat()


class ReviewForm(forms.Form):
    to_status = forms.ChoiceField(choices=Application.Status.choices)
    comment = forms.CharField(label="意见或原因", max_length=500, required=False,
                              error_messages=TEXT)
    status = forms.ChoiceField(choices=Application.Status.choices)
    revision = forms.IntegerField()


def parse_selected(values) -> dict[int, int]:
    """Bulk checkboxes carry "id:revision", so a row changed since the page loaded is refused."""
    expected = {}
    for value in values:
        pk, _, revision = str(value).partition(":")
        pk = parse_id(pk)
        revision = revision.strip()
        if pk is not None and revision.isascii() and revision.isdigit() \
                and int(revision) <= MAX_ID:
            expected[pk] = int(revision)
    return expected


DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class TermSettingsForm(forms.Form):
    application_opens_at = forms.DateTimeField(label="意向书开放时间", widget=DATETIME_WIDGET,
                                               required=False)
    application_closes_at = forms.DateTimeField(label="意向书截止时间", widget=DATETIME_WIDGET,
                                                required=False)
    max_preferences = forms.IntegerField(label="最多志愿数", min_value=1, max_value=10)
    service_content = forms.CharField(label="服务内容", required=False, max_length=2000,
                                      error_messages=TEXT,
                                      widget=forms.Textarea(attrs={"rows": 3}))
    schedule_text = forms.CharField(label="作息安排", required=False, max_length=2000,
                                    error_messages=TEXT,
                                    widget=forms.Textarea(attrs={"rows": 3}),
                                    help_text="如：周一至周四放学后，第1节 16:40–17:20 作业辅导……")
    safety_text = forms.CharField(label="安全措施", required=False, max_length=2000,
                                  error_messages=TEXT, widget=forms.Textarea(attrs={"rows": 3}))
    voluntary_statement = forms.CharField(label="自愿免费声明", max_length=1000,
                                          error_messages=TEXT,
                                          widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        opens, closes = data.get("application_opens_at"), data.get("application_closes_at")
        if bool(opens) != bool(closes):
            self.add_error("application_closes_at", "开放时间和截止时间须同时填写。")
        elif opens and closes and opens >= closes:
            self.add_error("application_closes_at", exceptions.WINDOW_ORDER)
        return data


class AgreementForm(forms.Form):
    # A whole agreement is a few pages; 20,000 characters is ten of them.
    service_text = forms.CharField(label="课后服务协议", max_length=20000, error_messages=TEXT,
                                   widget=forms.Textarea(attrs={"rows": 8}))
    safety_text = forms.CharField(label="安全责任书", max_length=20000, error_messages=TEXT,
                                  widget=forms.Textarea(attrs={"rows": 8}))


class PrivacyNoticeForm(forms.Form):
    text = forms.CharField(label="告知书正文", max_length=20000, error_messages=TEXT,
                           widget=forms.Textarea(attrs={"rows": 14}),
                           help_text="写清收集哪些信息、为什么收集、谁能看到、保存多久、家长有哪些权利。")
    sensitive_text = forms.CharField(label="敏感个人信息（健康情况、过敏史）部分", max_length=5000,
                                     error_messages=TEXT, widget=forms.Textarea(attrs={"rows": 6}))


class ConsentWithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回原因", max_length=200,
                             error_messages={**TEXT,
                                             "required": exceptions.CONSENT_WITHDRAW_REASON_REQUIRED},
                             widget=forms.TextInput(attrs={"class": "form-control",
                                                           "placeholder": "如：不希望学校保存孩子的健康信息"}))
    confirm = forms.BooleanField(label="我已了解撤回的后果，确认撤回", required=True,
                                 error_messages={"required": "请勾选确认已了解撤回的后果。"},
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
