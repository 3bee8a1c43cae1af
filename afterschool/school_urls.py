from django.urls import path

from . import notice_views, roster_views, views

app_name = "school"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("switch-school/", views.SwitchSchoolView.as_view(), name="switch_school"),
    path("notices/read/", views.NoticeReadView.as_view(), name="notice_read"),
    path("notices/settings/", notice_views.NoticePreferenceView.as_view(),
         name="notice_preferences"),
    path("notices/deliveries/", notice_views.DeliveryListView.as_view(), name="deliveries"),
    path("notices/deliveries/retry/", notice_views.DeliveryRetryView.as_view(),
         name="delivery_retry"),
    path("homerooms/", views.HomeroomListView.as_view(), name="homeroom_list"),
    path("homerooms/<int:pk>/", views.HomeroomDetailView.as_view(), name="homeroom_detail"),
    path("homerooms/<int:pk>/letters/", views.LettersView.as_view(), name="letters"),
    path("students/", views.StudentListView.as_view(), name="student_list"),
    path("staff/", views.StaffListView.as_view(), name="staff_list"),
    path("staff/<int:pk>/reset-password/", views.StaffResetPasswordView.as_view(),
         name="staff_reset_password"),
    path("guardians/<int:pk>/reset-activation/", views.GuardianResetActivationView.as_view(),
         name="guardian_reset_activation"),
    path("account/links/", views.AccountLinksView.as_view(), name="account_links"),
    path("account/events/", views.AccountEventListView.as_view(), name="account_events"),
    # Rosters: import (with progress), export, templates.
    path("roster/import/", roster_views.RosterUploadView.as_view(), name="roster_upload"),
    path("roster/import/<int:pk>/", roster_views.ImportJobView.as_view(), name="roster_job"),
    path("roster/import/<int:pk>/status/", roster_views.ImportJobStatusView.as_view(),
         name="roster_job_status"),
    path("roster/import/<int:pk>/restart/", roster_views.ImportJobRestartView.as_view(),
         name="roster_job_restart"),
    path("roster/import/<int:pk>/confirm/", roster_views.ImportJobConfirmView.as_view(),
         name="roster_job_confirm"),
    path("roster/import/<int:pk>/cancel/", roster_views.ImportJobCancelView.as_view(),
         name="roster_job_cancel"),
    path("roster/template/<slug:kind>/", roster_views.RosterTemplateView.as_view(),
         name="roster_template"),
    path("roster/export/", roster_views.RosterExportView.as_view(), name="roster_export"),
    path("roster/export/students/", roster_views.SchoolStudentsExportView.as_view(),
         name="roster_export_school"),
    path("roster/export/grades/<int:pk>/", roster_views.GradeStudentsExportView.as_view(),
         name="roster_export_grade"),
    path("roster/export/staff/", roster_views.StaffExportView.as_view(),
         name="roster_export_staff"),
    path("homerooms/<int:pk>/export/", roster_views.HomeroomStudentsExportView.as_view(),
         name="roster_export_homeroom"),
]
