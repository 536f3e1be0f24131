"""Uploading evidence from the browser: the resumable upload (tus 1.0.0: creation, offset, PATCH,
termination), who may touch an upload, what a complete one becomes (the same intake as the API's), the
expiry of abandoned ones, the page and the receipt. The browser itself: tests/web/test_upload_browser.py."""

import base64
import fcntl
import hashlib
import io
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from evidence.errors import DomainError
from evidence.models import AuditEntry, CustodyEvent, EvidenceItem, ResumableUpload, Role, UploadState
from evidence.services import resumable
from evidence.services.resumable import partial_path, upload_append, uploads_expire
from evidence.services.witnesses import protected_person_create
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"
CONTENT = b"The bytes of a phone video, as the investigator had them.\n" * 10  # 580 bytes
# sha256 and md5 of CONTENT, computed with coreutils' sha256sum and md5sum, not with the code under test.
CONTENT_SHA256 = "b3264eabb9e30c73d007387a09155806d2131d7c95c5197a71a894eab97709ea"
CONTENT_MD5 = "84972aa7ede02e8be67e4f4c82fdb7de"


@pytest.fixture(autouse=True)
def empty_partial_uploads():
    import shutil

    shutil.rmtree(settings.SLID_PARTIAL_UPLOADS_DIR, ignore_errors=True)


def metadata(**values: str) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def create(client: Client, case, length: int = len(CONTENT), headers: dict | None = None, **values: str):
    values.setdefault("filename", "VID_0042.mp4")
    return client.generic(
        "POST",
        f"/cases/{case.reference}/uploads/",
        b"",
        headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": metadata(**values), **(headers or {})},
    )


def patch(client: Client, location: str, offset: int, body: bytes, **headers: str):
    return client.generic(
        "PATCH", location, body, content_type=OCTETS, headers={**TUS, "Upload-Offset": str(offset), **headers}
    )


def head(client: Client, location: str):
    return client.head(location, headers=TUS)


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR, username="olena")


@pytest.fixture
def client(investigator) -> Client:
    return signed_in(investigator)


@pytest.fixture
def location(client, case_a) -> str:
    response = create(client, case_a, sha256=CONTENT_SHA256)
    assert response.status_code == 201, response.content
    return response["Location"]


def upload_at(location: str) -> ResumableUpload:
    return ResumableUpload.objects.get(public_id=location.rstrip("/").rsplit("/", 1)[1])


# --- The protocol ---------------------------------------------------------------------------------


def test_the_sha256_of_the_test_content_is_the_one_written_here():
    assert hashlib.sha256(CONTENT).hexdigest() == CONTENT_SHA256


def test_creation_answers_201_with_the_upload_s_address_and_an_empty_file_of_its_own(client, case_a, investigator):
    response = create(client, case_a, sha256=CONTENT_SHA256, title="Shelling of the bread queue")

    assert response.status_code == 201
    assert response["Tus-Resumable"] == "1.0.0"
    upload = ResumableUpload.objects.get()
    assert response["Location"] == f"/cases/UA-2022-BUCHA/uploads/{upload.public_id}/"
    assert (upload.owner, upload.case, upload.length, upload.offset) == (investigator, case_a, 580, 0)
    assert (upload.filename, upload.submitted_sha256, upload.state) == ("VID_0042.mp4", CONTENT_SHA256, "receiving")
    path = Path(settings.SLID_PARTIAL_UPLOADS_DIR) / str(case_a.public_id) / str(upload.public_id)
    assert path.stat().st_size == 0
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not EvidenceItem.objects.exists()


def test_head_tells_the_offset_to_go_on_from(client, location):
    patch(client, location, 0, CONTENT[:100])

    response = head(client, location)

    assert response.status_code == 200
    assert (response["Upload-Offset"], response["Upload-Length"]) == ("100", "580")
    assert "no-store" in response["Cache-Control"]


