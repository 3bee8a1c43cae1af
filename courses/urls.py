from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("catalog/", views.CatalogListView.as_view(), name="catalog_list"),
    path("catalog/new/", views.CourseCreateView.as_view(), name="catalog_course_create"),
    path("catalog/browse/", views.CatalogBrowseView.as_view(), name="catalog_browse"),
    path("catalog/staffing/", views.StaffingView.as_view(), name="catalog_staffing"),
    path("catalog/staffing/apply/", views.StaffingApplyView.as_view(),
         name="catalog_staffing_apply"),
    path("catalog/<int:pk>/", views.CourseDetailView.as_view(), name="catalog_course"),
    path("catalog/<int:pk>/edit/", views.CourseUpdateView.as_view(), name="catalog_course_update"),
    path("catalog/<int:pk>/active/", views.CourseActiveView.as_view(),
         name="catalog_course_active"),
    path("catalog/<int:pk>/delete/", views.CourseDeleteView.as_view(),
         name="catalog_course_delete"),
    path("catalog/<int:pk>/sections/new/", views.SectionCreateView.as_view(),
         name="catalog_section_create"),
    path("catalog/<int:pk>/sections/generate/", views.GenerateSectionsView.as_view(),
         name="catalog_section_generate"),
    path("catalog/sections/<int:pk>/edit/", views.SectionUpdateView.as_view(),
         name="catalog_section_update"),
    path("catalog/sections/<int:pk>/tutors/", views.SectionTutorsView.as_view(),
         name="catalog_section_tutors"),
    path("catalog/sections/<int:pk>/delete/", views.SectionDeleteView.as_view(),
         name="catalog_section_delete"),
]
