from django.urls import path

from . import views as v

app_name = "courses"

urlpatterns = [
    path("catalog/", v.CatalogListView.as_view(), name="catalog_list"),
    path("catalog/new/", v.CourseCreateView.as_view(), name="catalog_course_create"),
    path("catalog/browse/", v.CatalogBrowseView.as_view(), name="catalog_browse"),
    path("catalog/staffing/", v.StaffingView.as_view(), name="catalog_staffing"),
    path("catalog/staffing/apply/", v.StaffingApplyView.as_view(),
         name="catalog_staffing_apply"),
    path("catalog/<int:pk>/", v.CourseDetailView.as_view(), name="catalog_course"),
    path("catalog/<int:pk>/edit/", v.CourseUpdateView.as_view(), name="catalog_course_update"),
    path("catalog/<int:pk>/active/", v.CourseActiveView.as_view(),
         name="catalog_course_active"),
    path("catalog/<int:pk>/delete/", v.CourseDeleteView.as_view(),
         name="catalog_course_delete"),
    path("catalog/<int:pk>/sections/new/", v.SectionCreateView.as_view(),
         name="catalog_section_create"),
    path("catalog/<int:pk>/sections/generate/", v.GenerateSectionsView.as_view(),
         name="catalog_section_generate"),
    path("catalog/sections/<int:pk>/edit/", v.SectionUpdateView.as_view(),
         name="catalog_section_update"),
    path("catalog/sections/<int:pk>/tutors/", v.SectionTutorsView.as_view(),
         name="catalog_section_tutors"),
    path("catalog/sections/<int:pk>/delete/", v.SectionDeleteView.as_view(),
         name="catalog_section_delete"),
]
