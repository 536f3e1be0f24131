"""What a package says about the evidence it leaves out or carries marked, and what the bundled
verify.py makes of it (including version-2 chains of custody, under the oldest Python it supports)."""

import csv
import glob
import io
import json
import shutil
import subprocess
from pathlib import Path

import bagit
import pytest

from evidence.models import EvidenceItem, ExportProfile, Role
from evidence.services.custody import custody_append
from evidence.services.intake import evidence_receive
from evidence.services.packages import export_request
from evidence.services.processing import evidence_claim, evidence_mark_failed
from tests.factories import make_incident
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, package_of, run_verify
from workers import common

pytestmark = pytest.mark.django_db

WRONG_SHA256 = "0" * 64


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


@pytest.fixture
def incident(case_a):
    return make_incident(case_a, title="Killings on Yablunska Street")


@pytest.fixture
def photo(case_a, lead, incident):
    return archived_item(case_a, lead, b"photo bytes " * 500, name="IMG_0042.jpg", incidents=[incident])


@pytest.fixture
def corrupt(case_a, lead, incident):
    """Archived as received, but not what its submitter sent (the submitter's SHA-256 differs)."""
    item = archived_item(
        case_a, lead, b"not what was sent", name="IMG_0043.jpg", incidents=[incident], submitted_sha256=WRONG_SHA256
    )
    assert item.status == "corrupt" and item.archive_key
    return item


def bag_info(bag: Path) -> dict:
    return bagit.Bag(str(bag)).info


def register(bag: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((bag / "data" / "register.csv").read_text())))


def test_a_corrupt_item_selected_through_its_incident_is_left_out_and_named_with_the_reason(
    lead, case_a, incident, photo, corrupt, tmp_path
):
    export = build(export_request(actor=lead, case=case_a, incidents=[incident]))
    zip_path, bag = package_of(export, tmp_path)

    assert export.status == "ready" and export.item_count == 1
    assert [row["ERN"] for row in register(bag)] == [photo.ern]
    assert not (bag / "data" / "evidence" / corrupt.ern).exists()
    assert bag_info(bag)["Slid-Not-Included"] == (
        f"{corrupt.ern}: corrupt: The submitter's SHA-256 {WRONG_SHA256} differs from the received {corrupt.sha256}. "
        "(choose it by name to include it, marked)"
    )
    assert not corrupt.custody.filter(event_type="exported").exists()
    verdict = run_verify(zip_path)
    assert verdict.returncode == 0, verdict.stdout
    assert "VERDICT: INTACT — 1 evidence files and 1 chains of custody verified" in verdict.stdout


def test_a_corrupt_item_chosen_by_name_goes_in_marked_and_verify_reports_it(lead, case_a, photo, corrupt, tmp_path):
    export = build(export_request(actor=lead, case=case_a, evidence=[photo, corrupt]))
    zip_path, bag = package_of(export, tmp_path)

    assert export.status == "ready" and export.item_count == 2
    reason = f"The submitter's SHA-256 {WRONG_SHA256} differs from the received {corrupt.sha256}."
    integrity = {row["ERN"]: row["Integrity"] for row in register(bag)}
    assert integrity == {photo.ern: "intact", corrupt.ern: f"corrupt: {reason}"}
    assert bag_info(bag)["Slid-Marked-Corrupt"] == f"{corrupt.ern}: {reason}"
    assert "Slid-Not-Included" not in bag_info(bag)
    bagit.Bag(str(bag)).validate()
    for target in (zip_path, bag):
        verdict = run_verify(target)
        assert verdict.returncode == 2, verdict.stdout
        assert f"VERDICT: INTACT (package), but 1 item is marked corrupt by Slid: {corrupt.ern}" in verdict.stdout
        assert f"MARKED CORRUPT BY SLID: {corrupt.ern}: {reason}" in verdict.stdout
        assert "VERDICT: INTACT —" not in verdict.stdout


def test_a_profile_without_an_integrity_column_gets_one_when_a_corrupt_item_goes_in(
    lead, case_a, photo, corrupt, tmp_path
):
    ExportProfile.objects.create(name="short", columns=[{"column": "Evidence number", "field": "ern"}])
    plain = build(export_request(actor=lead, case=case_a, evidence=[photo], profile="short"))
    marked = build(export_request(actor=lead, case=case_a, evidence=[photo, corrupt], profile="short"))
    (tmp_path / "plain").mkdir()
    (tmp_path / "marked").mkdir()

    assert register(package_of(plain, tmp_path / "plain")[1]) == [{"Evidence number": photo.ern}]
    rows = register(package_of(marked, tmp_path / "marked")[1])
    assert [list(row) for row in rows] == [["Evidence number", "Integrity"]] * 2
    assert [row["Integrity"][:8] for row in rows] == ["intact", "corrupt:"]


