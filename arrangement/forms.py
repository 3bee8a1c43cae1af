"""Forms of the arrangement pages: they parse input; the services decide."""

from django import forms

from afterschool.models import Staff
from afterschool.params import MAX_ID, TEXT_TOO_LONG
from courses.models import Section

from .models import Arrangement

TEXT = {"max_length": TEXT_TOO_LONG}


class ArrangementStartForm(forms.Form):
    mechanism = forms.ChoiceField(
        label="分配方式", choices=Arrangement.Mechanism.choices,
        initial=Arrangement.Mechanism.EXACT,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        help_text="按志愿优化分配：在安排人数最多的前提下，第一志愿最多，其次第二志愿……；"
                  "随机顺序抽签分配：按抽签顺序每人依次选择仍有名额的最高志愿。")
    seed = forms.IntegerField(
        label="抽签号（随机种子）", required=False, min_value=0, max_value=10**12,
        help_text="留空则随机生成；相同数据和抽签号总是得到相同结果。")
    scope = forms.ChoiceField(label="安排范围", choices=Arrangement.Scope.choices,
                              initial=Arrangement.Scope.FULL, required=False)
    base = forms.IntegerField(label="基于版本", required=False, min_value=1, max_value=MAX_ID)
    pins = forms.CharField(
        label="另外保持不变的学生", required=False, max_length=5000, error_messages=TEXT,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control",
                                     "placeholder": "每行一个学籍号（选填）"}),
        help_text="人工调整过的学生总是保持不变；这里可再列出其他要保持不变的学生。")

    def clean_scope(self):
        return self.cleaned_data.get("scope") or Arrangement.Scope.FULL

    def clean_pins(self):
        return [line.strip() for line in self.cleaned_data.get("pins", "").splitlines()
                if line.strip()]


class SectionChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, occupancy=None, **kwargs):
        self.occupancy = occupancy or {}
        kwargs.setdefault("widget", forms.Select(attrs={"class": "form-select"}))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, section):
        slots = "、".join(str(s) for s in section.slots.all())
        taken = self.occupancy.get(section.pk, 0)
        return f"{section.course.name} · {section.name}（{slots}，{taken}/{section.capacity}）"




class _SectionForm(forms.Form):
    comment = forms.CharField(label="说明", required=False, max_length=500, error_messages=TEXT,
                              widget=forms.TextInput(attrs={"placeholder": "调整原因（选填）"}))

    def __init__(self, *args, sections=None, occupancy=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "section" in self.fields:
            self.fields["section"].queryset = sections if sections is not None else \
                Section.objects.none()
            self.fields["section"].occupancy = occupancy or {}


class PlacementMoveForm(_SectionForm):
    section = SectionChoiceField(label="调到教学班", queryset=Section.objects.none(),
                                 empty_label="请选择教学班")
    confirm = forms.BooleanField(label="确认安排非志愿课程", required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    field_order = ["section", "confirm", "comment"]


class PlacementCreateForm(PlacementMoveForm):
    section = SectionChoiceField(label="安排到教学班", queryset=Section.objects.none(),
                                 empty_label="请选择教学班")


class PlacementSwapForm(forms.Form):
    other = forms.IntegerField(label="与哪位学生互换", min_value=1, max_value=MAX_ID,
                               widget=forms.Select(attrs={"class": "form-select"}))
    confirm = forms.BooleanField(label="确认安排非志愿课程", required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    comment = forms.CharField(label="说明", required=False, max_length=500, error_messages=TEXT)

    def __init__(self, *args, others=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].widget.choices = [("", "请选择学生")] + [
            (p.pk, f"{p.student.name}（{p.student.homeroom.short_label}，{p.section}）")
            for p in others]


class PlacementRemoveForm(forms.Form):
    comment = forms.CharField(label="说明", required=False, max_length=500, error_messages=TEXT)


class SectionTutorForm(_SectionForm):
    section = SectionChoiceField(label="教学班", queryset=Section.objects.none(),
                                 empty_label="请选择教学班")
    tutor = forms.ModelChoiceField(label="改由教师", queryset=Staff.objects.none(),
                                   empty_label="请选择教师",
                                   widget=forms.Select(attrs={"class": "form-select"}))
    field_order = ["section", "tutor", "comment"]

    def __init__(self, *args, tutors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tutor"].queryset = tutors if tutors is not None else Staff.objects.none()


class HomeroomModeForm(forms.Form):
    start_date = forms.DateField(label="开始日期", widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"))
    end_date = forms.DateField(label="结束日期", widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"))
    reason = forms.CharField(label="原因", max_length=200, error_messages=TEXT, widget=forms.TextInput(
        attrs={"placeholder": "如：流感高发期，暂停走班", "class": "form-control"}))
