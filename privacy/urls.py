from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.MineView.as_view(), name="mine"),
    path("download/", views.DownloadView.as_view(), name="download"),
    path("requests/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("office/", views.OfficeListView.as_view(), name="office"),
    path("office/retention/", views.RetentionView.as_view(), name="retention"),
    path("office/<int:pk>/", views.OfficeDetailView.as_view(), name="office_detail"),
]
