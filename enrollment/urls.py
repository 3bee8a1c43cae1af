from django.urls import path

from . import privacy_views, views

app_name = "enrollment"

urlpatterns = [
    path("", views.MyApplicationsView.as_view(), name="my"),
    path("start/<int:student_pk>/", views.StartView.as_view(), name="start"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="detail"),
    path("applications/<int:pk>/edit/", views.ApplicationEditView.as_view(), name="edit"),
    path("applications/<int:pk>/sign/", views.ApplicationSignView.as_view(), name="sign"),
    path("applications/<int:pk>/withdraw/", views.ApplicationWithdrawView.as_view(),
         name="withdraw"),
    path("applications/<int:pk>/rejoin/", views.ApplicationRejoinView.as_view(), name="rejoin"),
    path("applications/<int:pk>/review/", views.ApplicationReviewView.as_view(), name="review_one"),
    path("review/", views.ReviewQueueView.as_view(), name="review"),
    path("review/approve/", views.BulkApproveView.as_view(), name="bulk_approve"),
    path("review/remind/", views.FamiliesRemindView.as_view(), name="remind"),
    path("statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("statistics/export/", views.StatisticsExportView.as_view(), name="statistics_export"),
    path("settings/", views.TermSettingsView.as_view(), name="settings"),
    path("privacy-notice/", privacy_views.PrivacyNoticeView.as_view(), name="privacy_notice"),
    path("privacy-notice/publish/", privacy_views.PrivacyNoticePublishView.as_view(),
         name="privacy_notice_publish"),
    path("privacy-consent/<int:student_pk>/", privacy_views.ChildConsentView.as_view(),
         name="privacy_child"),
    path("privacy-consent/<int:student_pk>/withdraw/<str:kind>/",
         privacy_views.ConsentWithdrawView.as_view(), name="privacy_withdraw"),
]
