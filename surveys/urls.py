from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.SurveyListView.as_view(), name="list"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("my/", views.MySurveysView.as_view(), name="my"),
    path("<int:pk>/", views.SurveyDetailView.as_view(), name="detail"),
    path("<int:pk>/questions/", views.QuestionAddView.as_view(), name="question_add"),
    path("<int:pk>/questions/<int:question>/", views.QuestionView.as_view(), name="question"),
    path("<int:pk>/move/", views.SurveyMoveView.as_view(), name="move"),
    path("<int:pk>/results/", views.ResultsView.as_view(), name="results"),
    path("<int:pk>/answer/<int:student_pk>/", views.AnswerView.as_view(), name="answer"),
]
