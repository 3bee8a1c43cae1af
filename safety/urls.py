from django.urls import path

from .views import follow_ups, patrols, roster, swaps

app_name = "safety"

urlpatterns = [
    path("", roster.DutyHomeView.as_view(), name="home"),
    path("roster/", roster.RosterView.as_view(), name="roster"),
    path("roster/generate/", roster.RosterGenerateView.as_view(), name="roster_generate"),
    path("roster/export/", roster.RosterExportView.as_view(), name="roster_export"),
    path("settings/", roster.PolicyView.as_view(), name="settings"),
    path("unavailable/", roster.UnavailabilityView.as_view(), name="unavailable"),
    path("swaps/", swaps.SwapListView.as_view(), name="swaps"),
    path("swaps/new/<int:pk>/", swaps.SwapCreateView.as_view(), name="swap_new"),
    path("swaps/<int:pk>/move/", swaps.SwapMoveView.as_view(), name="swap_move"),
    path("patrols/", patrols.PatrolListView.as_view(), name="patrols"),
    path("patrols/new/", patrols.PatrolStartView.as_view(), name="patrol_new"),
    path("patrols/new/<int:lesson>/", patrols.PatrolFormView.as_view(), name="patrol_form"),
    path("patrols/<int:pk>/", patrols.PatrolDetailView.as_view(), name="patrol"),
    path("patrols/<int:pk>/photo/", patrols.PatrolPhotoView.as_view(), name="patrol_photo"),
    path("summary/", patrols.MonthSummaryView.as_view(), name="summary"),
    path("follow-ups/", follow_ups.FollowUpListView.as_view(), name="follow_ups"),
    path("follow-ups/<int:pk>/", follow_ups.FollowUpDetailView.as_view(), name="follow_up"),
    path("follow-ups/<int:pk>/move/", follow_ups.FollowUpMoveView.as_view(),
         name="follow_up_move"),
]
