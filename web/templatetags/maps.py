"""The workspace's maps in templates (web/static/web/js/map.js draws them):

    {% load maps %}
    {% block head %}{% map_assets %}{% endblock %}        {# OpenLayers' stylesheet and script #}
    <div class="map" id="incident-map" {% map_attributes %} role="region" aria-label="…"></div>

``map_attributes`` gives the element what map.js needs to draw the base map: the tile URL and its
attribution (SLID_MAP_TILE_URL, SLID_MAP_TILE_ATTRIBUTION; none when empty), and where Slid serves the
country outline and the admin areas' boundaries, which are drawn whether or not the tiles load."""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from web.templatetags.workspace import vendor

register = template.Library()


@register.simple_tag
def map_assets() -> str:
    return format_html(
        '<link rel="stylesheet" href="{}">\n<script src="{}" defer></script>',
        vendor("ol", "ol.css"),
        vendor("ol", "dist/ol.js"),
    )


@register.simple_tag
def map_attributes() -> str:
    return format_html(
        'data-map-tiles="{}" data-map-attribution="{}" data-map-outline="{}" data-map-areas="{}" '
        'data-map-offline-text="{}"',
        settings.SLID_MAP_TILE_URL,
        settings.SLID_MAP_TILE_ATTRIBUTION,
        reverse("web:map-outline"),
        reverse("web:map-areas") + "?z={z}&x={x}&y={y}",
        _("No base map (no tile server reached): boundaries only."),
    )
