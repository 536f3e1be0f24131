from django.contrib import admin

from evidence.models import AuditEntry, Case, CaseMembership


class CaseMembershipInline(admin.TabularInline):
    model = CaseMembership
    extra = 0
    fk_name = "case"
    autocomplete_fields = ["user"]
    readonly_fields = ["added_at", "added_by"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "created_at", "created_by"]
    search_fields = ["reference", "title"]
    readonly_fields = ["public_id", "created_at", "created_by"]
    inlines = [CaseMembershipInline]


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
