"""Location warnings are stored as a code and the values their message needs ({"code": "outside_country",
"country": "Ukraine", "margin_m": 2000}), and the message is written when read, in the reader's language
(geo.safeguards.warnings_shown). Warnings stored before kept an English message: its values are read back
out of it. Going back writes the English messages again. Nothing here reads the settings or imports code
that may change: the two English forms are copied below as they were."""

import re

from django.db import migrations

SWAPPED = "coordinates_swapped"
OUTSIDE = "outside_country"
# The messages as geo.safeguards wrote them before this migration.
SWAPPED_MESSAGE = (
    "The location is outside {country}, but would be inside it with latitude and longitude swapped. GeoJSON and "
    "WKT give longitude first: [30.2208, 50.5445] is Bucha. Check the order."
)
OUTSIDE_MESSAGE = (
    "The location lies (at least partly) outside {country}, by more than {margin_m} m. Check it; if it is right, "
    "this warning is only a reminder."
)
SWAPPED_READ = re.compile(r"The location is outside (?P<country>.+?), but would be inside it with latitude", re.S)
OUTSIDE_READ = re.compile(r"outside (?P<country>.+?), by more than (?P<margin_m>[0-9]+) m\.", re.S)
# What a message that cannot be read gives (none was written otherwise): the outline Slid ships.
SHIPPED_COUNTRY = "Ukraine"
SHIPPED_MARGIN_M = 2000


def as_codes(warning: dict) -> dict:
    if "message" not in warning:
        return warning
    code, message = warning.get("code"), str(warning["message"])
    if code == SWAPPED:
        found = SWAPPED_READ.search(message)
        return {"code": SWAPPED, "country": found["country"] if found else SHIPPED_COUNTRY}
    if code == OUTSIDE:
        found = OUTSIDE_READ.search(message)
        return {
            "code": OUTSIDE,
            "country": found["country"] if found else SHIPPED_COUNTRY,
            "margin_m": int(found["margin_m"]) if found else SHIPPED_MARGIN_M,
        }
    return warning


def as_messages(warning: dict) -> dict:
    if "message" in warning:
        return warning
    code, country = warning.get("code"), warning.get("country", SHIPPED_COUNTRY)
    if code == SWAPPED:
        return {"code": SWAPPED, "message": SWAPPED_MESSAGE.format(country=country)}
    if code == OUTSIDE:
        margin_m = warning.get("margin_m", SHIPPED_MARGIN_M)
        return {"code": OUTSIDE, "message": OUTSIDE_MESSAGE.format(country=country, margin_m=margin_m)}
    return warning


def _rewrite(apps, convert) -> None:
    Incident = apps.get_model("evidence", "Incident")
    for pk, warnings in Incident.objects.exclude(warnings=[]).values_list("pk", "warnings").iterator():
        rewritten = [convert(warning) for warning in warnings]
        if rewritten != warnings:
            Incident.objects.filter(pk=pk).update(warnings=rewritten)


def to_codes(apps, schema_editor) -> None:
    _rewrite(apps, as_codes)


def to_messages(apps, schema_editor) -> None:
    _rewrite(apps, as_messages)


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0023_case_references_not_digits_alone"),
    ]

    operations = [
        migrations.RunPython(to_codes, to_messages),
    ]
