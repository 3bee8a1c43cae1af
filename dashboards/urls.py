from django.urls import path

from .views import capacity, district, plans, principal

app_name = "dashboards"

urlpatterns = [
    path("", principal.PrincipalView.as_view(), name="principal"),
    path("refresh/", principal.RefreshView.as_view(), name="refresh"),
    path("grades/<int:pk>/", principal.GradeView.as_view(), name="grade"),
    path("homerooms/<int:pk>/", principal.HomeroomView.as_view(), name="homeroom"),
    path("capacity/", capacity.CapacityView.as_view(), name="capacity"),
    path("district/", district.DistrictView.as_view(), name="district"),
    path("district/schools/<int:pk>/", district.DistrictSchoolView.as_view(),
         name="district_school"),
    path("plans/", plans.PlanListView.as_view(), name="plans"),
    path("plans/<int:pk>/", plans.PlanDetailView.as_view(), name="plan"),
]
