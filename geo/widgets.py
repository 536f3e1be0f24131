"""The admin's map, from Slid's own files: nothing is loaded from another origin, so it works offline
and under the Content-Security-Policy.

Django's GIS widgets load OpenLayers from a CDN and draw their base map from a tile server. This one
loads OpenLayers 7.2.2 (the build Django's map script is written for) from the copy the workspace serves
(the package `ol` in web/vendor.json, fetched by scripts/vendor-assets), and draws, instead of tiles, a
graticule and the outline of the country (SLID_COUNTRY_OUTLINE, shipped with Slid). Its options reach the
script as JSON, not in an inline script."""

import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.gis.forms import OpenLayersWidget

VENDOR_MANIFEST = Path(settings.BASE_DIR) / "web" / "vendor.json"


def openlayers_folder() -> str:
    """The static folder of the OpenLayers that web/vendor.json pins: one copy for the admin and the
    workspace. Moving it to another version means checking the admin's map against Django's
    gis/js/OLMapWidget.js, which is written for 7.2.2."""
    (entry,) = (p for p in json.loads(VENDOR_MANIFEST.read_text())["packages"] if p["package"] == "ol")
    return f"web/vendor/ol-{entry['version']}"


OPENLAYERS = openlayers_folder()
# Where the map opens when there is no geometry yet: the middle of Ukraine.
DEFAULT_CENTRE = {"default_lon": 31.2, "default_lat": 48.4, "default_zoom": 5}


@cache
def country_outline(path: str) -> dict | None:
    """The country outline as GeoJSON, or None when there is none (the setting empty, the file missing)."""
    if not path or not Path(path).is_file():
        return None
    return json.loads(Path(path).read_text())


class OfflineMapWidget(OpenLayersWidget):
    template_name = "geo/offline_map.html"

    class Media:
        extend = False  # not OpenLayersWidget's files, which come from a CDN
        css = {"all": (f"{OPENLAYERS}/ol.css", "gis/css/ol3.css")}
        js = (f"{OPENLAYERS}/dist/ol.js", "gis/js/OLMapWidget.js", "geo/offline_map.js")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["map_options"] = {
            **DEFAULT_CENTRE,
            "geom_name": context["geom_type"],
            "id": context["id"],
            "map_id": f"{context['id']}_map",
            "map_srid": context["map_srid"],
            "name": context["name"],
            "module": context["module"],
            "outline": country_outline(getattr(settings, "SLID_COUNTRY_OUTLINE", "")),
        }
        return context
