from django.urls import path

from . import views as v

# Included at /courses/arrangement/ (the address families and the office already know).
app_name = "arrangement"

urlpatterns = [
    path("", v.ArrangementListView.as_view(), name="list"),
    path("start/", v.ArrangementStartView.as_view(), name="start"),
    path("compare/", v.ArrangementCompareView.as_view(), name="compare"),
    path("homeroom-mode/", v.HomeroomModeView.as_view(), name="homeroom_mode"),
    path("homeroom-mode/<int:pk>/end/", v.HomeroomModeEndView.as_view(), name="homeroom_mode_end"),
    path("my-schedule/", v.MyScheduleView.as_view(), name="my_schedule"),
    path("my-sections/", v.MySectionsView.as_view(), name="my_sections"),
    path("<int:pk>/", v.ArrangementDetailView.as_view(), name="detail"),
    path("<int:pk>/progress/", v.ArrangementProgressView.as_view(), name="progress"),
    path("<int:pk>/publish/", v.ArrangementPublishView.as_view(), name="publish"),
    path("<int:pk>/fill/", v.FillFreedSeatsView.as_view(), name="fill"),
    path("<int:pk>/export/", v.ArrangementExportView.as_view(), name="export"),
    path("<int:pk>/homework/", v.HomeworkGroupsView.as_view(), name="homework"),
    path("<int:pk>/adjust/", v.ArrangementAdjustView.as_view(), name="adjust"),
    path("<int:pk>/adjust/tutor/", v.SectionTutorView.as_view(), name="section_tutor"),
    path("<int:pk>/adjust/<int:item>/move/", v.PlacementMoveView.as_view(), name="move"),
    path("<int:pk>/adjust/<int:item>/swap/", v.PlacementSwapView.as_view(), name="swap"),
    path("<int:pk>/adjust/<int:item>/swap/options/", v.SwapOptionsView.as_view(),
         name="swap_options"),
    path("<int:pk>/adjust/<int:item>/remove/", v.PlacementRemoveView.as_view(), name="remove"),
    path("<int:pk>/adjust/<int:item>/place/", v.PlacementCreateView.as_view(), name="place"),
    path("<int:pk>/sections/<int:section>/roster/", v.SectionRosterView.as_view(),
         name="section_roster"),
    path("<int:pk>/homework/<int:group>/roster/", v.HomeworkRosterView.as_view(),
         name="homework_roster"),
    path("<int:pk>/homerooms/<int:homeroom>/roster/",
         v.HomeroomRosterView.as_view(), name="homeroom_roster"),
]
