from django.urls import path

from .views import capacity

app_name = "dashboards"

urlpatterns = [
    path("capacity/", capacity.CapacityView.as_view(), name="capacity"),
]