def test_items_not_archived_are_left_out_one_line_each_with_the_reason(lead, case_a, photo, tmp_path):
    from django.core.files.base import ContentFile

    waiting = evidence_receive(actor=lead, case=case_a, upload=ContentFile(b"waiting"), original_filename="w.jpg")
    failing = evidence_receive(actor=lead, case=case_a, upload=ContentFile(b"failing"), original_filename="f.jpg")
    claim = evidence_claim(item_id=failing.pk)
    assert evidence_mark_failed(claim=claim, agent=common.worker_agent("test"), reason="exiftool crashed")

    export = build(export_request(actor=lead, case=case_a, evidence=[photo, waiting, failing]))
    _, bag = package_of(export, tmp_path)

    assert export.item_count == 1
    assert bag_info(bag)["Slid-Not-Included"] == [
        f"{waiting.ern}: not archived yet (received)",
        f"{failing.ern}: processing failed: exiftool crashed",
    ]


def test_a_duplicate_goes_in_with_the_bytes_the_archive_keeps_once(lead, case_a, photo, tmp_path):
    copy = archived_item(case_a, lead, b"photo bytes " * 500, name="copy.jpg")
    assert copy.status == "duplicate"

    export = build(export_request(actor=lead, case=case_a, evidence=[photo, copy]))
    zip_path, bag = package_of(export, tmp_path)

    assert export.item_count == 2
    assert (bag / "data" / "evidence" / copy.ern / "copy.jpg").read_bytes() == b"photo bytes " * 500
    assert run_verify(zip_path).returncode == 0


def test_a_duplicate_recorded_before_duplicates_had_an_archive_key_is_read_from_its_original(
    lead, case_a, photo, tmp_path
):
    legacy = EvidenceItem.objects.create(
        case=case_a,
        ern=f"{case_a.reference}-LEGACY",
        original_filename="old-copy.jpg",
        status="duplicate",
        duplicate_of=photo,
        sha256=photo.sha256,
        size_bytes=photo.size_bytes,
    )
    custody_append(item=legacy, event_type="duplicate_found", agent=common.worker_agent("test"))

    export = build(export_request(actor=lead, case=case_a, evidence=[legacy]))
    zip_path, bag = package_of(export, tmp_path)

    assert export.status == "ready" and export.item_count == 1
    assert (bag / "data" / "evidence" / legacy.ern / "old-copy.jpg").read_bytes() == b"photo bytes " * 500
    assert run_verify(zip_path).returncode == 0


def test_a_changed_number_in_a_version_2_custody_entry_is_noticed(lead, case_a, photo, tmp_path):
    export = build(export_request(actor=lead, case=case_a, evidence=[photo]))
    _, bag = package_of(export, tmp_path)
    chain = bag / "data" / "custody" / f"{photo.ern}.jsonl"
    entries = [json.loads(line) for line in chain.read_text().splitlines()]
    hashed = next(entry for entry in entries if entry["event_type"] == "hashed")
    assert {entry["version"] for entry in entries} == {2}

    hashed["details"]["size_bytes"] += 1
    chain.write_text("".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries))

    verdict = run_verify(bag)
    assert verdict.returncode == 1
    assert f"{photo.ern}: entry {hashed['sequence']} was changed after it was written" in verdict.stdout


def python_3_8() -> str | None:
    """A Python 3.8 interpreter on this machine (on PATH, or one pyenv installed), if there is one."""
    installed = sorted(glob.glob(str(Path.home() / ".pyenv" / "versions" / "3.8*" / "bin" / "python3.8")))
    candidates = [shutil.which("python3.8"), *installed]
    for candidate in filter(None, candidates):
        answer = subprocess.run([candidate, "--version"], capture_output=True, text=True, check=False)
        if answer.returncode == 0 and answer.stdout.startswith("Python 3.8"):
            return candidate
    return None


def test_verify_py_checks_a_package_with_python_3_8(lead, case_a, photo, corrupt, tmp_path):
    python38 = python_3_8()
    if python38 is None:
        pytest.skip("no Python 3.8 on this machine")
    export = build(export_request(actor=lead, case=case_a, evidence=[photo, corrupt]))
    zip_path, bag = package_of(export, tmp_path)

    verdict = subprocess.run(
        [python38, str(bag / "data" / "verify.py"), str(zip_path)], capture_output=True, text=True, check=False
    )

    assert verdict.returncode == 2, verdict.stdout + verdict.stderr
    assert "2 evidence files and 2 chains of custody verified" in verdict.stdout
