"""Read-mostly admin: status changes go through the services, never through this form."""

from django.contrib import admin

from . import models


@admin.register(models.Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["term", "version", "published_at", "published_by"]
    list_filter = ["term__school"]
    readonly_fields = ["published_at", "published_by"]


class PreferenceInline(admin.TabularInline):
    model = models.Preference
    extra = 0
    raw_id_fields = ["course"]


class PickupPersonInline(admin.TabularInline):
    model = models.PickupPerson
    extra = 0


class SignatureInline(admin.TabularInline):
    model = models.Signature
    extra = 0
    readonly_fields = ["agreement", "signed_by", "signed_name", "signed_at", "ip_address"]
    can_delete = False


class TransitionInline(admin.TabularInline):
    model = models.ApplicationTransition
    extra = 0
    readonly_fields = ["from_status", "to_status", "actor", "actor_role", "at", "comment",
                       "notified_at"]
    can_delete = False


@admin.register(models.Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["student", "term", "status", "participates", "submitted_at"]
    list_filter = ["status", "participates", "term__school"]
    search_fields = ["student__name", "student__student_no"]
    list_select_related = ["student", "term"]
    raw_id_fields = ["student", "created_by"]
    # The workflow has one door (services.application_transition): not this form.
    readonly_fields = ["status", "status_changed_at", "submitted_at", "revision",
                       "decision_comment", "withdrawn_on", "withdraw_reason"]
    inlines = [PreferenceInline, PickupPersonInline, SignatureInline, TransitionInline]


@admin.register(models.PrivacyNotice)
class PrivacyNoticeAdmin(admin.ModelAdmin):
    list_display = ["school", "version", "published_at", "published_by"]
    list_filter = ["school"]
    readonly_fields = ["published_at", "published_by"]


@admin.register(models.PrivacyConsent)
class PrivacyConsentAdmin(admin.ModelAdmin):
    """A record of what a family said: read here, given and withdrawn only by the family."""

    list_display = ["student", "kind", "notice", "guardian", "given_at", "withdrawn_at"]
    list_filter = ["kind", "notice__school"]
    raw_id_fields = ["student"]
    list_select_related = ["student", "notice__school", "guardian"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