def test_the_bytes_arrive_in_pieces_and_the_last_one_hands_the_file_to_intake(client, location, investigator):
    first = patch(client, location, 0, CONTENT[:200])
    assert (first.status_code, first["Upload-Offset"]) == (204, "200")
    assert not EvidenceItem.objects.exists()  # nothing is evidence before the last byte
    assert Path(partial_path(upload_at(location))).read_bytes() == CONTENT[:200]

    second = patch(client, location, 200, CONTENT[200:])

    assert (second.status_code, second["Upload-Offset"]) == (204, "580")
    item = EvidenceItem.objects.get()
    assert second["Slid-Evidence-ERN"] == item.ern == "UA-2022-BUCHA-000001"
    assert (item.sha256, item.submitted_sha256, item.size_bytes) == (CONTENT_SHA256, CONTENT_SHA256, 580)
    assert item.md5 == CONTENT_MD5
    assert (item.original_filename, item.received_by, item.status) == ("VID_0042.mp4", investigator, "received")
    received = item.custody.get()
    assert (received.event_type, received.details["sha256"]) == (CustodyEvent.RECEIVED, CONTENT_SHA256)
    assert received.agent == "user:olena"
    assert AuditEntry.objects.filter(action="evidence.receive", target=item.ern).count() == 1
    upload = upload_at(location)
    assert (upload.state, upload.item, upload.offset) == ("complete", item, 580)
    assert not partial_path(upload).exists()  # the bytes are in the intake store now, once
    from django.core.files.storage import storages

    with storages["intake"].open(item.intake_key) as stored:
        assert stored.read() == CONTENT


def test_a_complete_upload_tells_its_full_offset_and_takes_no_more_bytes(client, location):
    patch(client, location, 0, CONTENT)

    assert head(client, location)["Upload-Offset"] == "580"
    again = patch(client, location, 580, b"x")
    assert again.status_code == 409
    assert "UA-2022-BUCHA-000001" in again.json()["detail"]
    assert client.delete(location, headers=TUS).status_code == 409  # evidence is never deleted
    assert EvidenceItem.objects.count() == 1


def test_a_patch_at_another_offset_than_the_upload_s_is_refused_with_409(client, location):
    patch(client, location, 0, CONTENT[:100])

    ahead = patch(client, location, 150, CONTENT[150:200])
    overlapping = patch(client, location, 50, CONTENT[50:200])

    assert ahead.status_code == overlapping.status_code == 409
    assert ahead.json()["field"] == "Upload-Offset"
    assert "has 100 bytes" in overlapping.json()["detail"]
    upload = upload_at(location)
    assert upload.offset == 100
    assert partial_path(upload).read_bytes() == CONTENT[:100]


def test_a_patch_while_another_request_writes_is_refused_with_409(client, location):
    with open(partial_path(upload_at(location)), "rb") as busy:
        fcntl.flock(busy, fcntl.LOCK_EX)  # as a PATCH in another process holds it
        response = patch(client, location, 0, CONTENT[:100])

    assert response.status_code == 409
    assert "Another request is writing" in response.json()["detail"]
    assert upload_at(location).offset == 0


def test_bytes_past_the_offset_left_by_a_request_that_died_are_cut_off(client, location):
    patch(client, location, 0, CONTENT[:100])
    with open(partial_path(upload_at(location)), "ab") as partial:
        partial.write(b"GARBAGE written before the process died, never recorded")

    patch(client, location, 100, CONTENT[100:])

    assert EvidenceItem.objects.get().sha256 == CONTENT_SHA256


def test_a_client_that_goes_away_mid_request_keeps_what_arrived(location, investigator):
    class Dropped(io.BytesIO):
        def read(self, size=-1):
            if self.tell() >= 64:
                raise ConnectionResetError("the phone lost its signal")
            return super().read(min(size, 64 - self.tell()))

    upload = upload_at(location)
    appended = upload_append(actor=investigator, upload=upload, offset=0, stream=Dropped(CONTENT), content_length=580)

    assert (appended.received, appended.complete) == (64, False)
    assert upload_at(location).offset == 64
    assert partial_path(upload).read_bytes() == CONTENT[:64]


