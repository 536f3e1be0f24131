import pytest

from evidence.models import Confidentiality, Role
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db

CONTENT = bytes(range(256)) * 10


@pytest.fixture
def item(case_a, member_of):
    return archived_item(case_a, member_of(case_a, Role.INVESTIGATOR), CONTENT, name="Протокол огляду.pdf")


def test_the_archived_original_downloads_as_an_attachment_and_the_access_is_recorded(client_for, member_of, item):
    legal = member_of(item.case, Role.LEGAL, username="prosecutor")

    response = client_for(legal).get(f"/api/v1/evidence/{item.pk}/download/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%D0%9F%D1%80%D0%BE" in response["Content-Disposition"]
    access = item.custody.get(event_type="accessed")
    assert access.agent == "user:prosecutor"


@pytest.mark.parametrize(
    ("header", "status", "content_range", "body"),
    [
        ("bytes=0-9", 206, "bytes 0-9/2560", CONTENT[:10]),
        ("bytes=2550-", 206, "bytes 2550-2559/2560", CONTENT[2550:]),
        ("bytes=-5", 206, "bytes 2555-2559/2560", CONTENT[-5:]),
        ("bytes=100-99999", 206, "bytes 100-2559/2560", CONTENT[100:]),
    ],
)
def test_range_requests_get_partial_content(client_for, member_of, item, header, status, content_range, body):
    response = client_for(member_of(item.case, Role.LEAD)).get(
        f"/api/v1/evidence/{item.pk}/download/", HTTP_RANGE=header
    )

    assert response.status_code == status
    assert response["Content-Range"] == content_range
    assert b"".join(response.streaming_content) == body


def test_an_unsatisfiable_range_is_a_416(client_for, member_of, item):
    response = client_for(member_of(item.case, Role.LEAD)).get(
        f"/api/v1/evidence/{item.pk}/download/", HTTP_RANGE="bytes=5000-6000"
    )

    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */2560"


def test_the_chain_of_custody_is_listed_in_order(client_for, member_of, item):
    chain = client_for(member_of(item.case, Role.ANALYST)).get(f"/api/v1/evidence/{item.pk}/custody/").json()

    assert [entry["sequence"] for entry in chain] == list(range(1, len(chain) + 1))
    assert chain[0]["event_type"] == "received" and chain[0]["premis_event_type"] == "ingestion start"
    assert all(entry["previous_hash"] == before["entry_hash"] for before, entry in zip(chain, chain[1:], strict=False))
    assert chain[1]["details"]["digests"]["sha256"] == item.sha256


def test_an_analyst_may_not_download_confidential_evidence(client_for, member_of, case_a):
    secret = archived_item(
        case_a, member_of(case_a, Role.INVESTIGATOR), b"names", confidentiality=Confidentiality.CONFIDENTIAL
    )

    assert client_for(member_of(case_a, Role.ANALYST)).get(f"/api/v1/evidence/{secret.pk}/download/").status_code == 403
    assert client_for(member_of(case_a, Role.LEGAL)).get(f"/api/v1/evidence/{secret.pk}/download/").status_code == 200
    assert secret.custody.filter(event_type="accessed").count() == 1
