"""Schemathesis against Slid's own OpenAPI schema, over HTTP to a real gunicorn on the test
database: bounded (a few examples per operation, a fixed seed), as a lead with a case to work in.
No 5xx, and no response that contradicts the schema."""

import subprocess
import sys

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from evidence.models import Role
from tests.factories import CaseFactory, UserFactory, make_incident
from tests.ports import free_port, wait_for_port
from tests.workers.worker import ROOT, worker_environment

EXAMPLES_PER_OPERATION = 5

schema = (
    schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    .exclude(path_regex=r"^/api/v1/(docs|redoc)/$")
    .exclude(method="DELETE", path="/api/v1/auth/token/")  # it would revoke the fuzzer's own token
)


@pytest.fixture(scope="module")
def live_api(django_db_setup, tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("gunicorn") / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=worker_environment(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_for_port(port, server, name="gunicorn", timeout=30)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=20)
    log.close()


@pytest.fixture
def lead_token(transactional_db):
    from tests.tokens import token_for

    lead = UserFactory(username="fuzz-lead", is_staff=True)
    case = CaseFactory(reference="UA-FUZZ")
    case.memberships.create(user=lead, role=Role.LEAD)
    make_incident(case)
    return token_for(lead)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema_and_never_fails_with_5xx(case, live_api, lead_token):
    case.call_and_validate(
        base_url=live_api,
        headers={"Authorization": f"Token {lead_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
