"""Content Credentials (C2PA) read at intake, end to end through a real Celery worker: files signed
here with a certificate chain made here, whose root the worker trusts (SLID_C2PA_TRUST_ANCHORS of the
test settings), and files signed by a root it does not trust, edited after signing, or not signed."""

import io
import math
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import pytest
from django.conf import settings

from evidence.models import EvidenceItem, Role
from tests.content_credentials import make_chain, signed
from tests.media import photo_bytes
from tests.web.helpers import main_of, signed_in
from tests.workers.worker import wait_for_status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

DONE = {"archived", "duplicate", "failed", "corrupt"}
# The claim generator, signer and actions tests/content_credentials.py puts in, as the record must give them.
CLAIM_GENERATOR = "Slid test camera 2.1"
ACTIONS = [
    {
        "action": "c2pa.created",
        "when": "2026-03-01T09:30:00Z",
        "software_agent": "Slid test camera",
        "digital_source_type": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
    },
    {"action": "c2pa.cropped", "software_agent": "Slid test editor"},
]


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


@pytest.fixture
def trusted():
    """A signing chain whose root is one of the worker's trust anchors while the test runs."""
    chain = make_chain("Trusted")
    folder = Path(settings.SLID_C2PA_TRUST_ANCHORS[0])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test-root.pem").write_text(chain.root_pem)
    yield chain
    shutil.rmtree(folder)


def processed(upload, user, case, content: bytes, name: str) -> EvidenceItem:
    response = upload(user, case, content, name=name)
    assert response.status_code == 201, response.content
    return wait_for_status(EvidenceItem.objects.get(pk=response.json()["id"]), DONE)


def provenance_entry(item: EvidenceItem):
    [entry] = item.custody.filter(event_type="provenance_read")
    return entry


def shown(client_for, user, item: EvidenceItem) -> dict:
    response = client_for(user).get(f"/api/v1/evidence/{item.pk}/")
    assert response.status_code == 200
    return response.json()["provenance"]


def test_a_photo_signed_by_a_trusted_signer_is_recorded_valid(upload, client_for, case_a, investigator, trusted):
    photo = signed(photo_bytes(seed=21), "image/jpeg", trusted)

    item = processed(upload, investigator, case_a, photo, "signed.jpg")

    assert item.status == "archived", item.status_reason
    entry = provenance_entry(item)
    assert entry.outcome == "success"
    assert entry.details["state"] == "valid"
    assert entry.details["validation_state"] == "Trusted"
    assert entry.details["claim_generator"] == CLAIM_GENERATOR
    assert entry.details["actions"] == ACTIONS
    assert entry.details["ingredients"] == []
    assert entry.details["failures"] == []
    assert entry.details["timestamp"] == "none"
    assert entry.details["signer"]["common_name"] == "Trusted signer"
    assert entry.details["signer"]["organization"] == "Trusted newsroom"
    assert entry.details["signer"]["algorithm"].lower() == "es256"
    assert entry.detail.startswith("Content Credentials valid, signed by Trusted signer (Trusted newsroom), trusted")
    assert shown(client_for, investigator, item) == entry.details
    events = [entry.event_type for entry in item.custody.order_by("sequence")]
    assert events == ["received", "hashed", "identified", "described", "provenance_read", "archived", "verified"]


def test_the_evidence_page_shows_the_provenance_in_english_and_ukrainian(upload, case_a, investigator, trusted):
    item = processed(upload, investigator, case_a, signed(photo_bytes(seed=26), "image/jpeg", trusted), "a.jpg")
    page = f"/cases/{case_a.reference}/evidence/{item.pk}/"

    english = main_of(signed_in(investigator).get(page).content.decode())
    ukrainian = signed_in(investigator)
    ukrainian.defaults["HTTP_ACCEPT_LANGUAGE"] = "uk"
    in_ukrainian = main_of(ukrainian.get(page).content.decode())

    said = "Valid, from a trusted signer</span> · signed by Trusted signer (Trusted newsroom) · Slid test camera 2.1"
    assert said in english
    assert "Облікові дані вмісту (C2PA)" in in_ukrainian
    assert "Дійсні, від довіреного підписувача</span> · підписав Trusted signer (Trusted newsroom)" in in_ukrainian


def test_a_signed_photo_edited_after_signing_is_flagged_invalid_and_still_archived(
    upload, client_for, case_a, investigator, trusted
):
    photo = bytearray(signed(photo_bytes(seed=22), "image/jpeg", trusted))
    photo[-200] ^= 0xFF  # a byte of the picture itself, after the manifest: what an editor's change does

    item = processed(upload, investigator, case_a, bytes(photo), "edited.jpg")

    assert item.status == "archived", item.status_reason
    entry = provenance_entry(item)
    assert entry.outcome == "warning"
    assert entry.details["state"] == "invalid"
    assert entry.details["validation_state"] == "Invalid"
    assert "assertion.dataHash.mismatch" in [failure["code"] for failure in entry.details["failures"]]
    # What the manifest says is still recorded: it is the claim that no longer holds.
    assert entry.details["claim_generator"] == CLAIM_GENERATOR
    assert entry.details["actions"] == ACTIONS
    assert entry.detail.startswith("Content Credentials do not validate (signed by Trusted signer (Trusted newsroom))")
    assert shown(client_for, investigator, item)["state"] == "invalid"


