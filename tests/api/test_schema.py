import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.factories import make_incident

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_is_valid_openapi_3(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    assert {"/api/v1/health/", "/api/v1/auth/token/", "/api/v1/cases/", "/api/v1/cases/{id}/members/"} <= set(
        schema["paths"]
    )


def test_the_docs_page_loads_its_assets_from_slid_itself(api):
    response = api.get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "the page references no assets"
    assert not [source for source in sources if source.startswith(("http:", "https:", "//"))]
    swagger_js = next(source for source in sources if source.endswith(".js"))
    assert api.get(swagger_js).status_code == 200


def test_the_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/v1/evidence/{id}/download/" in (tmp_path / "schema.yaml").read_text()


# --- Swagger UI's "Try it out" for an upload ---------------------------------------------------------


def upload_operation(api) -> tuple[dict, dict]:
    """The upload's multipart body as the schema describes it: (its schema, its encoding)."""
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    body = schema["paths"]["/api/v1/evidence/"]["post"]["requestBody"]["content"]["multipart/form-data"]
    reference = body["schema"]["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][reference], body.get("encoding", {})


def as_swagger_ui_sends_it(body_schema: dict, filled: dict) -> dict:
    """Every field of the form: what the user filled in, a file for the file field, and an empty string
    for each field left alone (Swagger UI sends those too)."""
    form: dict = {}
    for name, field in body_schema["properties"].items():
        if field.get("readOnly"):
            continue
        if name in filled:
            form[name] = filled[name]
        elif field.get("format") == "binary":
            form[name] = SimpleUploadedFile("note.txt", b"what the investigator wrote down", "text/plain")
        else:
            form[name] = ""
    return form


def test_an_upload_built_from_the_schema_with_the_optional_fields_left_alone_is_received(client_for, member_of, case_a):
    body_schema, _encoding = upload_operation(APIClient())
    assert sorted(body_schema["required"]) == ["case", "file"]

    form = as_swagger_ui_sends_it(body_schema, {"case": str(case_a.pk)})
    response = client_for(member_of(case_a)).post("/api/v1/evidence/", form, format="multipart")

    assert {"incidents", "protected_persons", "kind", "captured_at", "sha256"} <= set(form)
    assert response.status_code == 201, response.json()
    item = response.json()
    assert (item["case"], item["incidents"], item["pseudonyms"], item["kind"]) == (case_a.pk, [], [], "document")


def test_the_schema_tells_swagger_ui_to_send_each_id_of_a_list_as_a_field_of_its_own(client_for, member_of, case_a):
    first, second = make_incident(case_a), make_incident(case_a)
    body_schema, encoding = upload_operation(APIClient())
    assert encoding == {
        "incidents": {"style": "form", "explode": True},
        "protected_persons": {"style": "form", "explode": True},
        "languages": {"style": "form", "explode": True},
    }

    form = as_swagger_ui_sends_it(body_schema, {"case": case_a.reference, "incidents": [first.pk, second.pk]})
    response = client_for(member_of(case_a)).post("/api/v1/evidence/", form, format="multipart")

    assert response.status_code == 201, response.json()
    assert sorted(response.json()["incidents"]) == sorted([first.pk, second.pk])
    assert response.json()["case"] == case_a.pk


SWAGGER_UI_SAMPLES = {"string": "string", "integer": 0, "number": 0.0, "boolean": True, "array": []}


def swagger_ui_prefill(field: dict):
    """What Swagger UI puts in a form field before the user touches it: the schema's example, else a value it
    makes up (the first choice of an enum, "string", 0, ...), which it then sends."""
    if "example" in field:
        return field["example"]
    if "enum" in field:
        return field["enum"][0]
    if "$ref" in field:
        return "<a choice of the referred enum>"
    return SWAGGER_UI_SAMPLES.get(field.get("type", "string"), "string")


def test_swagger_ui_s_prefilled_upload_form_left_alone_keeps_every_default(client_for, member_of, case_a):
    body_schema, _encoding = upload_operation(APIClient())
    form = {"case": case_a.reference, "file": SimpleUploadedFile("note.txt", b"what was seen", "text/plain")}
    for name, field in body_schema["properties"].items():
        if name not in form:
            value = swagger_ui_prefill(field)
            if value != []:  # an empty list, exploded, is no field at all
                form[name] = value

    response = client_for(member_of(case_a)).post("/api/v1/evidence/", form, format="multipart")

    assert response.status_code == 201, response.json()
    item = response.json()
    assert item["confidentiality"] == "restricted"  # the default, not Swagger UI's first choice ("public")
    assert (item["source_type"], item["title"], item["captured_at"]) == ("other", "", None)
    assert item["submitted_sha256"] == ""
    assert body_schema["properties"]["confidentiality"]["enum"][0] == ""