def test_a_patch_past_the_declared_length_is_413_and_writes_nothing(client, location):
    response = patch(client, location, 0, CONTENT + b"one byte too many")

    assert response.status_code == 413
    assert response.json()["field"] == "Content-Length"
    assert upload_at(location).offset == 0
    assert partial_path(upload_at(location)).read_bytes() == b""


def test_an_upload_over_the_size_limit_is_refused_at_creation_with_413(client, case_a, settings):
    settings.SLID_MAX_UPLOAD_BYTES = 579

    response = create(client, case_a)

    assert response.status_code == 413
    assert response["Tus-Max-Size"] == "579"
    assert response.json() == {
        "detail": "The file is larger than the limit of 579 bytes (0.0 GiB).",
        "field": "Upload-Length",
    }
    assert not ResumableUpload.objects.exists()


def test_termination_removes_the_bytes_and_the_upload_takes_no_more(client, location):
    patch(client, location, 0, CONTENT[:100])

    response = client.delete(location, headers=TUS)

    assert response.status_code == 204
    upload = upload_at(location)
    assert (upload.state, upload.reason) == ("terminated", "Cancelled by olena.")
    assert not partial_path(upload).exists()
    assert head(client, location).status_code == 410
    assert patch(client, location, 100, CONTENT[100:]).status_code == 410
    assert not EvidenceItem.objects.exists()


def test_the_protocol_s_requirements_are_checked(client, case_a, location):
    no_version = client.generic("PATCH", location, b"x", content_type=OCTETS, headers={"Upload-Offset": "0"})
    wrong_type = client.generic(
        "PATCH", location, b"x", content_type="text/plain", headers={**TUS, "Upload-Offset": "0"}
    )
    no_offset = client.generic("PATCH", location, b"x", content_type=OCTETS, headers=TUS)
    deferred = create(client, case_a, headers={"Upload-Defer-Length": "1", "Upload-Length": ""})
    negative = create(client, case_a, length=-5)

    assert (no_version.status_code, no_version["Tus-Version"]) == (412, "1.0.0")
    assert (wrong_type.status_code, wrong_type.json()["field"]) == (415, "Content-Type")
    assert (no_offset.status_code, no_offset.json()["field"]) == (400, "Upload-Offset")
    assert (deferred.status_code, deferred.json()["field"]) == (400, "Upload-Length")
    assert (negative.status_code, negative.json()["field"]) == (400, "Upload-Length")
    assert upload_at(location).offset == 0


# --- What a file becomes --------------------------------------------------------------------------


def test_the_fields_given_at_creation_reach_the_evidence_item(client, case_a, investigator):
    incident = make_incident(case_a, title="Shelling of the bread queue")
    witness = protected_person_create(actor=investigator, case=case_a, kind="witness", identity={"name": "Iryna"})
    location = create(
        client, case_a, sha256=CONTENT_SHA256, title="Queue at the bakery", kind="video", source_type="witness",
        source="Given by a neighbour", source_url="https://example.org/v/1", captured_at="2022-03-04 14:05",
        acquired_at="2022-03-06", confidentiality="identifies_witness", incidents=str(incident.pk),
        protected_persons=str(witness.pk),
    )["Location"]  # fmt: skip

    patch(client, location, 0, CONTENT)

    item = EvidenceItem.objects.get()
    assert (item.title, item.kind, item.kind_source) == ("Queue at the bakery", "video", "submitter")
    assert (item.source_type, item.source, item.source_url) == (
        "witness",
        "Given by a neighbour",
        "https://example.org/v/1",
    )
    # Kyiv is UTC+2 in early March: 14:05 there is 12:05 UTC, and a bare date is that day's start.
    assert item.captured_at == datetime(2022, 3, 4, 12, 5, tzinfo=UTC)
    assert item.acquired_at == datetime(2022, 3, 5, 22, 0, tzinfo=UTC)
    assert item.confidentiality == "identifies_witness"
    assert list(item.incidents.all()) == [incident]
    assert list(item.protected_persons.all()) == [witness]
    assert list(item.custody.values_list("event_type", flat=True)) == ["received", "linked"]


