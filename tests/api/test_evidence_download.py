import subprocess
from pathlib import Path

import pytest
from django.core.files.storage import storages

from evidence.agents import Agent
from evidence.models import AuditEntry, Confidentiality, Role
from evidence.package.layout import DigestMismatch
from evidence.services.fixity import evidence_record_fixity
from tests.api.test_package_identities import build_with_identities, people, selection  # noqa: F401 - fixtures
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


@pytest.mark.parametrize("header", ["bytes=\x00", "bytes=0-1,5-9", "bytes=abc"])
def test_a_range_that_is_not_one_served_gets_the_whole_file_recorded_without_a_range(
    client_for, member_of, item, header
):
    response = client_for(member_of(item.case, Role.LEAD)).get(
        f"/api/v1/evidence/{item.pk}/download/", HTTP_RANGE=header
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT
    assert item.custody.get(event_type="accessed").details["range"] is None


def test_an_unsatisfiable_range_is_a_416(client_for, member_of, item):
    response = client_for(member_of(item.case, Role.LEAD)).get(
        f"/api/v1/evidence/{item.pk}/download/", HTTP_RANGE="bytes=5000-6000"
    )

    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */2560"


@pytest.mark.parametrize(
    "header", ["bytes=5000-6000", "bytes=-0", f"bytes={'9' * 5000}-", f"bytes={'9' * 5000}-{'9' * 5000}"]
)
def test_a_refused_range_answers_416_naming_the_header_and_records_no_access(client_for, member_of, item, header):
    response = client_for(member_of(item.case, Role.LEAD)).get(
        f"/api/v1/evidence/{item.pk}/download/", HTTP_RANGE=header
    )

    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */2560"
    assert response.json() == {"Range": ["No byte of the range asked for is in the file, which has 2560 bytes."]}
    assert not item.custody.filter(event_type="accessed").exists()
    assert not AuditEntry.objects.filter(action="evidence.download").exists()


@pytest.mark.parametrize(
    ("header", "content_range", "body"),
    [
        (f"bytes=-{'9' * 5000}", "bytes 0-2559/2560", CONTENT),  # the last 10^5000 bytes: all of them
        (f"bytes=10-{'9' * 5000}", "bytes 10-2559/2560", CONTENT[10:]),
        (f"bytes={'0' * 5000}5-9", "bytes 5-9/2560", CONTENT[5:10]),
    ],
)
def test_range_numbers_of_thousands_of_digits_are_read_as_positions(
    client_for, member_of, item, header, content_range, body
):
    response = client_for(member_of(item.case, Role.LEAD)).get(
        f"/api/v1/evidence/{item.pk}/download/", HTTP_RANGE=header
    )

    assert response.status_code == 206
    assert response["Content-Range"] == content_range
    assert b"".join(response.streaming_content) == body


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


def damage_the_archived_copy(item, *, at: int) -> None:
    """Flips one byte of the archived copy at offset ``at`` (the write-once file is made writable first)."""
    path = Path(storages["archive"].path(item.archive_key))
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


# Larger than one read chunk (4 MiB), so that the download has a chunk to send before the held-back last one.
LARGE = b"".join(i.to_bytes(4, "big") for i in range(1_200_000))  # 4.8 MB


@pytest.mark.parametrize("range_header", [None, "bytes=0-"])
def test_a_download_that_meets_a_damaged_archived_copy_breaks_off_before_the_file_is_whole(
    client_for, member_of, case_a, range_header
):
    item = archived_item(case_a, member_of(case_a, Role.INVESTIGATOR), LARGE, name="large.bin")
    damage_the_archived_copy(item, at=len(LARGE) - 10)
    headers = {"HTTP_RANGE": range_header} if range_header else {}

    response = client_for(member_of(case_a, Role.LEGAL, username="defence")).get(
        f"/api/v1/evidence/{item.pk}/download/", **headers
    )
    received = bytearray()
    with pytest.raises(DigestMismatch, match=item.sha256):
        for chunk in response.streaming_content:
            received += chunk

    assert len(received) == 4 * 1024 * 1024  # the first chunk only; the damaged last one is held back
    assert received == LARGE[: len(received)]
    item.refresh_from_db()
    assert item.fixity_failed_at is not None
    failure = item.custody.get(event_type="fixity_check", outcome="failure")
    assert failure.agent == "user:defence"
    assert "download" in failure.detail and item.sha256 in failure.detail


def test_an_intact_large_file_downloads_whole_and_is_not_flagged(client_for, member_of, case_a):
    item = archived_item(case_a, member_of(case_a, Role.INVESTIGATOR), LARGE, name="large.bin")

    response = client_for(member_of(case_a, Role.LEAD)).get(f"/api/v1/evidence/{item.pk}/download/")

    assert b"".join(response.streaming_content) == LARGE
    item.refresh_from_db()
    assert item.fixity_failed_at is None
    assert not item.custody.filter(event_type="fixity_check").exists()


@pytest.mark.parametrize("range_header", [None, "bytes=0-9"])
def test_an_item_whose_fixity_check_failed_is_refused_with_the_reason(client_for, member_of, item, range_header):
    evidence_record_fixity(
        item=item, agent=Agent.for_worker("fixity"), sha256="0" * 64, error="Archived copy is 12 bytes short"
    )
    headers = {"HTTP_RANGE": range_header} if range_header else {}

    response = client_for(member_of(item.case, Role.LEAD)).get(f"/api/v1/evidence/{item.pk}/download/", **headers)

    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    detail = response.json()["detail"]
    assert item.ern in detail and "fixity check" in detail
    assert not item.custody.filter(event_type="accessed").exists()


# --- The file's name for every client, and HEAD ---------------------------------------------------

# "Протокол огляду.pdf", percent-encoded as UTF-8 (RFC 8187), and transliterated for filename=.
EXACT_NAME = "%D0%9F%D1%80%D0%BE%D1%82%D0%BE%D0%BA%D0%BE%D0%BB%20%D0%BE%D0%B3%D0%BB%D1%8F%D0%B4%D1%83.pdf"
DISPOSITION = f"attachment; filename=\"Protokol ogliadu.pdf\"; filename*=utf-8''{EXACT_NAME}"


def test_a_download_names_the_file_in_ascii_beside_the_exact_name(client_for, member_of, item):
    response = client_for(member_of(item.case, Role.LEAD)).get(f"/api/v1/evidence/{item.pk}/download/")

    assert response["Content-Disposition"] == DISPOSITION


@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ("photo.jpg", 'attachment; filename="photo.jpg"'),
        (
            'say "cheese"\\now.jpg',
            "attachment; filename=\"say _cheese__now.jpg\"; filename*=utf-8''say%20%22cheese%22%5Cnow.jpg",
        ),
        ("100%.png", "attachment; filename=\"100.png\"; filename*=utf-8''100%25.png"),
        ("📷.jpg", "attachment; filename=\"download.jpg\"; filename*=utf-8''%F0%9F%93%B7.jpg"),
        ("line\nbreak.txt", "attachment; filename=\"line_break.txt\"; filename*=utf-8''line%0Abreak.txt"),
    ],
)
def test_names_that_cannot_be_quoted_as_they_are_get_a_safe_ascii_fallback(name, disposition):
    from api.downloads import attachment_disposition

    assert attachment_disposition(name) == disposition


