"""Migration 0018: items received before it get the sources that can be known, and incidents recorded
before it get their location checked."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.db import connection

from evidence.models import EvidenceItem, Incident, Role
from evidence.services.intake import evidence_receive
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "evidence.migrations.0018_where_captured_at_and_kind_came_from_and_incident_warnings"
)


def test_existing_items_and_incidents_get_their_sources_and_warnings(case_a, member_of):
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
    swapped = make_incident(case_a, location=Point(50.5445, 30.2208, srid=4326))
    fine = make_incident(case_a, location=Point(30.2208, 50.5445, srid=4326))
    Incident.objects.update(warnings=[])

    with connection.schema_editor() as schema_editor:
        migration.record_sources_and_check_locations(apps, schema_editor)

    sources = {
        item.original_filename: (item.kind_source, item.captured_at_source) for item in EvidenceItem.objects.all()
    }
    assert sources == {
        "dated.jpg": ("", "submitter"),
        "statement.pdf": ("submitter", ""),
        "unknown.bin": ("", ""),
    }
    swapped.refresh_from_db()
    fine.refresh_from_db()
    assert [warning["code"] for warning in swapped.warnings] == ["coordinates_swapped"]
    assert fine.warnings == []
