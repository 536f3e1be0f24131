"""A corpus of hostile input against every endpoint that writes: never a 5xx, never a partial write."""

import json

import pytest
from django.apps import apps

from evidence.models import Role
from tests.factories import UserFactory, make_incident
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db

RECORD_MODELS = [
    "evidence.Case", "evidence.CaseMembership", "evidence.Incident", "evidence.Person", "evidence.Unit",
    "evidence.Allegation", "evidence.EvidenceItem", "evidence.Export", "evidence.ExportProfile",
    "evidence.ProtectedPerson", "evidence.EvidenceIncidentLink",
]  # fmt: skip

HOSTILE_BODIES = {
    "JSON nested 100,000 deep": "[" * 100_000,
    "invalid UTF-8": b'{"title": "\xff\xfe\xfd"}',
    "truncated JSON": '{"title": "unfinished',
    "a body over the size limit": '{"title": "' + "x" * 3_000_000 + '"}',
    "a top-level array": '[{"title": "x"}]',
    "a top-level string": '"just a string"',
    "nulls everywhere": json.dumps({k: None for k in ("case", "title", "full_name", "name", "incident", "user")}),
    "NUL characters": json.dumps({k: "a\u0000b" for k in ("reference", "title", "full_name", "name", "username")}),
    "oversize strings": json.dumps({k: "x" * 100_000 for k in ("reference", "title", "full_name", "name", "basis")}),
    "wrong types": json.dumps({"case": {"$ne": 1}, "title": ["x"], "incident": "1 OR 1=1", "user": [1, 2]}),
    "path traversal": json.dumps({"title": "../../../etc/passwd", "case": "../1", "name": "..\\..\\boot.ini"}),
    "a GeoJSON of 200,000 vertices": json.dumps(
        {
            "type": "Feature",
            "properties": {"title": "x", "occurred_from": "2022-03-01"},
            "geometry": {"type": "LineString", "coordinates": [[30 + i / 1e6, 50] for i in range(200_000)]},
        }
    ),  # fmt: skip
}


def write_routes(w) -> dict[str, str]:
    return {
        "cases": "/api/v1/cases/",
        "members": f"/api/v1/cases/{w['case'].pk}/members/",
        "incidents": "/api/v1/incidents/",
        "incident update": f"/api/v1/incidents/{w['incident'].pk}/",
        "persons": "/api/v1/persons/",
        "units": "/api/v1/units/",
        "allegations": "/api/v1/allegations/",
        "evidence link": f"/api/v1/evidence/{w['item'].pk}/incidents/",
        "exports": "/api/v1/exports/",
        "export profiles": "/api/v1/export-profiles/",
        "witnesses": "/api/v1/witnesses/",
        "login": "/api/v1/auth/token/",
    }


@pytest.fixture
def world(case_a):
    lead = UserFactory(username="lead", is_staff=True)
    case_a.memberships.create(user=lead, role=Role.LEAD)
    incident = make_incident(case_a)
    return {"case": case_a, "lead": lead, "incident": incident, "item": archived_item(case_a, lead, b"x")}


def counts() -> dict[str, int]:
    return {name: apps.get_model(name).objects.count() for name in RECORD_MODELS}


@pytest.mark.parametrize("body_name", list(HOSTILE_BODIES))
def test_hostile_bodies_get_a_clear_4xx_and_write_nothing(world, client_for, body_name):
    client = client_for(world["lead"])
    body = HOSTILE_BODIES[body_name]
    before = counts()

    for route_name, url in write_routes(world).items():
        method = "PATCH" if route_name == "incident update" else "POST"
        response = client.generic(method, url, body, content_type="application/json")

        assert 400 <= response.status_code < 500, (route_name, response.status_code, response.content[:200])
        assert response["Content-Type"].startswith("application/json"), route_name
        assert response.json(), route_name
    assert counts() == before


def test_sql_looking_text_is_stored_as_text(world, client_for):
    title = "'; DROP TABLE evidence_incident; -- \" OR 1=1"
    response = client_for(world["lead"]).post(
        "/api/v1/incidents/",
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30, 50]},
         "properties": {"case": world["case"].pk, "title": title, "occurred_from": "2022-03-01"}},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201
    assert response.json()["properties"]["title"] == title
    assert apps.get_model("evidence.Incident").objects.filter(title=title).exists()


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("photo\u0000.jpg", "photo.jpg"),
        ("in\u202eforder.jpg", "inforder.jpg"),  # a right-to-left override, not printable
        ("ліс біля Ізюму.jpg", "ліс біля Ізюму.jpg"),
    ],
)
def test_hostile_file_names_are_received_safely(world, upload, name, stored):
    response = upload(world["lead"], world["case"], b"bytes", name=name)

    assert response.status_code == 201, response.content
    assert response.json()["original_filename"] == stored


def test_a_file_name_that_is_only_dots_is_refused(world, client_for):
    boundary = "slidboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="case"\r\n\r\n{world["case"].pk}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename=".."\r\n'
        f"Content-Type: application/octet-stream\r\n\r\nbytes\r\n--{boundary}--\r\n"
    )
    response = client_for(world["lead"]).generic(
        "POST", "/api/v1/evidence/", body.encode(), content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert response.status_code == 400
    assert "file" in response.json()
    assert not apps.get_model("evidence.EvidenceItem").objects.exclude(pk=world["item"].pk).exists()
