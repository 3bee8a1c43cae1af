"""Roster pages: upload and follow an import; download exports and the empty template."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView

from .. import access, exports, roster, selectors
from ..audit import export_choice, export_kinds, log_access
from ..exceptions import DomainError
from ..forms import RosterUploadForm
from ..mixins import ActorMixin
from ..models import ImportJob, Role
from ..params import parse_id, text_param
from ..xlsx import xlsx_response


class RosterUploadView(ActorMixin, FormView):
    allowed_roles = (Role.COORDINATOR,)
    template_name = "afterschool/roster_upload.html"
    form_class = RosterUploadForm

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["jobs"] = access.import_jobs_visible_to(self.actor).select_related("created_by")[:10]
        ctx["student_columns"] = roster.STUDENT_COLUMNS
        ctx["staff_columns"] = roster.STAFF_COLUMNS
        ctx["max_rows"] = settings.ROSTER_MAX_ROWS
        # Without a worker (no REDIS_URL) the import runs inside this request: say how much fits.
        if settings.CELERY_TASK_ALWAYS_EAGER:
            ctx["inline_max_rows"] = min(settings.ROSTER_INLINE_MAX_ROWS, settings.ROSTER_MAX_ROWS)
        return ctx

    def form_valid(self, form):
        job = roster.import_job_create(actor=self.actor, kind=form.cleaned_data["kind"],
                                       file=form.cleaned_data["file"])
        return redirect("school:roster_job", pk=job.pk)


class ImportJobView(ActorMixin, DetailView):
    """One upload: progress while it runs, then the summary or every error."""

    allowed_roles = (Role.COORDINATOR,)
    template_name = "afterschool/roster_job.html"
    context_object_name = "job"

    def get_queryset(self):
        return access.import_jobs_visible_to(self.actor).select_related("created_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        job = self.object
        ctx["running"] = job.status in (ImportJob.Status.PENDING, ImportJob.Status.RUNNING)
        ctx["summary_items"] = roster.summary_items(job.kind, job.summary)
        ctx["notes"] = job.summary.get("notes", [])
        ctx["show_sheet"] = any(e.get("sheet") for e in job.errors)
        ctx["error_count"] = max(job.summary.get("error_count", 0), len(job.errors))
        ctx["errors_not_listed"] = ctx["error_count"] - len(job.errors)
        ctx["preview_lines"] = roster.preview_lines(job.summary.get("preview") or {})
        return ctx


class ImportJobStatusView(ImportJobView):
    """The part of the job page that htmx polls every second until the job is finished."""

    template_name = "afterschool/roster_job_status.html"


class ImportJobRestartView(ActorMixin, View):
    """An interrupted import (its worker vanished) runs again from the start."""

    allowed_roles = (Role.COORDINATOR,)

    def post(self, request, pk):
        job = get_object_or_404(access.import_jobs_visible_to(self.actor), pk=pk)
        try:
            roster.jobs.import_job_restart(actor=self.actor, job=job)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已重新开始导入。")
        return redirect("school:roster_job", pk=job.pk)


class ImportJobConfirmView(ActorMixin, View):
    """The coordinator agrees to the new grades and homerooms the import listed."""

    allowed_roles = (Role.COORDINATOR,)

    def post(self, request, pk):
        job = get_object_or_404(access.import_jobs_visible_to(self.actor), pk=pk)
        try:
            roster.import_job_confirm(actor=self.actor, job=job)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect("school:roster_job", pk=job.pk)


class ImportJobCancelView(ActorMixin, View):
    """The coordinator declines: nothing is imported and the uploaded file is deleted."""

    allowed_roles = (Role.COORDINATOR,)

    def post(self, request, pk):
        job = get_object_or_404(access.import_jobs_visible_to(self.actor), pk=pk)
        try:
            roster.import_job_cancel(actor=self.actor, job=job)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.info(request, "已取消导入，没有写入任何数据。")
        return redirect("school:roster_upload")


class RosterTemplateView(ActorMixin, View):
    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL)

    def get(self, request, kind):
        if kind not in roster.COLUMNS:
            raise Http404
        label = ImportJob.Kind(kind).label
        return xlsx_response(exports.template_workbook(kind), f"{label}模板.xlsx")


class RosterExportView(ActorMixin, TemplateView):
    """Which roster to download: the whole school, a grade, or the staff.

    The downloads (GET) carry guardians' phones masked. A POST is the office's download with
    full numbers: 含完整手机号 ticked, a reason, the scope; logged for each child
    (afterschool/audit.py). Only that file imports back."""

    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL)
    template_name = "afterschool/roster_export.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["homerooms"] = selectors.homerooms_with_counts(access.homerooms_visible_to(self.actor))
        return ctx

    def _scope(self, scope: str):
        """The students, the sheet's and the file's title of ``school``, ``grade-<id>`` or
        ``homeroom-<id>``."""
        students = access.students_visible_to(self.actor)
        kind, _, pk = scope.partition("-")
        if kind == "school":
            return students, "学生名册", f"{self.actor.school.name}学生名册"
        if kind == "grade":
            grade = get_object_or_404(access.grades_visible_to(self.actor), pk=parse_id(pk) or 0)
            return students.filter(homeroom__grade=grade), grade.name, f"{grade.name}学生名册"
        if kind == "homeroom":
            homeroom = get_object_or_404(access.homerooms_visible_to(self.actor),
                                         pk=parse_id(pk) or 0)
            label = roster.homeroom_label(homeroom)
            return students.filter(homeroom=homeroom), label, f"{label}学生名册"
        raise Http404("请选择要导出的范围。")

    def post(self, request):
        try:
            choice = export_choice(request, self.actor)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("school:roster_export")
        students, sheet, title = self._scope(text_param(request.POST.get("scope"), 30))
        content = exports.students_workbook(students, title=sheet, full_phones=choice.full_phones)
        if choice.full_phones:
            log_access(request, self.actor,
                       students.filter(is_active=True).values_list("pk", flat=True),
                       kinds=export_kinds(choice), place=title, role=Role.COORDINATOR,
                       export=True, reason=choice.reason)
        return xlsx_response(content, f"{title}.xlsx")


class SchoolStudentsExportView(ActorMixin, View):
    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL)

    def get(self, request):
        content = exports.students_workbook(access.students_visible_to(self.actor))
        return xlsx_response(content, f"{self.actor.school.name}学生名册.xlsx")


class GradeStudentsExportView(ActorMixin, View):
    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL)

    def get(self, request, pk):
        grade = get_object_or_404(access.grades_visible_to(self.actor), pk=pk)
        students = access.students_visible_to(self.actor).filter(homeroom__grade=grade)
        content = exports.students_workbook(students, title=grade.name)
        return xlsx_response(content, f"{grade.name}学生名册.xlsx")


class HomeroomStudentsExportView(ActorMixin, View):
    """A homeroom teacher exports their own homeroom; any other answers 404."""

    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL, Role.HOMEROOM_TEACHER)

    def get(self, request, pk):
        homeroom = get_object_or_404(access.homerooms_visible_to(self.actor), pk=pk)
        students = access.students_visible_to(self.actor).filter(homeroom=homeroom)
        content = exports.students_workbook(students, title=roster.homeroom_label(homeroom))
        return xlsx_response(content, f"{roster.homeroom_label(homeroom)}学生名册.xlsx")


class StaffExportView(ActorMixin, View):
    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL)

    def get(self, request):
        # Staff's own numbers, not children's: the office keeps them whole (the staff import
        # is keyed by them); the principal's file is masked.
        content = exports.staff_workbook(access.staff_visible_to(self.actor),
                                         full_phones=self.actor.is_coordinator)
        return xlsx_response(content, f"{self.actor.school.name}教职工名册.xlsx")