@pytest.mark.django_db(transaction=True)
def test_curl_saves_the_download_under_its_ascii_name(tmp_path, case_a, member_of):
    from tests.config.servers import gunicorn
    from tests.tokens import token_for
    from tests.workers.worker import worker_environment

    lead = member_of(case_a, Role.LEAD)
    item = archived_item(case_a, lead, CONTENT, name="Протокол огляду.pdf")
    with gunicorn(tmp_path / "gunicorn.log", environment=worker_environment()) as url:
        saved = tmp_path / "saved"
        saved.mkdir()
        subprocess.run(
            ["curl", "--silent", "--fail", "--remote-name", "--remote-header-name",
             "--header", f"Authorization: Token {token_for(lead)}", f"{url}/api/v1/evidence/{item.pk}/download/"],
            cwd=saved, check=True, timeout=60,
        )  # fmt: skip

    assert [path.name for path in saved.iterdir()] == ["Protokol ogliadu.pdf"]
    assert (saved / "Protokol ogliadu.pdf").read_bytes() == CONTENT


@pytest.mark.parametrize(
    ("range_header", "status", "content_range", "length"),
    [(None, 200, None, "2560"), ("bytes=0-9", 206, "bytes 0-9/2560", "10")],
)
def test_head_answers_the_download_s_headers_and_records_no_access(
    client_for, member_of, item, range_header, status, content_range, length
):
    client = client_for(member_of(item.case, Role.LEAD))
    headers = {"HTTP_RANGE": range_header} if range_header else {}

    response = client.head(f"/api/v1/evidence/{item.pk}/download/", **headers)

    assert response.status_code == status
    assert response.get("Content-Range") == content_range
    assert response["Content-Length"] == length
    assert response["Content-Type"] == "application/pdf" or response["Content-Type"] == item.media_type
    assert response["Content-Disposition"] == DISPOSITION
    assert response["Accept-Ranges"] == "bytes"
    assert b"".join(response.streaming_content) == b""
    assert not item.custody.filter(event_type="accessed").exists()
    assert not AuditEntry.objects.filter(action="evidence.download").exists()
    assert client.get(f"/api/v1/evidence/{item.pk}/download/", **headers).status_code == status  # GET is recorded
    assert item.custody.filter(event_type="accessed").count() == 1


def test_head_is_refused_like_get_to_whom_get_is_refused(client_for, member_of, case_a, case_b):
    secret = archived_item(
        case_a, member_of(case_a, Role.INVESTIGATOR), b"names", confidentiality=Confidentiality.CONFIDENTIAL
    )

    url = f"/api/v1/evidence/{secret.pk}/download/"
    assert client_for(member_of(case_a, Role.ANALYST)).head(url).status_code == 403
    assert client_for(member_of(case_b, Role.LEAD)).head(url).status_code == 404
    assert not secret.custody.filter(event_type="accessed").exists()


def test_head_of_a_package_with_identities_reveals_nothing(client_for, case_a, people, selection):  # noqa: F811
    export = build_with_identities(case_a, people["lead"], selection)
    client = client_for(people["lead"])

    head = client.head(f"/api/v1/exports/{export.pk}/download/")

    assert head.status_code == 200
    assert head["Content-Length"] == str(export.size_bytes)
    assert head["Content-Type"] == "application/zip"
    assert head["Content-Disposition"] == f'attachment; filename="slid-export-{export.public_id}.zip"'
    assert not AuditEntry.objects.filter(action__in=["export.download", "witness.identity_reveal"]).exists()
    assert client_for(people["legal"]).head(f"/api/v1/exports/{export.pk}/download/").status_code == 403
    get = client.get(f"/api/v1/exports/{export.pk}/download/")
    assert {name: get[name] for name in ("Content-Length", "Content-Type", "Content-Disposition")} == {
        name: head[name] for name in ("Content-Length", "Content-Type", "Content-Disposition")
    }
    assert AuditEntry.objects.filter(action="export.download").count() == 1
