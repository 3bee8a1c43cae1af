from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import models


@admin.register(models.User)
class UserAdmin(BaseUserAdmin):
    ordering = ["phone"]
    list_display = ["phone", "name", "is_active", "is_staff"]
    search_fields = ["phone", "name"]
    fieldsets = [
        (None, {"fields": ["phone", "name", "email", "password"]}),
        ("权限", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [(None, {"fields": ["phone", "name", "password1", "password2"]})]


@admin.register(models.School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "district"]


class PeriodInline(admin.TabularInline):
    model = models.Period
    extra = 0


@admin.register(models.Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["name", "school", "start_date", "end_date", "is_current"]
    list_filter = ["school"]
    inlines = [PeriodInline]


@admin.register(models.Homeroom)
class HomeroomAdmin(admin.ModelAdmin):
    list_display = ["__str__", "school", "head_teacher"]
    list_filter = ["school", "grade"]
    list_select_related = ["grade", "school", "head_teacher"]


@admin.register(models.Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ["student_no", "name", "homeroom", "is_boarder"]
    search_fields = ["student_no", "name"]
    list_select_related = ["homeroom__grade"]


@admin.register(models.Guardian)
class GuardianAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "school", "activated_at"]
    search_fields = ["name", "phone"]


@admin.register(models.Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "school", "subjects", "is_external"]
    search_fields = ["name", "phone"]


@admin.register(models.RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "school", "district", "title"]
    list_filter = ["role"]


admin.site.register(models.Grade)


@admin.register(models.ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    # The uploaded roster is private and has no URL (afterschool/storage.py): no file field.
    exclude = ["file"]
    list_display = ["original_name", "school", "kind", "status", "created_at"]
