from django.urls import path

from . import views

app_name = "school"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("switch-school/", views.SwitchSchoolView.as_view(), name="switch_school"),
    path("notices/read/", views.NoticeReadView.as_view(), name="notice_read"),
    path("homerooms/", views.HomeroomListView.as_view(), name="homeroom_list"),
    path("homerooms/<int:pk>/", views.HomeroomDetailView.as_view(), name="homeroom_detail"),
    path("homerooms/<int:pk>/letters/", views.LettersView.as_view(), name="letters"),
    path("students/", views.StudentListView.as_view(), name="student_list"),
    path("staff/", views.StaffListView.as_view(), name="staff_list"),
    path("staff/<int:pk>/reset-password/", views.StaffResetPasswordView.as_view(),
         name="staff_reset_password"),
    path("guardians/<int:pk>/reset-activation/", views.GuardianResetActivationView.as_view(),
         name="guardian_reset_activation"),
]
