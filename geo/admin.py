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
