from django.urls import path

from .views import assessments, publications, statements

app_name = "evaluation"

urlpatterns = [
    path("my/", statements.MyEvaluationView.as_view(), name="my"),
    path("statements/", statements.StatementListView.as_view(), name="statements"),
    path("statements/payroll/", statements.PayrollView.as_view(), name="payroll"),
    path("statements/<int:pk>/", statements.StatementDetailView.as_view(), name="statement"),
    path("statements/<int:pk>/confirm/", statements.StatementConfirmView.as_view(),
         name="statement_confirm"),
    path("statements/<int:pk>/dispute/", statements.StatementDisputeView.as_view(),
         name="statement_dispute"),
    path("statements/<int:pk>/finalize/", statements.StatementFinalizeView.as_view(),
         name="statement_finalize"),
    path("lines/<int:pk>/resolve/", statements.LineResolveView.as_view(), name="line_resolve"),
    path("settings/", assessments.SettingsView.as_view(), name="settings"),
    path("assessments/", assessments.AssessmentListView.as_view(), name="assessments"),
    path("assessments/<int:pk>/", assessments.AssessmentDetailView.as_view(),
         name="assessment"),
    path("assessments/entries/<int:pk>/", assessments.AssessmentEntryView.as_view(),
         name="assessment_entry"),
    path("publications/", publications.PublicationListView.as_view(), name="publications"),
    path("publications/jobs/<int:pk>/", publications.PublicationJobView.as_view(),
         name="publication_job"),
    path("publications/<str:month>/", publications.PublicationView.as_view(),
         name="publication"),
    path("publications/versions/<int:pk>/xlsx/", publications.PublicationXlsxView.as_view(),
         name="publication_xlsx"),
]
