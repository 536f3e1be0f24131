import re

import pytest
from drf_spectacular.validation import validate_schema

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
