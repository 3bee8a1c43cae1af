from django.urls import path  # noqa: F401

app_name = "attendance"

# Part A (calendar, lessons, roll call, board, records, corrections) and part B (leave, alerts)
# each add their own block of paths below.
urlpatterns = []
