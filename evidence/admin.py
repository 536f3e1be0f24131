"""The admin shows; it does not change. Every change goes through the services, which audit it, and
what the admin lists passes through the same need-to-know as the API (evidence.selectors.access)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from evidence.models import AuditEntry, Case, CaseMembership
from evidence.selectors.access import restrict_audit_to_user, restrict_to_user_cases


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

    def get_queryset(self, request):
        return restrict_to_user_cases(super().get_queryset(request), user=request.user, case_field="")

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

    def get_queryset(self, request):
        return restrict_audit_to_user(super().get_queryset(request), user=request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# What the admin would change without an audit entry, and around the services' rules:
# - accounts and groups (django.contrib.auth registers them): a superuser, or staff with auth.change_user,
#   could make anyone a superuser, set a password or deactivate an account, unaudited. Accounts are
#   managed through the audited API (/api/v1/users/), one's own password at /admin/password_change/
#   (evidence.admin_site, through the same service as the API's);
# - second factors: a device removed here would skip the current code that turning one off asks for.
#   Devices, like API tokens (never registered), are managed through the API.
for model in (get_user_model(), Group, TOTPDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
