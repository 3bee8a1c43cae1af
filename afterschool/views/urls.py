from django.urls import path

from . import accounts, notices, roster, school

app_name = "school"

urlpatterns = [
    path("", school.HomeView.as_view(), name="home"),
    path("switch-school/", accounts.SwitchSchoolView.as_view(), name="switch_school"),
    path("notices/read/", notices.NoticeReadView.as_view(), name="notice_read"),
    path("notices/settings/", notices.NoticePreferenceView.as_view(),
         name="notice_preferences"),
    path("notices/deliveries/", notices.DeliveryListView.as_view(), name="deliveries"),
    path("notices/deliveries/retry/", notices.DeliveryRetryView.as_view(),
         name="delivery_retry"),
    path("homerooms/", school.HomeroomListView.as_view(), name="homeroom_list"),
    path("homerooms/<int:pk>/", school.HomeroomDetailView.as_view(), name="homeroom_detail"),
    path("homerooms/<int:pk>/letters/", school.LettersView.as_view(), name="letters"),
    path("students/", school.StudentListView.as_view(), name="student_list"),
    path("staff/", school.StaffListView.as_view(), name="staff_list"),
    path("staff/<int:pk>/reset-password/", accounts.StaffResetPasswordView.as_view(),
         name="staff_reset_password"),
    path("guardians/<int:pk>/reset-activation/", accounts.GuardianResetActivationView.as_view(),
         name="guardian_reset_activation"),
    path("account/links/", accounts.AccountLinksView.as_view(), name="account_links"),
    path("account/events/", accounts.AccountEventListView.as_view(), name="account_events"),
    # Rosters: import (with progress), export, templates.
    path("roster/import/", roster.RosterUploadView.as_view(), name="roster_upload"),
    path("roster/import/<int:pk>/", roster.ImportJobView.as_view(), name="roster_job"),
    path("roster/import/<int:pk>/status/", roster.ImportJobStatusView.as_view(),
         name="roster_job_status"),
    path("roster/import/<int:pk>/restart/", roster.ImportJobRestartView.as_view(),
         name="roster_job_restart"),
    path("roster/import/<int:pk>/confirm/", roster.ImportJobConfirmView.as_view(),
         name="roster_job_confirm"),
    path("roster/import/<int:pk>/cancel/", roster.ImportJobCancelView.as_view(),
         name="roster_job_cancel"),
    path("roster/template/<slug:kind>/", roster.RosterTemplateView.as_view(),
         name="roster_template"),
    path("roster/export/", roster.RosterExportView.as_view(), name="roster_export"),
    path("roster/export/students/", roster.SchoolStudentsExportView.as_view(),
         name="roster_export_school"),
    path("roster/export/grades/<int:pk>/", roster.GradeStudentsExportView.as_view(),
         name="roster_export_grade"),
    path("roster/export/staff/", roster.StaffExportView.as_view(),
         name="roster_export_staff"),
    path("homerooms/<int:pk>/export/", roster.HomeroomStudentsExportView.as_view(),
         name="roster_export_homeroom"),
]
