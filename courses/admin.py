from django.contrib import admin

from .models import Course, Section, SectionSlot


class SectionSlotInline(admin.TabularInline):
    model = SectionSlot
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "term", "school", "mode", "is_fixed", "is_active"]
    list_filter = ["school", "term", "category", "mode", "is_fixed", "is_active"]
    list_select_related = ["term", "school"]
    search_fields = ["name", "category"]
    filter_horizontal = ["grades"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "capacity", "venue", "homeroom"]
    list_filter = ["course__school", "course__term"]
    list_select_related = ["course", "homeroom__grade"]
    search_fields = ["name", "course__name", "venue"]
    filter_horizontal = ["tutors"]
    inlines = [SectionSlotInline]
