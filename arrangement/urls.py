from django.urls import path

from . import views

# Included at /courses/arrangement/ (the address families and the office already know).
app_name = "arrangement"

urlpatterns = [
    path("", views.ArrangementListView.as_view(), name="list"),
    path("start/", views.ArrangementStartView.as_view(), name="start"),
    path("compare/", views.ArrangementCompareView.as_view(), name="compare"),
    path("homeroom-mode/", views.HomeroomModeView.as_view(), name="homeroom_mode"),
    path("homeroom-mode/<int:pk>/end/", views.HomeroomModeEndView.as_view(),
         name="homeroom_mode_end"),
    path("my-schedule/", views.MyScheduleView.as_view(), name="my_schedule"),
    path("my-sections/", views.MySectionsView.as_view(), name="my_sections"),
    path("<int:pk>/", views.ArrangementDetailView.as_view(), name="detail"),
    path("<int:pk>/progress/", views.ArrangementProgressView.as_view(), name="progress"),
    path("<int:pk>/publish/", views.ArrangementPublishView.as_view(), name="publish"),
    path("<int:pk>/fill/", views.FillFreedSeatsView.as_view(), name="fill"),
    path("<int:pk>/export/", views.ArrangementExportView.as_view(), name="export"),
    path("<int:pk>/homework/", views.HomeworkGroupsView.as_view(), name="homework"),
    path("<int:pk>/adjust/", views.ArrangementAdjustView.as_view(), name="adjust"),
    path("<int:pk>/adjust/tutor/", views.SectionTutorView.as_view(), name="section_tutor"),
    path("<int:pk>/adjust/<int:item>/move/", views.PlacementMoveView.as_view(), name="move"),
    path("<int:pk>/adjust/<int:item>/swap/", views.PlacementSwapView.as_view(), name="swap"),
    path("<int:pk>/adjust/<int:item>/swap/options/", views.SwapOptionsView.as_view(),
         name="swap_options"),
    path("<int:pk>/adjust/<int:item>/remove/", views.PlacementRemoveView.as_view(), name="remove"),
    path("<int:pk>/adjust/<int:item>/place/", views.PlacementCreateView.as_view(), name="place"),
    path("<int:pk>/sections/<int:section>/roster/", views.SectionRosterView.as_view(),
         name="section_roster"),
    path("<int:pk>/homework/<int:group>/roster/", views.HomeworkRosterView.as_view(),
         name="homework_roster"),
    path("<int:pk>/homerooms/<int:homeroom>/roster/",
         views.HomeroomRosterView.as_view(), name="homeroom_roster"),
]