def test_a_file_whose_bytes_differ_from_the_browser_s_hash_is_received_and_shown_as_a_mismatch(client, case_a):
    location = create(client, case_a, sha256="0" * 64)["Location"]
    patch(client, location, 0, CONTENT)
    upload = upload_at(location)

    status = client.get(f"/cases/UA-2022-BUCHA/uploads/?id={upload.public_id}").json()["uploads"][0]

    assert status["item"]["sha256"] == CONTENT_SHA256
    assert (status["submitted_sha256"], status["item"]["matches"]) == ("0" * 64, False)
    assert EvidenceItem.objects.get().custody.get().detail.endswith(f"; the submitter's SHA-256 {'0' * 64} differs")


def test_the_status_tells_how_far_each_upload_has_come(client, case_a, location):
    other = create(client, case_a, filename="IMG_0001.jpg")["Location"]
    patch(client, location, 0, CONTENT)
    patch(client, other, 0, CONTENT[:10])
    ids = [str(upload_at(location).public_id), str(upload_at(other).public_id), str(uuid.uuid4())]

    response = client.get("/cases/UA-2022-BUCHA/uploads/", {"id": ids})

    done, going = response.json()["uploads"]  # an id that is not theirs is left out
    assert (done["stage"], done["final"], done["item"]["ern"], done["item"]["matches"]) == (
        "received", False, "UA-2022-BUCHA-000001", True,
    )  # fmt: skip
    assert (going["stage"], going["offset"], going["length"], going["item"]) == ("receiving", 10, 580, None)
    assert client.get("/cases/UA-2022-BUCHA/uploads/", {"id": "not-a-uuid"}).status_code == 400


def test_a_failure_of_the_moment_at_hand_over_leaves_the_last_chunk_to_send_again(client, location, monkeypatch):
    real = resumable.evidence_receive

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    patch(client, location, 0, CONTENT[:300])
    monkeypatch.setattr(resumable, "evidence_receive", database_gone)
    failed = patch(client, location, 300, CONTENT[300:])

    assert (failed.status_code, failed["Retry-After"]) == (503, "30")
    upload = upload_at(location)
    assert (upload.offset, upload.state) == (300, "receiving")
    assert not EvidenceItem.objects.exists()
    assert not list(partial_path(upload).parent.glob("*.intake"))  # no hard link left behind
    monkeypatch.setattr(resumable, "evidence_receive", real)
    assert head(client, location)["Upload-Offset"] == "300"
    assert patch(client, location, 300, CONTENT[300:]).status_code == 204
    assert EvidenceItem.objects.get().sha256 == CONTENT_SHA256


def test_a_refusal_of_intake_fails_the_upload_with_the_reason_and_removes_its_bytes(client, location, monkeypatch):
    def refuse(**kwargs):
        raise DomainError("The case is closed to new evidence.", field="case")

    monkeypatch.setattr(resumable, "evidence_receive", refuse)
    response = patch(client, location, 0, CONTENT)

    assert (response.status_code, response.json()["detail"]) == (400, "The case is closed to new evidence.")
    upload = upload_at(location)
    assert (upload.state, upload.reason) == ("failed", "The case is closed to new evidence.")
    assert not partial_path(upload).exists()
    assert head(client, location).status_code == 410


# --- Bad input: a clear 4xx naming the field, nothing written ----------------------------------------


