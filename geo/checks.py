"""Start-up checks of the geo settings: a country outline that cannot be read stops `manage.py check`
(and so `make run`, which migrates first) instead of failing the first incident saved."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from geo.safeguards import country_outline


@register()
def country_outline_is_readable(app_configs, **kwargs) -> list[Error]:
    try:
        country_outline()
    except ImproperlyConfigured as error:
        return [
            Error(str(error), hint="Point SLID_COUNTRY_OUTLINE at a GeoJSON polygon, or set it empty.", id="slid.E001")
        ]
    return []
