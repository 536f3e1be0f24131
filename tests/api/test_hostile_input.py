"""A corpus of hostile input against every endpoint that writes: never a 5xx, never a partial write."""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from evidence.models import Role
from tests.factories import UserFactory, make_incident
from tests.workers.helpers import archived_item
from workers import common, exports

pytestmark = pytest.mark.django_db

RECORD_MODELS = [
    "evidence.Case", "evidence.CaseMembership", "evidence.Incident", "evidence.Person", "evidence.Unit",
    "evidence.Allegation", "evidence.EvidenceItem", "evidence.Export", "evidence.ExportProfile",
    "evidence.ProtectedPerson", "evidence.EvidenceIncidentLink", "auth.User", "evidence.IssuedPassword",
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
    "NUL in keys": '{"title\\u0000": "x", "properties": {"a\\u0000": 1}, "identifiers": {"\\u0000": "1"}}',
    "lone surrogates in keys and text": '{"\\ud800": "x", "title": "\\udfff", "columns": [{"\\udbff": 1}]}',
    "oversize strings": json.dumps({k: "x" * 100_000 for k in ("reference", "title", "full_name", "name", "basis")}),
    "wrong types": json.dumps({"case": {"$ne": 1}, "title": ["x"], "incident": "1 OR 1=1", "user": [1, 2]}),
    "user ids out of range": json.dumps({"case": 1, "full_name": "x", "readers": [2**63, -1, 0], "user": 2**63}),
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
        "second factor": "/api/v1/auth/totp/",
        "second factor confirmation": "/api/v1/auth/totp/confirm/",
        "accounts": "/api/v1/users/",
        "password change": "/api/v1/auth/password/",
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


# --- Inputs that answered 500, or killed the worker: a 4xx naming the field, and nothing written ---------
# Each case sets up what it needs and returns the request; the answer must be a 4xx whose JSON names the
# field (the header, for Range), and no row of the record, the audit log, custody or the outbox may appear.

LONG_DIGITS = "9" * 5000
FAR_FUTURE = "9999-12-31T23:59:59-14:00"  # in UTC, a moment of the year 10000
FAR_PAST = "0001-01-01T00:00:00+14:00"  # in UTC, a moment of the year 0
WRITTEN = [*RECORD_MODELS, "evidence.AuditEntry", "evidence.CustodyEntry", "evidence.OutboxTask"]


@dataclass
class Hostile:
    method: str
    url: str
    field: str
    body: object = None
    format: str | None = "json"  # "multipart"; None sends ``body`` as raw JSON text
    headers: dict = dataclass_field(default_factory=dict)


def feature(case, geometry=None, **properties) -> dict:
    geometry = geometry or {"type": "Point", "coordinates": [30.52, 50.45]}
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"case": case.pk, "title": "Shelling", "occurred_from": "2022-03-01", **properties},
    }


def upload_form(w, **fields) -> dict:
    return {"file": SimpleUploadedFile("photo.jpg", b"hostile upload"), "case": w["case"].pk, **fields}


def ready_export(w, client) -> int:
    export = client.post("/api/v1/exports/", {"case": w["case"].pk, "evidence": [w["item"].pk]}, format="json")
    exports.build_export(export.json()["id"], agent=common.worker_agent("test"))
    return export.json()["id"]


def witness(w, client) -> int:
    return client.post("/api/v1/witnesses/", {"case": w["case"].pk, "full_name": "Olena K."}, format="json").json()[
        "id"
    ]


def person(w, client) -> int:
    return client.post("/api/v1/persons/", {"case": w["case"].pk, "full_name": "Ivan P."}, format="json").json()["id"]


def incident_window(name: str, value: str) -> Callable:
    return lambda w, c: Hostile("GET", f"/api/v1/incidents/?case={w['case'].pk}&{name}={value}", name, format=None)


