from django.urls import path  # noqa: F401

app_name = "attendance"

# Part A (calendar, lessons, roll call, board, records, corrections) and part B (leave, alerts)
# each add their own block of paths below.
urlpatterns = []

# ---- part A: the calendar, lessons and roll call, the live board, records and corrections
from .views import board as board_views  # noqa: E402
from .views import calendar as calendar_views  # noqa: E402
from .views import lessons as lesson_views  # noqa: E402
from .views import records as record_views  # noqa: E402
from .views import substitutions as substitution_views  # noqa: E402

urlpatterns += [
    path("", lesson_views.TodayView.as_view(), name="today"),
    path("lessons/", record_views.MyLessonsView.as_view(), name="my_lessons"),
    path("lessons/<int:pk>/", lesson_views.RollCallView.as_view(), name="roll_call"),
    path("board/", board_views.BoardView.as_view(), name="board"),
    path("board/live/", board_views.BoardLiveView.as_view(), name="board_live"),
    path("calendar/", calendar_views.CalendarView.as_view(), name="calendar"),
    path("calendar/<int:pk>/delete/", calendar_views.CalendarDeleteView.as_view(),
         name="calendar_delete"),
    path("calendar/regenerate/", calendar_views.RegenerateView.as_view(), name="regenerate"),
    path("substitutions/", substitution_views.SubstitutionListView.as_view(),
         name="substitutions"),
    path("substitutions/<int:pk>/cancel/", substitution_views.SubstitutionCancelView.as_view(),
         name="substitution_cancel"),
    path("homerooms/", record_views.MyHomeroomsView.as_view(), name="my_homeroom"),
    path("homerooms/<int:pk>/day/", record_views.HomeroomDayView.as_view(),
         name="homeroom_day"),
    path("homerooms/<int:pk>/month/", record_views.HomeroomMonthView.as_view(),
         name="homeroom_month"),
    path("records/", record_views.RecordsReportView.as_view(), name="records"),
    path("records/<int:pk>/correct/", record_views.CorrectionView.as_view(), name="correct"),
]

# ---- part B: leave, absence alerts, a family's view and a child's records
from .views import alerts as alert_views  # noqa: E402
from .views import guardian as guardian_views  # noqa: E402
from .views import leave as leave_views  # noqa: E402

urlpatterns += [
    path("my/", guardian_views.MyAttendanceView.as_view(), name="my"),
    path("students/<int:pk>/", guardian_views.StudentHistoryView.as_view(),
         name="student_history"),
    path("students/<int:pk>/<str:day>/", guardian_views.StudentDayView.as_view(),
         name="student_day"),
    path("leave/", leave_views.LeaveQueueView.as_view(), name="leave_queue"),
    path("leave/new/<int:student_pk>/", leave_views.LeaveCreateView.as_view(), name="leave_new"),
    path("leave/<int:pk>/", leave_views.LeaveDetailView.as_view(), name="leave_detail"),
    path("leave/<int:pk>/move/", leave_views.LeaveMoveView.as_view(), name="leave_move"),
    path("alerts/", alert_views.AlertListView.as_view(), name="alert_list"),
    path("alerts/<int:pk>/", alert_views.AlertDetailView.as_view(), name="alert_detail"),
    path("alerts/<int:pk>/handle/", alert_views.AlertHandleView.as_view(), name="alert_handle"),
]

# ---- dismissal (放学交接): the tutor's page of a lesson, the duty teacher's campus page, the
# guardian's QR code target, the family's page of a child
from .views import dismissal as dismissal_views  # noqa: E402

urlpatterns += [
    path("lessons/<int:pk>/dismissal/", dismissal_views.DismissalView.as_view(),
         name="dismissal"),
    path("dismissal/", dismissal_views.CampusDismissalView.as_view(), name="dismissal_campus"),
    path("dismissal/scan/", dismissal_views.PickupScanView.as_view(), name="pickup_scan"),
    path("pickup/<int:student_pk>/", dismissal_views.PickupView.as_view(), name="pickup"),
]