@pytest.mark.parametrize(
    ("header", "field", "words"),
    [
        ("filename " + base64.b64encode(b"a.jpg").decode() + ",title %%%", "title", "not base64"),
        ("filename " + base64.b64encode(b"\xff\xfe").decode(), "filename", "UTF-8"),
        ("filename YS5qcGc=,filename YS5qcGc=", "filename", "twice"),
        ("filename YS5qcGc=,owner b2xlbmE=", "owner", "cannot be set here"),
        ("filename " + base64.b64encode(b"a\x00.jpg").decode(), "filename", "without NUL"),
        ("title YQ==", "filename", "1 to 1000 characters"),
        ("filename YS5qcGc=,sha256 eHl6", "sha256", "64 hexadecimal"),
        ("filename YS5qcGc=,kind " + base64.b64encode(b"painting").decode(), "kind", "Select a valid choice"),
        ("filename YS5qcGc=,captured_at " + base64.b64encode(b"yesterday").decode(), "captured_at", "Write a date"),
        ("filename YS5qcGc=,title " + base64.b64encode(b"a\x00b").decode(), "title", "Null characters"),
        ("filename YS5qcGc=,incidents " + base64.b64encode(b"99999").decode(), "incidents", "Select a valid choice"),
        ("filename YS5qcGc=,source " + base64.b64encode(b"x" * 6000).decode(), "Upload-Metadata", "too long"),
    ],
)
def test_hostile_metadata_is_refused_naming_the_field(client, case_a, header, field, words):
    response = client.generic(
        "POST", "/cases/UA-2022-BUCHA/uploads/", b"", headers={**TUS, "Upload-Length": "10", "Upload-Metadata": header}
    )

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert words in response.json()["detail"]
    assert not ResumableUpload.objects.exists()


def test_an_incident_of_another_case_cannot_be_named(client, case_a, case_b):
    foreign = make_incident(case_b)

    response = create(client, case_a, incidents=str(foreign.pk))

    assert (response.status_code, response.json()["field"]) == (400, "incidents")
    assert not ResumableUpload.objects.exists()


def test_an_empty_file_is_refused(client, case_a):
    response = create(client, case_a, length=0)

    assert (response.status_code, response.json()) == (400, {"detail": "The file is empty.", "field": "Upload-Length"})


# --- Who may ---------------------------------------------------------------------------------------


def test_nobody_but_its_owner_sees_resumes_or_cancels_an_upload(case_a, location, member_of):
    others = {
        "another investigator": member_of(case_a, Role.INVESTIGATOR),
        "the lead": member_of(case_a, Role.LEAD),
        "a superuser": UserFactory(is_staff=True, is_superuser=True),
    }
    upload = upload_at(location)
    for who, user in others.items():
        client = signed_in(user)
        assert head(client, location).status_code == 404, who
        assert client.get(location).status_code == 404, who
        assert patch(client, location, 0, CONTENT).status_code == 404, who
        assert client.delete(location, headers=TUS).status_code == 404, who
        assert client.get("/cases/UA-2022-BUCHA/uploads/", {"id": str(upload.public_id)}).json() == {"uploads": []}
    upload.refresh_from_db()
    assert (upload.offset, upload.state) == (0, "receiving")


def test_an_upload_asked_for_under_another_case_is_not_found(case_a, case_b, location, investigator):
    case_b.memberships.create(user=investigator, role=Role.INVESTIGATOR)
    client = signed_in(investigator)
    elsewhere = location.replace("UA-2022-BUCHA", "UA-2022-IZIUM")

    assert head(client, elsewhere).status_code == 404
    assert patch(client, elsewhere, 0, CONTENT).status_code == 404
    assert client.delete(elsewhere, headers=TUS).status_code == 404
    assert upload_at(location).offset == 0


@pytest.mark.parametrize("role", [Role.ANALYST, Role.LEGAL])
def test_roles_that_may_not_upload_through_the_api_may_not_here(case_a, member_of, role):
    client = signed_in(member_of(case_a, role))

    assert create(client, case_a).status_code == 403
    assert client.get("/cases/UA-2022-BUCHA/upload/").status_code == 403
    assert not ResumableUpload.objects.exists()


def test_a_non_member_gets_404(case_b, member_of):
    response = create(signed_in(member_of(case_b, Role.LEAD)), type("Case", (), {"reference": "UA-2022-BUCHA"}))

    assert response.status_code == 404


def test_a_signed_out_script_is_told_to_sign_in_not_sent_a_page(case_a, location):
    response = patch(Client(), location, 0, CONTENT)

    assert response.status_code == 403
    assert "sign in again" in response.json()["detail"]


