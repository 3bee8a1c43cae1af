"""The 公示 pages: the months and their versions, a build on demand with its progress, the page
itself (printable on A4 for the notice board) and each version's .xlsx."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from afterschool.exceptions import DomainError
from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.params import parse_id
from afterschool.xlsx import xlsx_response

from .. import exceptions as e
from ..access import may_read_publications, publication_jobs_visible_to, publications_visible_to
from ..display import JOB_TONE, month_label
from ..months import parse_month, previous_month
from ..services import publication_request
from ..services.publications import STEPS, progress_of


class PublicationAccess(ActorMixin):
    """Every member of staff of the school: the 公示 is their notice board."""

    def check(self):
        if not may_read_publications(self.actor):
            raise PermissionDenied("您没有权限访问此页面。")


class PublicationListView(PublicationAccess, TemplateView):
    template_name = "evaluation/publications.html"

    def get_context_data(self, **kwargs):
        self.check()
        months = list(publications_visible_to(self.actor).values("month")
                      .annotate(latest=Max("version"), built=Max("built_at")).order_by("-month")[:24])
        for row in months:
            row["label"] = month_label(row["month"])
        jobs = list(publication_jobs_visible_to(self.actor).select_related("requested_by")
                    .order_by("-created_at")[:10])
        return super().get_context_data(
            months=months, jobs=jobs, job_tone=JOB_TONE,
            may_build=self.actor.has(Role.COORDINATOR),
            default_month=previous_month(timezone.localdate()), **kwargs)

    def post(self, request):
        self.check()
        try:
            month = parse_month(request.POST.get("month"))
            job = publication_request(actor=self.actor, school=self.actor.school, month=month)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("evaluation:publications")
        return redirect("evaluation:publication_job", pk=job.pk)


class PublicationJobView(ActorMixin, TemplateView):
    """A build's progress; the status part refreshes itself (htmx) until it is done."""

    allowed_roles = (Role.COORDINATOR, Role.PRINCIPAL)
    template_name = "evaluation/publication_job.html"

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["evaluation/_publication_job_status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        job = get_object_or_404(publication_jobs_visible_to(self.actor)
                                .select_related("requested_by"), pk=self.kwargs["pk"])
        publication = getattr(job, "publication", None) if job.status == "done" else None
        progress = progress_of(job) if job.status == "running" else None
        return super().get_context_data(
            job=job, publication=publication, progress=progress, steps=STEPS,
            month_text=month_label(job.month), tone=JOB_TONE, **kwargs)


class PublicationView(PublicationAccess, TemplateView):
    """One month's 公示: the latest version, or ``?version=N``; earlier ones to download."""

    template_name = "evaluation/publication.html"

    def get_context_data(self, **kwargs):
        self.check()
        try:
            month = parse_month(self.kwargs["month"])
        except e.EvaluationError:
            raise Http404("月份无效。") from None
        versions = list(publications_visible_to(self.actor).filter(month=month)
                        .defer("workbook", "content").order_by("-version"))
        if not versions:
            raise Http404("这个月还没有公示。")
        wanted = parse_id(self.request.GET.get("version"))
        chosen = next((v for v in versions if v.version == wanted), versions[0])
        publication = publications_visible_to(self.actor).defer("workbook").get(pk=chosen.pk)
        return super().get_context_data(
            publication=publication, content=publication.content, versions=versions,
            latest=versions[0], month_text=month_label(month), **kwargs)


class PublicationXlsxView(PublicationAccess, View):
    def get(self, request, pk):
        self.check()
        publication = get_object_or_404(publications_visible_to(self.actor), pk=pk)
        name = f"{publication.school.name}-{publication.month:%Y年%m月}课后服务公示-第{publication.version}版.xlsx"
        return xlsx_response(bytes(publication.workbook), name,
                             fallback=f"publication-{publication.month:%Y-%m}-v{publication.version}.xlsx")