HOSTILE_REQUESTS: dict[str, Callable[[dict, object], Hostile]] = {
    # Ranges whose numbers int() refuses; the evidence download must not record an access first.
    "Range: bytes=<5000 digits>- on an evidence download": lambda w, c: Hostile(
        "GET", f"/api/v1/evidence/{w['item'].pk}/download/", "Range", headers={"HTTP_RANGE": f"bytes={LONG_DIGITS}-"}
    ),
    "Range: bytes=<5000 digits>- on a package download": lambda w, c: Hostile(
        "GET", f"/api/v1/exports/{ready_export(w, c)}/download/", "Range",
        headers={"HTTP_RANGE": f"bytes={LONG_DIGITS}-"},
    ),
    # Coordinates. The first killed the web worker (GEOS aborted); it is checked in a child process first.
    "a third coordinate of 1e308": lambda w, c: Hostile(
        "POST", "/api/v1/incidents/", "location", feature(w["case"], {"type": "Point", "coordinates": [30, 50, 1e308]})
    ),
    "a coordinate written as a 401-digit integer": lambda w, c: Hostile(
        "POST", "/api/v1/incidents/", "location",
        '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [' + "1" * 401 + ', 50]}, "properties": '
        f'{{"case": {w["case"].pk}, "title": "x", "occurred_from": "2022-03-01"}}}}', format=None,
    ),
    "a geometry given as JSON text nested 100,000 deep": lambda w, c: Hostile(
        "POST", "/api/v1/incidents/", "location",
        {"type": "Feature", "geometry": "[" * 100_000,
         "properties": {"case": w["case"].pk, "title": "x", "occurred_from": "2022-03-01"}},
    ),
    "a polygon with an antipodal edge": lambda w, c: Hostile(
        "POST", "/api/v1/incidents/", "location",
        feature(w["case"], {"type": "Polygon", "coordinates": [[[0, 0], [180, 0], [180, 10], [0, 0]]]}),
    ),
    "an antipodal edge in an update": lambda w, c: Hostile(
        "PATCH", f"/api/v1/incidents/{w['incident'].pk}/", "location",
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[-90, 0], [90, 0]]}, "properties": {}},
    ),
    # Dates beyond what can be stored, in every date and date-time field and filter.
    "occurred_from far in the future": lambda w, c: Hostile(
        "POST", "/api/v1/incidents/", "occurred_from", feature(w["case"], occurred_from=FAR_FUTURE)
    ),
    "occurred_from far in the past": lambda w, c: Hostile(
        "POST", "/api/v1/incidents/", "occurred_from", feature(w["case"], occurred_from=FAR_PAST)
    ),
    "occurred_to far in the future": lambda w, c: Hostile(
        "POST", "/api/v1/incidents/", "occurred_to", feature(w["case"], occurred_to=FAR_FUTURE)
    ),
    "occurred_to on the last day there is (its end is the next day)": lambda w, c: Hostile(
        "POST", "/api/v1/incidents/", "occurred_to", feature(w["case"], occurred_to="9999-12-31")
    ),
    "occurred_to far in the future, in an update": lambda w, c: Hostile(
        "PATCH", f"/api/v1/incidents/{w['incident'].pk}/", "occurred_to",
        {"type": "Feature", "properties": {"occurred_to": FAR_FUTURE}},
    ),
    "captured_at far in the future": lambda w, c: Hostile(
        "POST", "/api/v1/evidence/", "captured_at", upload_form(w, captured_at=FAR_FUTURE), format="multipart"
    ),
    "acquired_at far in the past": lambda w, c: Hostile(
        "POST", "/api/v1/evidence/", "acquired_at", upload_form(w, acquired_at=FAR_PAST), format="multipart"
    ),
    "a person's date_of_birth far in the future": lambda w, c: Hostile(
        "POST", "/api/v1/persons/", "date_of_birth",
        {"case": w["case"].pk, "full_name": "Ivan P.", "date_of_birth": FAR_FUTURE},
    ),
    "a witness's date_of_birth far in the future": lambda w, c: Hostile(
        "POST", "/api/v1/witnesses/", "date_of_birth",
        {"case": w["case"].pk, "full_name": "Olena K.", "date_of_birth": FAR_FUTURE},
    ),
    "a victim's date_of_birth far in the past": lambda w, c: Hostile(
        "POST", "/api/v1/victims/", "date_of_birth",
        {"case": w["case"].pk, "full_name": "Olena K.", "date_of_birth": FAR_PAST},
    ),
    "the occurred_after filter far in the future": incident_window("occurred_after", FAR_FUTURE.replace("+", "%2B")),
    "the occurred_after filter far in the past": incident_window("occurred_after", "0001-01-01"),
    "the occurred_before filter on the last day there is": incident_window("occurred_before", "9999-12-31"),
    # NUL and lone surrogates in JSON object keys (jsonb refuses both), and in the text of a JSON field.
    "NUL in a key of a person's identifiers": lambda w, c: Hostile(
        "POST", "/api/v1/persons/", "identifiers",
        {"case": w["case"].pk, "full_name": "Ivan P.", "identifiers": {"passport\u0000": "AB123"}},
    ),
    "a lone surrogate in a key of a person's identifiers": lambda w, c: Hostile(
        "POST", "/api/v1/persons/", "identifiers",
        f'{{"case": {w["case"].pk}, "full_name": "Ivan P.", "identifiers": {{"passport\\ud800": "AB123"}}}}',
        format=None,
    ),
    "a lone surrogate in a key of identifiers, in an update": lambda w, c: Hostile(
        "PATCH", f"/api/v1/persons/{person(w, c)}/", "identifiers", '{"identifiers": {"\\udfff": "1"}}', format=None
    ),
    "NUL in a key of a profile column": lambda w, c: Hostile(
        "POST", "/api/v1/export-profiles/", "columns",
        {"name": "hostile", "columns": [{"column": "ERN", "field": "ern", "note\u0000": "x"}]},
    ),
    "a lone surrogate in a key of a profile column": lambda w, c: Hostile(
        "POST", "/api/v1/export-profiles/", "columns",
        '{"name": "hostile", "columns": [{"column": "ERN", "field": "ern", "\\ud83d": "x"}]}', format=None,
    ),
    "NUL in a profile column's name": lambda w, c: Hostile(
        "POST", "/api/v1/export-profiles/", "columns",
        {"name": "hostile", "columns": [{"column": "E\u0000", "field": "ern"}]},
    ),
    # The same object twice in one list.
    "the same incident twice in one upload": lambda w, c: Hostile(
        "POST", "/api/v1/evidence/", "incidents",
        upload_form(w, incidents=[w["incident"].pk, w["incident"].pk]), format="multipart",
    ),
    "the same witness twice in one upload": lambda w, c: Hostile(
        "POST", "/api/v1/evidence/", "protected_persons",
        upload_form(w, protected_persons=[witness(w, c)] * 2), format="multipart",
    ),
    "the same witness twice in one incident": lambda w, c: Hostile(
        "POST", "/api/v1/incidents/", "protected_persons", feature(w["case"], protected_persons=[witness(w, c)] * 2)
    ),
    "the same incident twice in one package": lambda w, c: Hostile(
        "POST", "/api/v1/exports/", "incidents", {"case": w["case"].pk, "incidents": [w["incident"].pk] * 2}
    ),
    "the same item twice in one package": lambda w, c: Hostile(
        "POST", "/api/v1/exports/", "evidence", {"case": w["case"].pk, "evidence": [w["item"].pk] * 2}
    ),
    # A case named by its reference: only a well-formed one reaches the database (PostgreSQL refuses NUL).
    "NUL in a case reference": lambda w, c: Hostile(
        "POST", "/api/v1/evidence/", "case", {**upload_form(w), "case": f"{w['case'].reference}\x00"},
        format="multipart",
    ),
    "a case reference of 100,000 characters": lambda w, c: Hostile(
        "POST", "/api/v1/incidents/", "case", {**feature(w["case"]), "properties": {"case": "A" * 100_000}}
    ),
    "a lone surrogate as a case reference": lambda w, c: Hostile(
        "POST", "/api/v1/exports/", "case", '{"case": "\\ud800", "evidence": []}', format=None
    ),
    # A username that Unicode normalisation (NFKC) makes 18 times longer, or fills with spaces.
    "a username that normalising makes 2,700 characters long": lambda w, c: Hostile(
        "POST", "/api/v1/users/", "username", {"username": "\ufdfa" * 150, "email": "long@example.org"}
    ),
    "a username that normalising fills with spaces": lambda w, c: Hostile(
        "POST", "/api/v1/users/", "username", {"username": "\ufdfa" * 8, "email": "spaces@example.org"}
    ),
    # ?case= is an id or a reference; anything else is refused before the database sees it.
    "NUL in a case filter": lambda w, c: Hostile("GET", "/api/v1/evidence/?case=UA%00", "case", format=None),
    "a case filter of 5,000 digits": lambda w, c: Hostile(
        "GET", f"/api/v1/incidents/?case={LONG_DIGITS}", "case", format=None
    ),
}  # fmt: skip

