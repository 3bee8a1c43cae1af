"""Survey pages: the office's list, editor and results (.xlsx), the school's threshold; the
family's list and answer page. Thin: parse, call one service or selector, answer."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from afterschool.access import children_of
from afterschool.exceptions import DomainError
from afterschool.mixins import ActorMixin
from afterschool.models import Role, Term
from afterschool.params import parse_id
from afterschool.xlsx import xlsx_response

from . import exceptions as e
from . import services
from .access import READERS, may_edit, policy_of, surveys_visible_to
from .display import CUTS, SCALE_LABELS, SURVEY_MOVE_LABELS, SURVEY_TONE, rate_chart
from .exports import results_workbook
from .forms import PolicyForm, QuestionForm, ReopenForm, SurveyCreateForm
from .models import Question, Survey
from .selectors import group_results, questions_of, survey_results, surveys_with_counts
from .transitions import SURVEY_MACHINE

OFFICE = (Role.COORDINATOR,)


def _terms(actor):
    return Term.objects.filter(school=actor.school).order_by("-start_date")


class SurveyListView(ActorMixin, TemplateView):
    allowed_roles = READERS
    template_name = "surveys/list.html"

    def get_context_data(self, form=None, **kwargs):
        surveys = surveys_with_counts(surveys_visible_to(self.actor))
        if form is None and may_edit(self.actor):
            term = _terms(self.actor).filter(is_current=True).first() or _terms(self.actor).first()
            form = SurveyCreateForm(terms=_terms(self.actor), initial={
                "term": term, "title": f"{term.name}课后服务家长满意度调查" if term else "",
                "closes_at": timezone.localtime() + timezone.timedelta(days=14)})
        return super().get_context_data(surveys=surveys, form=form, tones=SURVEY_TONE,
                                        may_edit=may_edit(self.actor), **kwargs)

    def post(self, request):
        if not may_edit(self.actor):
            raise Http404(e.NOT_ALLOWED)
        form = SurveyCreateForm(request.POST, terms=_terms(self.actor))
        if form.is_valid():
            try:
                survey = services.survey_create(actor=self.actor, **form.cleaned_data)
            except e.SurveyError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"已创建“{survey.title}”，题目已按默认问卷填好，可修改后发布。")
                return redirect("surveys:detail", pk=survey.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SurveyMixin(ActorMixin):
    allowed_roles = READERS

    def get_survey(self) -> Survey:
        return get_object_or_404(surveys_visible_to(self.actor), pk=self.kwargs["pk"])


class SurveyDetailView(SurveyMixin, TemplateView):
    """The questions; in draft the office edits them; the moves the office may make."""

    template_name = "surveys/detail.html"

    def get_context_data(self, errors=None, reopen_form=None, **kwargs):
        survey = self.get_survey()
        questions = questions_of(survey)
        editable = may_edit(self.actor) and survey.status == Survey.Status.DRAFT
        errors = errors or {}
        rows = []
        for position, q in enumerate(questions, start=1):
            form = errors.get(q.pk) or QuestionForm(
                initial={"text": q.text, "kind": q.kind, "topic": q.topic,
                         "options": "\n".join(q.options), "required": q.required},
                prefix=f"q{q.pk}")
            rows.append({"question": q, "position": position, "form": form})
        moves = []
        if may_edit(self.actor):
            moves = [(to, SURVEY_MACHINE.label(move), move.name)
                     for to, move in SURVEY_MACHINE.moves_from(survey.status)]
        return super().get_context_data(
            survey=survey, rows=rows, editable=editable, moves=moves, tones=SURVEY_TONE,
            new_form=errors.get("new") or QuestionForm(prefix="new"),
            reopen_form=reopen_form or ReopenForm(initial={
                "closes_at": timezone.localtime() + timezone.timedelta(days=7)}),
            scale_labels=SCALE_LABELS, history=survey.changes.select_related("actor"),
            labels=SURVEY_MOVE_LABELS, **kwargs)


def _options(form) -> list[str]:
    return services.parse_options(form.cleaned_data.get("options", ""))


class QuestionAddView(SurveyMixin, View):
    allowed_roles = OFFICE

    def post(self, request, pk):
        survey = self.get_survey()
        form = QuestionForm(request.POST, prefix="new")
        if form.is_valid():
            try:
                services.question_save(actor=self.actor, survey=survey,
                                       text=form.cleaned_data["text"],
                                       kind=form.cleaned_data["kind"],
                                       topic=form.cleaned_data["topic"], options=_options(form),
                                       required=form.cleaned_data["required"])
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, "已添加题目。")
        else:
            messages.error(request, "题目未保存：" + "；".join(
                m for errors in form.errors.values() for m in errors))
        return redirect("surveys:detail", pk=survey.pk)


class QuestionView(SurveyMixin, View):
    """One question: save, delete, move up or down (drafts only; the service checks)."""

    allowed_roles = OFFICE

    def post(self, request, pk, question):
        survey = self.get_survey()
        question_id = parse_id(question)
        if question_id is None:
            raise Http404(e.CUT_UNKNOWN)
        action = request.POST.get("action", "save")
        try:
            if action == "delete":
                services.question_delete(actor=self.actor, survey=survey,
                                         question_id=question_id)
                messages.success(request, "已删除题目。")
            elif action in ("up", "down"):
                services.question_move(actor=self.actor, survey=survey,
                                       question_id=question_id, up=action == "up")
            else:
                form = QuestionForm(request.POST, prefix=f"q{question_id}")
                if not form.is_valid():
                    messages.error(request, "题目未保存：" + "；".join(
                        m for errors in form.errors.values() for m in errors))
                    return redirect("surveys:detail", pk=survey.pk)
                services.question_save(actor=self.actor, survey=survey,
                                       question_id=question_id,
                                       text=form.cleaned_data["text"],
                                       kind=form.cleaned_data["kind"],
                                       topic=form.cleaned_data["topic"], options=_options(form),
                                       required=form.cleaned_data["required"])
                messages.success(request, "已保存题目。")
        except DomainError as exc:
            messages.error(request, exc.message)
        detail = reverse("surveys:detail", kwargs={"pk": survey.pk})
        return redirect(f"{detail}#question-{question_id}")


class SurveyMoveView(SurveyMixin, View):
    allowed_roles = OFFICE

    def post(self, request, pk):
        survey = self.get_survey()
        action = request.POST.get("action")
        try:
            if action == "publish":
                report = services.survey_publish(actor=self.actor, survey=survey)
                messages.success(request, f"已发布“{survey.title}”，{report.text('位家长')}。")
            elif action == "close":
                services.survey_close(actor=self.actor, survey=survey)
                messages.success(request, f"已结束“{survey.title}”，家长不能再提交或修改。")
            elif action == "reopen":
                form = ReopenForm(request.POST)
                if not form.is_valid():
                    messages.error(request, "未重新开放：" + "；".join(
                        m for errors in form.errors.values() for m in errors))
                else:
                    services.survey_reopen(actor=self.actor, survey=survey,
                                           **form.cleaned_data)
                    messages.success(request, f"已重新开放“{survey.title}”。")
            else:
                messages.error(request, "请选择要执行的操作。")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("surveys:detail", pk=survey.pk)


class ResultsView(SurveyMixin, TemplateView):
    """The results and their cuts; ``?by=homeroom&group=<id>`` one shown group; .xlsx."""

    template_name = "surveys/results.html"

    def get(self, request, *args, **kwargs):
        survey = self.get_survey()
        by = request.GET.get("by", "")
        if by or request.GET.get("group"):
            group = parse_id(request.GET.get("group"))
            if by not in CUTS or group is None:
                raise Http404(e.CUT_UNKNOWN)
            found = group_results(survey, by, group)
            if found is None:
                raise Http404(e.CUT_TOO_SMALL.format(min=policy_of(survey.school).min_answers))
            return self.render_to_response(self.get_context_data(
                survey=survey, group=found, cut_label=CUTS[by]))
        results = survey_results(survey)
        if request.GET.get("format") == "xlsx" and results.shown:
            return xlsx_response(results_workbook(results), f"{survey.title}-结果.xlsx",
                                 fallback="survey-results.xlsx")
        scale = results.scale_questions
        tables = []
        for cut, label in CUTS.items():
            rows = results.cuts.get(cut, [])
            for row in rows:
                row.rates = [row.question_rate(q.question.pk, results.min_answers)
                             for q in scale]
            tables.append((cut, label, rows))
        texts = [(q, results.texts.get(q.question.pk, [])) for q in results.questions
                 if q.question.kind == Question.Kind.TEXT]
        return self.render_to_response(self.get_context_data(
            survey=survey, results=results, cut_tables=tables, text_blocks=texts,
            colspan=len(scale) + 2, chart=rate_chart(scale) if results.shown else None,
            chart_height=60 + 44 * len(scale)))


class SettingsView(ActorMixin, TemplateView):
    allowed_roles = OFFICE
    template_name = "surveys/settings.html"

    def get_context_data(self, form=None, **kwargs):
        policy = policy_of(self.actor.school)
        return super().get_context_data(
            form=form or PolicyForm(initial={"min_answers": policy.min_answers}), **kwargs)

    def post(self, request):
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                services.policy_update(actor=self.actor, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "已保存满意度调查设置。")
                return redirect("surveys:settings")
        return self.render_to_response(self.get_context_data(form=form), status=400)


# ---------------------------------------------------------------------------- the family


class MySurveysView(ActorMixin, TemplateView):
    allowed_roles = (Role.GUARDIAN,)
    template_name = "surveys/my.html"

    def get_context_data(self, **kwargs):
        from .family import family_surveys

        return super().get_context_data(rows=family_surveys(self.actor), **kwargs)


class AnswerView(ActorMixin, TemplateView):
    """One child's answer: filled in with the earlier answer; saved while the survey is open."""

    allowed_roles = (Role.GUARDIAN,)
    template_name = "surveys/answer.html"

    def objects(self):
        survey = get_object_or_404(surveys_visible_to(self.actor), pk=self.kwargs["pk"])
        student = get_object_or_404(children_of(self.actor), pk=self.kwargs["student_pk"])
        return survey, student

    def get_context_data(self, survey=None, student=None, values=None, error=None,
                         error_field=None, **kwargs):
        from .family import own_response
        from .selectors import has_attended

        if not has_attended(survey.term, student):
            raise Http404(e.NOT_INVITED.format(student=student.name))
        response = own_response(survey, student)
        if values is None:
            values = {}
            if response is not None:
                for a in response.answers.all():
                    values[a.question_id] = str(a.scale) if a.scale else (a.choice or a.text)
        questions = []
        for position, q in enumerate(questions_of(survey), start=1):
            questions.append({"question": q, "position": position,
                              "value": values.get(q.pk, ""), "field": f"q{q.pk}",
                              "error": error_field == f"q{q.pk}"})
        return super().get_context_data(
            survey=survey, student=student, questions=questions, response=response,
            revision=response.revision if response else 0, error=error,
            scale=[(v, SCALE_LABELS[v]) for v in range(5, 0, -1)],
            open=survey.accepts_answers(), **kwargs)

    def get(self, request, *args, **kwargs):
        survey, student = self.objects()
        return self.render_to_response(self.get_context_data(survey=survey, student=student))

    def post(self, request, pk, student_pk):
        survey, student = self.objects()
        raw = {}
        for name, value in request.POST.items():
            if name.startswith("q") and name[1:].isdigit():
                question_id = parse_id(name[1:])
                if question_id is not None:
                    raw[question_id] = value
        revision = parse_id(request.POST.get("revision")) or 0
        try:
            services.response_submit(actor=self.actor, survey=survey, student=student,
                                     answers=raw, revision=revision)
        except e.SurveyError as exc:
            return self.render_to_response(self.get_context_data(
                survey=survey, student=student, values=raw, error=exc.message,
                error_field=exc.field), status=400)
        messages.success(request, f"已提交{student.name}的答卷，谢谢您！截止前可以随时修改。")
        return redirect("surveys:my")



