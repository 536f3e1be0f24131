from django.contrib.gis import admin

from geo.models import AdminArea
from geo.widgets import OfflineMapWidget


@admin.register(AdminArea)
class AdminAreaAdmin(admin.GISModelAdmin):
    gis_widget = OfflineMapWidget  # Django's default loads OpenLayers and map tiles from other origins
    list_display = ["name_uk", "name_en", "level", "code", "parent"]
    list_filter = ["level"]
    search_fields = ["name_uk", "name_en", "code"]
    autocomplete_fields = ["parent"]

    # Boundaries come from `manage.py import_admin_areas`, which re-assigns incidents with them; a
    # hand edit here would change incidents' areas with no audit entry. The admin shows each area on
    # its map and refuses any change.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return request.method in ("GET", "HEAD")  # the page with the map, never a save

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        no_saving = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **no_saving})