def test_every_write_needs_the_csrf_token_in_its_header(investigator, case_a):
    client = signed_in(investigator, enforce_csrf_checks=True)
    client.get("/cases/UA-2022-BUCHA/upload/")  # the page sets the CSRF cookie
    token = client.cookies[settings.CSRF_COOKIE_NAME].value

    refused = create(client, case_a)
    created = create(client, case_a, headers={"X-CSRFToken": token})
    location = created["Location"]

    assert refused.status_code == 403 and created.status_code == 201
    assert patch(client, location, 0, CONTENT).status_code == 403
    assert client.delete(location, headers=TUS).status_code == 403
    assert patch(client, location, 0, CONTENT, **{"X-CSRFToken": token}).status_code == 204


# --- Abandoned uploads ------------------------------------------------------------------------------


def test_the_sweep_removes_uploads_abandoned_for_longer_than_the_expiry(client, case_a, location, settings):
    settings.SLID_UPLOAD_EXPIRY_HOURS = 24
    patch(client, location, 0, CONTENT[:100])
    fresh = upload_at(create(client, case_a, filename="fresh.mp4")["Location"])
    stale = upload_at(location)
    ResumableUpload.objects.filter(pk=stale.pk).update(last_written_at=timezone.now() - timedelta(hours=25))

    assert uploads_expire() == [str(stale.public_id)]

    stale.refresh_from_db()
    assert (stale.state, stale.offset) == ("expired", 100)
    assert not partial_path(stale).exists()
    assert partial_path(fresh).exists() and ResumableUpload.objects.get(pk=fresh.pk).state == "receiving"
    assert head(client, location).status_code == 410


def test_the_sweep_removes_files_no_upload_owns_once_an_hour_old(case_a, location):
    folder = partial_path(upload_at(location)).parent
    old_orphan, new_orphan = folder / str(uuid.uuid4()), folder / f"{uuid.uuid4()}.abc.intake"
    old_orphan.write_bytes(b"left by a request that died before its commit")
    new_orphan.write_bytes(b"being handed over right now")
    two_hours_ago = time.time() - 7200
    os.utime(old_orphan, (two_hours_ago, two_hours_ago))
    os.utime(partial_path(upload_at(location)), (two_hours_ago, two_hours_ago))

    uploads_expire()

    assert not old_orphan.exists()
    assert new_orphan.exists()
    assert partial_path(upload_at(location)).exists()  # an old file of an upload still receiving stays


def test_the_hourly_intake_sweep_expires_abandoned_uploads(client, location, settings):
    from workers.tasks import remove_intake_orphans

    ResumableUpload.objects.update(
        last_written_at=timezone.now() - timedelta(hours=settings.SLID_UPLOAD_EXPIRY_HOURS + 1)
    )

    Path(settings.STORAGES["intake"]["OPTIONS"]["location"]).mkdir(parents=True, exist_ok=True)

    remove_intake_orphans()

    assert upload_at(location).state == UploadState.EXPIRED


# --- The page and the receipt ------------------------------------------------------------------------