def test_a_photo_signed_by_a_root_not_trusted_is_flagged_untrusted(upload, client_for, case_a, investigator, trusted):
    stranger = make_chain("Unknown")
    photo = signed(photo_bytes(seed=23), "image/jpeg", stranger)

    item = processed(upload, investigator, case_a, photo, "stranger.jpg")

    assert item.status == "archived", item.status_reason
    entry = provenance_entry(item)
    assert entry.outcome == "warning"
    assert (entry.details["state"], entry.details["validation_state"]) == ("untrusted", "Valid")
    assert [failure["code"] for failure in entry.details["failures"]] == ["signingCredential.untrusted"]
    assert entry.details["signer"]["common_name"] == "Unknown signer"
    assert entry.details["actions"] == ACTIONS
    assert shown(client_for, investigator, item)["state"] == "untrusted"


def test_a_photo_timestamped_by_an_authority_whose_certificate_c2pa_refuses_is_not_called_changed(
    upload, client_for, case_a, investigator, trusted, local_tsa
):
    # tests.tsa's authority: a real RFC 3161 token, from a certificate without the key identifiers the
    # C2PA certificate profile asks for. Every hash and the signature hold: the bytes are as signed.
    photo = signed(photo_bytes(seed=27), "image/jpeg", trusted, tsa_url=local_tsa.url)
    assert local_tsa.requests == 1

    item = processed(upload, investigator, case_a, photo, "stamped.jpg")

    assert item.status == "archived", item.status_reason
    entry = provenance_entry(item)
    assert entry.outcome == "warning"
    assert (entry.details["state"], entry.details["validation_state"]) == ("certificate_invalid", "Invalid")
    assert [failure["code"] for failure in entry.details["failures"]] == ["signingCredential.invalid"]
    assert entry.details["timestamp"] == "untrusted"
    assert entry.details["actions"] == ACTIONS
    assert entry.detail.startswith(
        "Content Credentials intact, but a certificate does not pass (signed by Trusted signer (Trusted newsroom))"
        "; timestamp by an authority not trusted here"
    )
    assert shown(client_for, investigator, item)["state"] == "certificate_invalid"


def test_a_photo_without_content_credentials_is_recorded_as_having_none(upload, client_for, case_a, investigator):
    item = processed(upload, investigator, case_a, photo_bytes(seed=24), "plain.jpg")

    assert item.status == "archived", item.status_reason
    entry = provenance_entry(item)
    assert (entry.outcome, entry.details) == ("success", {"state": "none"})
    assert entry.detail == "No Content Credentials (C2PA manifest) in the file"
    assert shown(client_for, investigator, item) == {"state": "none"}


def wav_bytes() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 5))) for i in range(8000)))
    return buffer.getvalue()


def mp4_bytes(tmp_path: Path) -> bytes:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed")
    path = tmp_path / "clip.mp4"
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=64x64:d=1", "-c:v", "mpeg4", path],
        check=True,
        capture_output=True,
    )
    return path.read_bytes()


@pytest.mark.parametrize(("name", "media_type"), [("sound.wav", "audio/wav"), ("clip.mp4", "video/mp4")])
def test_signed_audio_and_video_are_read_too(upload, case_a, investigator, trusted, tmp_path, name, media_type):
    content = wav_bytes() if name.endswith(".wav") else mp4_bytes(tmp_path)

    item = processed(upload, investigator, case_a, signed(content, media_type, trusted, title=name), name)

    assert item.status == "archived", item.status_reason
    entry = provenance_entry(item)
    assert (entry.details["state"], entry.details["claim_generator"]) == ("valid", CLAIM_GENERATOR)
    assert entry.details["actions"] == ACTIONS


def test_a_file_that_is_not_an_image_video_or_audio_is_not_read(upload, client_for, case_a, investigator):
    item = processed(upload, investigator, case_a, b"%PDF-1.4\n a statement that mentions c2pa", "statement.pdf")

    assert item.status == "archived", item.status_reason
    assert not item.custody.filter(event_type="provenance_read").exists()
    assert shown(client_for, investigator, item) is None


def test_a_damaged_manifest_is_recorded_as_an_error_and_the_file_archived(
    upload, client_for, case_a, investigator, trusted
):
    photo = signed(photo_bytes(seed=25), "image/jpeg", trusted)
    cut = photo[: len(photo) // 3]  # the manifest store's start is there, the rest of it and the picture are not

    item = processed(upload, investigator, case_a, cut, "cut.jpg")

    assert item.status == "archived", item.status_reason
    entry = provenance_entry(item)
    assert (entry.outcome, entry.details["state"]) == ("warning", "error")
    assert entry.details["error"].startswith("Other: asset could not be parsed")
    assert entry.detail.startswith("Content Credentials could not be read: Other: asset could not be parsed")
    assert shown(client_for, investigator, item)["state"] == "error"
