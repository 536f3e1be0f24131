from django.contrib.gis import admin

from geo.models import AdminArea


@admin.register(AdminArea)
class AdminAreaAdmin(admin.GISModelAdmin):
    list_display = ["name_uk", "name_en", "level", "code", "parent"]
    list_filter = ["level"]
    search_fields = ["name_uk", "name_en", "code"]
    autocomplete_fields = ["parent"]
