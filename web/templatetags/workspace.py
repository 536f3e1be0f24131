"""Template tags of the workspace: ``{% vendor %}`` names a vendored file, ``|in_case_zone`` shows a
moment in the case's time zone, ``|incident_began`` when an incident began, as precisely as it is known."""

import json
import zoneinfo
from datetime import datetime
from functools import cache
from pathlib import Path

from django import template
from django.templatetags.static import static
from django.utils import formats, timezone

from evidence.models import DatePrecision

register = template.Library()

MANIFEST = Path(__file__).resolve().parent.parent / "vendor.json"
STATIC_VENDOR = "web/static/"


@cache
def _vendored() -> dict[str, dict]:
    return {entry["package"]: entry for entry in json.loads(MANIFEST.read_text())["packages"]}


@register.simple_tag
def vendor(package: str, path: str) -> str:
    """The URL of a file of a vendored package, at the version web/vendor.json pins:
    ``{% vendor "htmx.org" "dist/htmx.min.js" %}``. A file the manifest does not list is an error."""
    entry = _vendored()[package]
    if path not in entry["files"]:
        raise template.TemplateSyntaxError(f"web/vendor.json lists no file {path!r} of {package}")
    into = entry.get("into", "web/static/web/vendor")
    if not into.startswith(STATIC_VENDOR):
        raise template.TemplateSyntaxError(f"{package} is not served (it goes into {into})")
    folder = f"{package.removeprefix('@').replace('/', '-')}-{entry['version']}"
    return static(f"{into.removeprefix(STATIC_VENDOR)}/{folder}/{path}")


@register.filter
def in_case_zone(moment: datetime | None, case) -> str:
    """``{{ item.captured_at|in_case_zone:case }}``: the date and time in the case's time zone, in the
    page's language, with the zone's abbreviation (2022-03-04 14:05 EET); empty for no moment."""
    if moment is None:
        return ""
    zone = zoneinfo.ZoneInfo(case.time_zone)
    local = timezone.localtime(moment, zone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


@register.filter
def incident_began(incident, case) -> str:
    """When the incident began, in the case's time zone: the time only when it is known exactly."""
    local = timezone.localtime(incident.occurred_from, zoneinfo.ZoneInfo(case.time_zone))
    if incident.date_precision == DatePrecision.EXACT:
        return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"
    if incident.date_precision == DatePrecision.MONTH:
        return formats.date_format(local, "YEAR_MONTH_FORMAT")
    if incident.date_precision == DatePrecision.YEAR:
        return str(local.year)
    return formats.date_format(local, "DATE_FORMAT")
