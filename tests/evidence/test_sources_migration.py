"""Migration 0018: items received before it get the sources that can be known; incidents recorded before it
get their location checked by ``manage.py check_incident_locations`` (a migration may not depend on the
settings or on geo.safeguards). Migration 0024: warnings stored with an English message become codes and
values, and back."""

import ast
import importlib
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection

from evidence.models import EvidenceItem, Incident, IncidentRevision, Role
from evidence.services.intake import evidence_receive
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "evidence.migrations.0018_where_captured_at_and_kind_came_from_and_incident_warnings"
)


def test_existing_items_get_their_sources(case_a, member_of):
    user = member_of(case_a, Role.INVESTIGATOR)
    received = {
        name: evidence_receive(actor=user, case=case_a, upload=ContentFile(b"x" + name.encode(), name=name),
                               original_filename=name, **fields).pk
        for name, fields in [
            ("dated.jpg", {"captured_at": datetime(2022, 3, 4, tzinfo=UTC), "kind": "other"}),
            ("statement.pdf", {"kind": "testimony"}),
            ("unknown.bin", {}),
        ]
    }  # fmt: skip
    EvidenceItem.objects.update(kind="other", kind_source="", captured_at_source="")
    EvidenceItem.objects.filter(pk=received["statement.pdf"]).update(kind="testimony")

    with connection.schema_editor() as schema_editor:
        migration.record_sources(apps, schema_editor)

    sources = {
        item.original_filename: (item.kind_source, item.captured_at_source) for item in EvidenceItem.objects.all()
    }
    assert sources == {
        "dated.jpg": ("", "submitter"),
        "statement.pdf": ("submitter", ""),
        "unknown.bin": ("", ""),
    }


@pytest.mark.parametrize(
    "name",
    ["0018_where_captured_at_and_kind_came_from_and_incident_warnings", "0024_location_warnings_stored_as_codes"],
)
def test_the_migrations_import_no_code_of_slid_and_read_no_setting_of_it(name):
    tree = ast.parse(Path(importlib.import_module(f"evidence.migrations.{name}").__file__).read_text())

    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {module.split(".")[0] for module in imported} <= {"django", "re"}
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr.startswith("SLID_")]


def test_incidents_recorded_before_get_their_location_checked_by_the_command(case_a):
    swapped = make_incident(case_a, location=Point(50.5445, 30.2208, srid=4326))
    fine = make_incident(case_a, location=Point(30.2208, 50.5445, srid=4326))
    Incident.objects.update(warnings=[])
    revisions = IncidentRevision.objects.count()
    out = StringIO()

    call_command("check_incident_locations", stdout=out)
    call_command("check_incident_locations", stdout=out)  # again: nothing more changes

    swapped.refresh_from_db()
    fine.refresh_from_db()
    assert swapped.warnings == [{"code": "coordinates_swapped", "country": "Ukraine"}]
    assert fine.warnings == []
    assert out.getvalue().splitlines() == [
        "Checked every incident against Ukraine (margin 2000 m): the warnings of 1 changed.",
        "Checked every incident against Ukraine (margin 2000 m): the warnings of 0 changed.",
    ]
    assert IncidentRevision.objects.count() == revisions  # warnings are not part of an incident's revisions


OLD_SWAPPED = {
    "code": "coordinates_swapped",
    "message": "The location is outside Ukraine, but would be inside it with latitude and longitude swapped. "
    "GeoJSON and WKT give longitude first: [30.2208, 50.5445] is Bucha. Check the order.",
}
OLD_OUTSIDE = {
    "code": "outside_country",
    "message": "The location lies (at least partly) outside Testland, by more than 1500 m. Check it; if it is "
    "right, this warning is only a reminder.",
}


def test_warnings_stored_with_english_messages_become_codes_and_values_and_back(case_a):
    codes = importlib.import_module("evidence.migrations.0024_location_warnings_stored_as_codes")
    swapped = make_incident(case_a, location=Point(50.5445, 30.2208, srid=4326))
    outside = make_incident(case_a, location=Point(21.0122, 52.2297, srid=4326))
    Incident.objects.filter(pk=swapped.pk).update(warnings=[OLD_SWAPPED])
    Incident.objects.filter(pk=outside.pk).update(warnings=[OLD_OUTSIDE])

    with connection.schema_editor() as schema_editor:
        codes.to_codes(apps, schema_editor)
    stored = dict(Incident.objects.values_list("pk", "warnings"))

    assert stored[swapped.pk] == [{"code": "coordinates_swapped", "country": "Ukraine"}]
    assert stored[outside.pk] == [{"code": "outside_country", "country": "Testland", "margin_m": 1500}]

    with connection.schema_editor() as schema_editor:
        codes.to_messages(apps, schema_editor)
    stored = dict(Incident.objects.values_list("pk", "warnings"))

    assert stored[swapped.pk] == [OLD_SWAPPED]
    assert stored[outside.pk] == [OLD_OUTSIDE]
