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
        ("权限", {"fields": ["is_active", "is_staff", "is_superuser", "groups",
                           "must_change_password"]}),
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
    list_display = ["name", "phone", "school", "letter_printed_at", "activated_at"]
    search_fields = ["name", "phone"]
    readonly_fields = ["letter_printed_at", "activation_expires_at", "activation_used_at",
                       "activated_at"]


@admin.register(models.Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "school", "subjects", "is_external"]
    search_fields = ["name", "phone"]


@admin.register(models.RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "school", "district", "title"]
    list_filter = ["role"]


@admin.register(models.AccountLink)
class AccountLinkAdmin(admin.ModelAdmin):
    list_display = ["user", "school", "staff", "guardian", "status", "created_at", "decided_at"]
    list_filter = ["status", "school"]
    list_select_related = ["user", "school", "staff", "guardian"]
    raw_id_fields = ["user", "staff", "guardian", "requested_by"]


@admin.register(models.AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):
    """The record is evidence: read here, never written or deleted by hand."""

    list_display = ["at", "kind", "school", "actor", "target", "ip_address", "detail"]
    list_filter = ["kind", "school"]
    list_select_related = ["school", "actor", "target"]
    search_fields = ["target__phone", "actor__phone", "ip_address"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(models.Grade)


@admin.register(models.ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    # The uploaded roster is private and has no URL (afterschool/storage.py): no file field.
    exclude = ["file"]
    list_display = ["original_name", "school", "kind", "status", "created_at"]