# Inputs that once aborted the whole process: refused in a child process before they are sent here.
KILLED_THE_PROCESS = {"a third coordinate of 1e308": {"type": "Point", "coordinates": [30, 50, 1e308]}}


def written() -> dict[str, int]:
    return {name: apps.get_model(name).objects.count() for name in WRITTEN}


def refused_in_a_child_process(geometry: dict) -> bool:
    program = (
        "import django, json, sys\ndjango.setup()\nfrom geo.validation import GeometryError, geometry_from_geojson\n"
        "try:\n    print(geometry_from_geojson(json.loads(sys.argv[1])).wkt)\n"
        "except GeometryError:\n    print('refused')\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", program, json.dumps(geometry)],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )  # fmt: skip
    return result.returncode == 0 and result.stdout.strip() == "refused"


@pytest.mark.parametrize("name", list(HOSTILE_REQUESTS))
def test_inputs_that_answered_500_answer_a_4xx_naming_the_field_and_write_nothing(world, client_for, name):
    if name in KILLED_THE_PROCESS:
        assert refused_in_a_child_process(KILLED_THE_PROCESS[name]), "it would kill this process too"
    client = client_for(world["lead"])
    request = HOSTILE_REQUESTS[name](world, client)
    before = written()

    if request.format is None:
        response = client.generic(request.method, request.url, request.body or "", content_type="application/json",
                                  **request.headers)  # fmt: skip
    else:
        response = getattr(client, request.method.lower())(
            request.url, request.body, format=request.format, **request.headers
        )

    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert request.field in response.json(), response.json()
    assert written() == before
