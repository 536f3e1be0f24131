from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from evidence.models import AuditEntry, Case, CaseMembership


class CaseMembershipInline(admin.TabularInline):
    """Members are shown here but changed only through the API (`/api/v1/cases/{id}/members/`), whose
    service audits every change and keeps at least one lead in every case."""

    model = CaseMembership
    extra = 0
    fk_name = "case"
    fields = readonly_fields = ["user", "role", "added_at", "added_by"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases are created and changed through the API, whose services audit every change."""

    list_display = ["reference", "title", "time_zone", "created_at", "created_by"]
    search_fields = ["reference", "title"]
    readonly_fields = ["public_id", "created_at", "created_by"]
    inlines = [CaseMembershipInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "case", "action", "target"]
    list_filter = ["action"]
    search_fields = ["target", "action"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# A device removed in the admin would leave no audit entry, and skip the current code that turning the
# second factor off asks for: devices, like API tokens (never registered), are managed through the API.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