def test_the_page_offers_the_batch_fields_and_the_case_s_incidents_and_witnesses(client, case_a, investigator):
    make_incident(case_a, title="Shelling of the bread queue")
    protected_person_create(actor=investigator, case=case_a, kind="witness", identity={"name": "Iryna"})

    response = client.get("/cases/UA-2022-BUCHA/upload/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-endpoint="/cases/UA-2022-BUCHA/uploads/"' in html
    assert 'name="batch-captured_at"' in html and 'name="each-captured_at"' in html
    assert "Shelling of the bread queue" in html and "W-0001 (Witness)" in html
    assert 'id="upload-messages" type="application/json"' in html
    assert response["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self';")


def test_the_receipt_lists_what_was_received_and_downloads_as_text(client, case_a, location, case_b, member_of):
    patch(client, location, 0, CONTENT)
    item = EvidenceItem.objects.get()

    page = client.get("/cases/UA-2022-BUCHA/upload/receipt/", {"ern": [item.ern, "UA-2022-IZIUM-000001"]})
    text = client.get("/cases/UA-2022-BUCHA/upload/receipt/", {"ern": item.ern, "format": "text"})

    html = page.content.decode()
    assert page.status_code == 200
    assert "UA-2022-BUCHA-000001" in html and CONTENT_SHA256 in html and "VID_0042.mp4" in html
    assert "The bytes we received are the bytes you had." in html
    assert text["Content-Type"] == "text/plain; charset=utf-8"
    assert text["Content-Disposition"].startswith('attachment; filename="slid-receipt-UA-2022-BUCHA-')
    body = text.content.decode()
    assert "ERN: UA-2022-BUCHA-000001\nFile: VID_0042.mp4\nSize: 580 bytes\n" in body
    assert body.endswith(f"{CONTENT_SHA256}  VID_0042.mp4\n")  # what sha256sum --check reads
    outsider = signed_in(member_of(case_b, Role.LEAD))
    assert outsider.get("/cases/UA-2022-BUCHA/upload/receipt/", {"ern": item.ern}).status_code == 404


@pytest.mark.parametrize("ern", ["UA-2022-BUCHA-\x00000001", "x" * 100_000, "' OR 1=1 --", "UA-2022-BUCHA-%"])
def test_a_receipt_asked_for_with_hostile_erns_lists_only_what_they_name_exactly(client, location, ern):
    patch(client, location, 0, CONTENT)
    item = EvidenceItem.objects.get()

    page = client.get("/cases/UA-2022-BUCHA/upload/receipt/", {"ern": [ern, item.ern]})
    text = client.get("/cases/UA-2022-BUCHA/upload/receipt/", {"ern": ern, "format": "text"})

    assert page.status_code == 200 and text.status_code == 200
    assert [listed.ern for listed in page.context["items"]] == ["UA-2022-BUCHA-000001"]
    assert "UA-2022-BUCHA-000001" not in text.content.decode()


def test_the_page_the_script_s_words_and_the_receipt_are_in_ukrainian(case_a, location, investigator):
    import json
    import re

    from tests.web.test_i18n import english_words

    client = Client(headers={"Accept-Language": "uk"})
    client.force_login(investigator)
    patch(signed_in(investigator), location, 0, CONTENT)
    case_a.title = "Вбивства в Бучі"
    case_a.save()

    page = client.get("/cases/UA-2022-BUCHA/upload/").content.decode()
    receipt = client.get("/cases/UA-2022-BUCHA/upload/receipt/", {"ern": "UA-2022-BUCHA-000001"}).content.decode()
    script = json.loads(re.search(r'id="upload-messages" type="application/json">(.*?)</script>', page, re.S)[1])

    names = {"olena", "VID", "mp", "SHA", "HTTP", "URL", "JavaScript", "POST", "api", "evidence"}

    def main(html: str) -> str:  # the page's own part; the layout is tests/web/test_i18n.py's
        return re.sub(r"\b[0-9a-f]{64}\b", "", html[html.index("<main") : html.index("</main>")])

    assert english_words(main(page), names) == set()
    assert english_words(main(receipt), names) == set()

    def values(tree) -> list[str]:
        return (
            [text for value in tree.values() for text in values(value)]
            if isinstance(tree, dict)
            else (tree if isinstance(tree, list) else [tree])
        )

    words = " ".join(values(script))
    assert set(re.findall(r"[A-Za-z]{2,}", re.sub(r"\{\w+\}", "", words))) <= {"SHA", "HTTP"} | names


def test_only_the_hash_worker_is_sent_with_a_policy_that_lets_it_compile_webassembly():
    from wsgiref.headers import Headers

    from web.static_headers import add_static_headers

    def policy(url: str) -> str | None:
        headers = Headers([])
        add_static_headers(headers, "/ignored", url)
        return headers.get("Content-Security-Policy")

    wasm = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'"
    assert policy("/static/web/js/upload-hash-worker.js") == wasm
    assert policy("/static/web/js/upload-hash-worker.0123456789ab.js") == wasm  # the manifest's name
    assert policy("/static/web/js/upload.js") is None
    assert policy("/static/web/js/upload-hash-worker.js.map") is None
    assert "wasm-unsafe-eval" in Client().get("/static/web/js/upload-hash-worker.js")["Content-Security-Policy"]
