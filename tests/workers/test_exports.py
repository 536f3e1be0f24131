"""Court submission packages, checked by the Library of Congress' bagit and by the bundled verify.py."""

import csv
import hashlib
import io
import json
import subprocess
import sys
import threading
import unicodedata
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bagit
import pytest
from django.core.files.storage import storages
from django.db import connection
from django.utils import timezone

from evidence.models import AuditEntry, Case, Export, ExportProfile, OutboxTask, Role
from evidence.package import layout as package_layout
from evidence.services.packages import (
    export_claim,
    export_mark_failed,
    export_mark_ready,
    export_request,
    export_set_progress,
    export_sweep_stuck,
)
from evidence.services.record import allegation_create, person_create
from evidence.services.witnesses import package_identities_document, protected_person_create
from tests.bagit_profile import profile_errors
from tests.factories import make_incident
from tests.workers.helpers import archived_item
from workers import common, exports

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


@pytest.fixture
def record(case_a, lead):
    incident = make_incident(case_a, title="Killings on Yablunska Street", crimes=["8(2)(a)(i)"])
    person = person_create(actor=lead, case=case_a, full_name="Ivan Petrov")
    allegation_create(actor=lead, case=case_a, incident=incident, person=person, role="direct_perpetrator")
    photo = archived_item(case_a, lead, b"photo bytes " * 5000, name="IMG_0042.jpg", incidents=[incident])
    statement = archived_item(case_a, lead, b"%PDF-1.4 statement", name="statement.pdf")
    return {"incident": incident, "photo": photo, "statement": statement}


def build(export: Export) -> Export:
    exports.build_export(export.pk, agent=common.worker_agent("test"))
    export.refresh_from_db()
    return export


def package_bytes(export: Export) -> bytes:
    layout = package_layout.stored_layout(export.package_key)
    unseal = (lambda: package_identities_document(export=export)) if layout.sealed else None
    chunks = package_layout.package_chunks(layout, 0, export.size_bytes, on_mismatch=lambda *_: None, unseal=unseal)
    return b"".join(chunks)


def package_of(export: Export, tmp_path: Path) -> tuple[Path, Path]:
    """(the zip, the bag folder unpacked from it)."""
    zip_path = tmp_path / "package.zip"
    zip_path.write_bytes(package_bytes(export))
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(tmp_path / "unpacked")
    (bag,) = (tmp_path / "unpacked").iterdir()
    assert profile_errors(zip_path, bag) == []
    return zip_path, bag


def run_verify(target: Path) -> subprocess.CompletedProcess:
    script = target / "data" / "verify.py" if target.is_dir() else target.parent / "unpacked-verify.py"
    if not target.is_dir():
        with zipfile.ZipFile(target) as archive:
            name = next(n for n in archive.namelist() if n.endswith("data/verify.py"))
            script.write_bytes(archive.read(name))
    return subprocess.run([sys.executable, str(script), str(target)], capture_output=True, text=True, check=False)


def test_a_package_is_a_valid_bag_that_verifies_by_itself(client_for, lead, case_a, record, tmp_path):
    response = client_for(lead).post(
        "/api/v1/exports/",
        {"case": case_a.pk, "incidents": [record["incident"].pk], "evidence": [record["statement"].pk]},
        format="json",
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    export = build(Export.objects.get(pk=response.json()["id"]))

    assert export.status == "ready", export.status_reason
    assert export.item_count == 2 and export.progress == 100
    zip_path, bag_path = package_of(export, tmp_path)
    assert hashlib.sha256(zip_path.read_bytes()).hexdigest() == export.sha256
    with zipfile.ZipFile(zip_path) as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
    bag = bagit.Bag(str(bag_path))
    bag.validate()
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.info["External-Identifier"] == str(export.public_id)
    assert bag.info["Payload-Oxum"] and bag.info["Source-Organization"] and bag.info["Bagging-Date"]
    photo = record["photo"]
    assert (bag_path / "data" / "evidence" / photo.ern / "IMG_0042.jpg").read_bytes() == b"photo bytes " * 5000
    for name in ("register.csv", "incidents.geojson", "suspects.json", "VERIFY.txt", "verify.py"):
        assert (bag_path / "data" / name).is_file(), name
    assert (bag_path / "data" / "custody" / f"{photo.ern}.jsonl").is_file()
    assert "tagmanifest-sha256.txt" in {p.name for p in bag_path.iterdir()}
    for target in (bag_path, zip_path):
        verdict = run_verify(target)
        assert verdict.returncode == 0, verdict.stdout
        assert "VERDICT: CONSISTENT — 2 evidence files and 2 chains of custody verified" in verdict.stdout


def test_the_register_incidents_and_suspects_describe_the_selection(lead, case_a, record, tmp_path):
    export = build(export_request(actor=lead, case=case_a, incidents=[record["incident"]]))
    _, bag = package_of(export, tmp_path)

    rows = list(csv.DictReader(io.StringIO((bag / "data" / "register.csv").read_text(encoding="utf-8-sig"))))
    incidents = json.loads((bag / "data" / "incidents.geojson").read_text())
    suspects = json.loads((bag / "data" / "suspects.json").read_text())

    photo = record["photo"]
    assert [row["ERN"] for row in rows] == [photo.ern]
    assert rows[0]["SHA-256"] == photo.sha256
    assert rows[0]["Original file name"] == "IMG_0042.jpg"
    assert rows[0]["File in package"] == f"data/evidence/{photo.ern}/IMG_0042.jpg"
    # The head when the package was made; the "exported" entry, naming the package, comes after it.
    head = photo.custody.exclude(event_type="exported").order_by("sequence").last()
    assert rows[0]["Custody chain head"] == head.entry_hash
    assert rows[0]["Integrity"] == "intact"
    assert photo.custody.order_by("sequence").last().previous_hash == head.entry_hash
    (feature,) = incidents["features"]
    assert feature["properties"]["crimes"] == [{"code": "8(2)(a)(i)", "title": "War crime of wilful killing"}]
    assert feature["properties"]["allegations"][0]["person"] == "Ivan Petrov"
    assert [person["full_name"] for person in suspects["persons"]] == ["Ivan Petrov"]


def test_every_exported_item_gets_an_exported_custody_entry_naming_the_package(lead, case_a, record):
    export = build(export_request(actor=lead, case=case_a, evidence=[record["photo"]]))

    entry = record["photo"].custody.get(event_type="exported")
    assert entry.details["export"] == str(export.public_id)
    assert entry.details["package_sha256"] == export.sha256


@pytest.mark.parametrize("damage", ["change a byte of a file", "delete a custody line"])
def test_a_damaged_package_fails_bagit_and_verify(lead, case_a, record, tmp_path, damage):
    export = build(export_request(actor=lead, case=case_a, incidents=[record["incident"]]))
    _, bag_path = package_of(export, tmp_path)
    photo = record["photo"]
    if damage == "change a byte of a file":
        target = bag_path / "data" / "evidence" / photo.ern / "IMG_0042.jpg"
        data = bytearray(target.read_bytes())
        data[100] ^= 0x01
        target.write_bytes(bytes(data))
    else:
        target = bag_path / "data" / "custody" / f"{photo.ern}.jsonl"
        lines = target.read_text().splitlines(keepends=True)
        target.write_text("".join(lines[:1] + lines[2:]))

    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag_path)).validate()
    verdict = run_verify(bag_path)
    assert verdict.returncode == 1
    assert "VERDICT: NOT INTACT" in verdict.stdout
    if damage == "delete a custody line":
        assert f"{photo.ern}: entry 2 is missing" in verdict.stdout


def test_hostile_and_unicode_names_are_made_safe_and_kept_in_the_register(lead, case_a, tmp_path):
    nfc, nfd = unicodedata.normalize("NFC", "café.jpg"), unicodedata.normalize("NFD", "café.jpg")
    items = [
        archived_item(case_a, lead, b"one", name="../../etc/passwd"),
        archived_item(case_a, lead, b"two", name=nfc),
        archived_item(case_a, lead, b"three", name=nfd),
        archived_item(case_a, lead, b"four", name="con\x01trol\nname.txt"),
    ]
    export = build(export_request(actor=lead, case=case_a, evidence=items))
    zip_path, bag_path = package_of(export, tmp_path)

    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    assert not [n for n in names if ".." in Path(n).parts or n.startswith("/")]
    packaged = sorted(
        str(p.relative_to(bag_path / "data" / "evidence"))
        for p in (bag_path / "data" / "evidence").rglob("*")
        if p.is_file()
    )
    assert packaged == sorted(
        [
            f"{items[0].ern}/passwd",
            f"{items[1].ern}/{nfc}",
            f"{items[2].ern}/{nfc}",
            f"{items[3].ern}/con_trol_name.txt",
        ]
    )
    originals = [
        row["Original file name"]
        for row in csv.DictReader(io.StringIO((bag_path / "data" / "register.csv").read_text(encoding="utf-8-sig")))
    ]
    assert "../../etc/passwd" in originals and nfd in originals
    bagit.Bag(str(bag_path)).validate()


def test_two_profiles_give_different_registers(client_for, lead, case_a, record, tmp_path):
    client = client_for(lead)
    created = client.post(
        "/api/v1/export-profiles/",
        {
            "case": case_a.pk,
            "name": "icc-trial-chamber",
            "columns": [
                {"column": "Evidence number", "field": "ern"},
                {"column": "Date", "field": "captured_at", "date_format": "%d/%m/%Y"},
                {"column": "Hash (SHA-256)", "field": "sha256"},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert [p["name"] for p in client.get("/api/v1/export-profiles/").json()] == [
        "default",
        "e-court",
        "icc-trial-chamber",
    ]

    headers = {}
    for profile in ("default", "icc-trial-chamber"):
        export = build(export_request(actor=lead, case=case_a, evidence=[record["photo"]], profile=profile))
        (tmp_path / profile).mkdir()
        _, bag = package_of(export, tmp_path / profile)
        headers[profile] = (bag / "data" / "register.csv").read_text(encoding="utf-8-sig").splitlines()[0]

    # Every register says whether an item is exculpatory (art. 67(2)), whatever its profile leaves out.
    assert headers["icc-trial-chamber"] == (
        '"Evidence number","Date (Europe/Kyiv)","Hash (SHA-256)","Exculpatory (art. 67(2))"'
    )
    assert headers["default"].startswith('"ERN","Title","Description","Kind","Date of item')


@pytest.mark.parametrize(
    ("columns", "reason"),
    [([], "at least 1"), ([{"column": "X", "field": "secret_name"}], "unknown field 'secret_name'")],
)
def test_a_bad_profile_is_refused(client_for, lead, case_a, columns, reason):
    body = {"case": case_a.pk, "name": "bad", "columns": columns}
    response = client_for(lead).post("/api/v1/export-profiles/", body, format="json")

    assert response.status_code == 400
    assert reason in json.dumps(response.json())


def test_a_legal_member_of_another_case_gets_404(client_for, member_of, case_a, case_b, lead, record):
    export = build(export_request(actor=lead, case=case_a, evidence=[record["photo"]]))
    stranger = client_for(member_of(case_b, Role.LEGAL))

    assert stranger.get(f"/api/v1/exports/{export.pk}/").status_code == 404
    assert stranger.get(f"/api/v1/exports/{export.pk}/download/").status_code == 404
    response = stranger.post("/api/v1/exports/", {"case": case_a.pk, "evidence": [record["photo"].pk]}, format="json")
    assert response.status_code == 400 and "case" in response.json()


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.ANALYST])
def test_roles_that_do_not_export_get_403(client_for, member_of, case_a, record, role):
    response = client_for(member_of(case_a, role)).post(
        "/api/v1/exports/", {"case": case_a.pk, "evidence": [record["photo"].pk]}, format="json"
    )

    assert response.status_code == 403
    assert not Export.objects.exists()


def test_only_a_lead_may_include_identities_and_the_request_is_recorded(client_for, member_of, case_a, lead, record):
    body = {"case": case_a.pk, "evidence": [record["photo"].pk], "include_identities": True}

    assert client_for(member_of(case_a, Role.LEGAL)).post("/api/v1/exports/", body, format="json").status_code == 403
    assert client_for(lead).post("/api/v1/exports/", body, format="json").status_code == 202
    assert AuditEntry.objects.filter(action="export.identities_requested", actor=lead).count() == 1


def test_an_archive_copy_that_no_longer_matches_fails_the_export_and_is_recorded(lead, case_a, record):
    photo = record["photo"]
    path = Path(storages["archive"].path(photo.archive_key))
    path.chmod(0o644)
    path.write_bytes(b"tampered")

    export = build(export_request(actor=lead, case=case_a, evidence=[photo]))

    assert export.status == "failed"
    assert photo.ern in export.status_reason
    assert not export.package_key
    assert photo.custody.filter(event_type="exported", outcome="failure").exists()


def test_the_package_downloads_with_ranges(client_for, lead, case_a, record):
    export = build(export_request(actor=lead, case=case_a, evidence=[record["photo"]]))
    client = client_for(lead)

    whole = client.get(f"/api/v1/exports/{export.pk}/download/")
    part = client.get(f"/api/v1/exports/{export.pk}/download/", HTTP_RANGE="bytes=0-3")

    assert hashlib.sha256(b"".join(whole.streaming_content)).hexdigest() == export.sha256
    assert whole["Content-Type"] == "application/zip"
    assert AuditEntry.objects.filter(action="export.download", actor=lead, target=str(export.public_id)).count() == 2
    assert part.status_code == 206 and b"".join(part.streaming_content) == b"PK\x03\x04"


def test_any_range_of_the_package_is_the_same_bytes_as_the_whole(client_for, lead, case_a, record):
    export = build(export_request(actor=lead, case=case_a, incidents=[record["incident"]]))
    whole = package_bytes(export)
    layout = package_layout.stored_layout(export.package_key)
    boundaries, offset = [], 0
    for segment in layout.segments:
        offset += segment.length
        boundaries.append(offset)
    client = client_for(lead)

    # Ranges inside a header, across the start and the end of an archived file, inside one, the tail.
    photo_start = next(b for b, s in zip([0, *boundaries], layout.segments, strict=False) if s.archive_key)
    for first, last in [(0, 29), (photo_start - 5, photo_start + 5), (photo_start + 7, photo_start + 70_000),
                        (photo_start + 100, photo_start + 200), (len(whole) - 22, len(whole) - 1)]:  # fmt: skip
        response = client.get(f"/api/v1/exports/{export.pk}/download/", HTTP_RANGE=f"bytes={first}-{last}")
        assert response.status_code == 206
        assert b"".join(response.streaming_content) == whole[first : last + 1], (first, last)
    assert len(whole) == export.size_bytes and hashlib.sha256(whole).hexdigest() == export.sha256


def test_every_member_crc_is_what_zlib_computes(lead, case_a, record, tmp_path):
    # Slid takes the CRC-32s with ISA-L's; a fresh interpreter checks them with zlib's.
    export = build(export_request(actor=lead, case=case_a, incidents=[record["incident"]]))
    zip_path, _ = package_of(export, tmp_path)

    test = "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())"
    checked = subprocess.run([sys.executable, "-c", test, str(zip_path)], capture_output=True, text=True, check=True)
    assert checked.stdout.strip() == "None"  # else the first member whose CRC is wrong


def test_the_exports_store_keeps_no_copy_of_the_evidence(lead, case_a, record):
    export = build(export_request(actor=lead, case=case_a, incidents=[record["incident"]]))
    layout = package_layout.stored_layout(export.package_key)

    with storages["exports"].open(layout.structure_key, "rb") as structure:
        kept = structure.read()
    assert b"photo bytes " * 100 not in kept
    assert len(kept) == export.size_bytes - record["photo"].size_bytes  # all but the photo
    assert [s.archive_key for s in layout.segments if s.archive_key] == [record["photo"].archive_key]


def test_a_download_that_meets_a_damaged_original_breaks_off_before_the_file_is_whole(client_for, lead, case_a, record):
    photo = record["photo"]
    export = build(export_request(actor=lead, case=case_a, evidence=[photo]))
    path = Path(storages["archive"].path(photo.archive_key))
    path.chmod(0o644)
    path.write_bytes(b"tampered".ljust(photo.size_bytes, b"!"))

    response = client_for(lead).get(f"/api/v1/exports/{export.pk}/download/")
    received = bytearray()
    with pytest.raises(package_layout.DigestMismatch):
        for chunk in response.streaming_content:
            received += chunk

    assert b"tampered" not in received
    photo.refresh_from_db()
    assert photo.fixity_failed_at is not None
    failure = photo.custody.get(event_type="fixity_check", outcome="failure")
    assert str(export.public_id) in failure.detail


def test_bad_export_requests_name_the_field(client_for, lead, case_a, record):
    client = client_for(lead)

    assert "incidents" in client.post("/api/v1/exports/", {"case": case_a.pk}, format="json").json()
    response = client.post(
        "/api/v1/exports/", {"case": case_a.pk, "evidence": [record["photo"].pk], "profile": "nope"}, format="json"
    )
    assert response.status_code == 400 and "profile" in response.json()
    assert not Export.objects.exists()


def test_witness_identifying_evidence_and_identities_go_only_where_a_lead_asked(lead, case_a, record, tmp_path):
    from evidence.models import Confidentiality

    witness = protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "Olena K."})
    identifying = archived_item(
        case_a, lead, b"face of the witness", confidentiality=Confidentiality.IDENTIFIES_WITNESS,
        protected_persons=[witness], exculpatory=True,
    )  # fmt: skip

    chosen = [record["photo"], identifying]
    plain = build(export_request(actor=lead, case=case_a, evidence=chosen))
    (tmp_path / "plain").mkdir()
    _, plain_bag = package_of(plain, tmp_path / "plain")
    full = build(
        export_request(actor=lead, case=case_a, evidence=[record["photo"], identifying], include_identities=True)
    )
    (tmp_path / "full").mkdir()
    _, full_bag = package_of(full, tmp_path / "full")

    assert plain.item_count == 1 and not (plain_bag / "data" / "identities.json").exists()
    # Left out, and still said to be exculpatory (art. 67(2)): no package hides that.
    assert bagit.Bag(str(plain_bag)).info["Slid-Not-Included"] == (
        f"{identifying.ern}: identifies a witness (exculpatory, art. 67(2))"
    )
    assert full.item_count == 2
    assert json.loads((full_bag / "data" / "identities.json").read_text())["people"][0]["full_name"] == "Olena K."
    bagit.Bag(str(full_bag)).validate()


def register_of(export: Export, tmp_path: Path) -> list[list[str]]:
    tmp_path.mkdir(exist_ok=True)
    _, bag = package_of(export, tmp_path)
    return list(csv.reader(io.StringIO((bag / "data" / "register.csv").read_text(encoding="utf-8-sig"))))


@pytest.mark.parametrize(
    ("time_zone", "iso", "day_and_time"),
    [
        ("Europe/Kyiv", "2022-03-04T10:15:00+02:00", "04/03/2022 10:15"),
        ("America/New_York", "2022-03-04T03:15:00-05:00", "04/03/2022 03:15"),
    ],
)
def test_register_dates_are_printed_in_the_case_time_zone_which_the_header_names(
    lead, case_a, tmp_path, time_zone, iso, day_and_time
):
    Case.objects.filter(pk=case_a.pk).update(time_zone=time_zone)
    case_a.refresh_from_db()
    item = archived_item(case_a, lead, b"dated", captured_at=datetime(2022, 3, 4, 8, 15, tzinfo=UTC))
    ExportProfile.objects.create(
        name="court", columns=[{"column": "Date", "field": "captured_at", "date_format": "%d/%m/%Y %H:%M"}]
    )

    default = build(export_request(actor=lead, case=case_a, evidence=[item]))
    court = build(export_request(actor=lead, case=case_a, evidence=[item], profile="court"))
    default, court = register_of(default, tmp_path / "default"), register_of(court, tmp_path / "court")

    assert dict(zip(*default, strict=True))[f"Date of item ({time_zone})"] == iso
    # Every register names each item, and says whether it is exculpatory.
    assert court == [["ERN", f"Date ({time_zone})", "Exculpatory (art. 67(2))"], [item.ern, day_and_time, "no"]]


def test_a_second_claim_of_an_export_being_built_is_refused(lead, case_a, record):
    export = export_request(actor=lead, case=case_a, evidence=[record["photo"]])

    first = export_claim(export_id=export.pk)

    assert first is not None and first.status == "building" and first.claim_token is not None
    assert first.lease_expires_at > timezone.now()
    assert export_claim(export_id=export.pk) is None
    assert build(export).status == "building"  # a redelivered task does nothing while the lease holds


@pytest.mark.django_db(transaction=True)
def test_of_two_builders_started_at_once_only_one_proceeds(lead, case_a, record):
    # Created directly: a message on the broker would bring in a third builder.
    export = Export.objects.create(case=case_a, requested_by=lead, incident_ids=[record["incident"].pk])
    start, results = threading.Barrier(2), []

    def builder() -> None:
        try:
            start.wait(timeout=30)
            results.append(exports.build_export(export.pk, agent=common.worker_agent("test")))
        finally:
            connection.close()

    threads = [threading.Thread(target=builder) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(results) == ["not claimed", "ready"]
    assert record["photo"].custody.filter(event_type="exported").count() == 1


def test_a_builder_whose_lease_was_taken_over_cannot_write_the_export(lead, case_a, record):
    photo = record["photo"]
    export = export_request(actor=lead, case=case_a, evidence=[photo])
    stale = export_claim(export_id=export.pk)
    Export.objects.filter(pk=export.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    current = export_claim(export_id=export.pk)
    agent = common.worker_agent("test")

    assert current is not None and current.claim_token != stale.claim_token
    assert not export_set_progress(export_id=export.pk, token=stale.claim_token, percent=50)
    assert not export_mark_ready(
        export=stale, token=stale.claim_token, agent=agent, items=[photo], package_key="k", sha256="a" * 64, size=1
    )
    assert not export_mark_failed(export_id=export.pk, token=stale.claim_token, reason="stale", agent=agent)
    export.refresh_from_db()
    assert (export.status, export.claim_token, export.package_key, export.progress) == (
        "building",
        current.claim_token,
        "",
        0,
    )
    assert not photo.custody.filter(event_type="exported").exists()
    assert export_mark_ready(
        export=current, token=current.claim_token, agent=agent, items=[photo], package_key="k", sha256="b" * 64, size=1
    )
    assert photo.custody.get(event_type="exported").details["package_sha256"] == "b" * 64


def exported_files() -> list[Path]:
    root = Path(storages["exports"].location)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("taken_over", ["while it reads the selection", "just before it is ready"])
def test_a_builder_that_loses_its_claim_stops_and_leaves_nothing(lead, case_a, record, monkeypatch, taken_over):
    export = export_request(actor=lead, case=case_a, evidence=[record["photo"]])
    other = {}

    def take_over() -> None:
        Export.objects.filter(pk=export.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
        other["claim"] = export_claim(export_id=export.pk)

    real_contents, real_write = exports.export_contents, exports._write_package

    def contents_then_taken_over(*args, **kwargs):
        contents = real_contents(*args, **kwargs)
        take_over()
        return contents

    def written_then_taken_over(*args, **kwargs):
        written = real_write(*args, **kwargs)
        assert exported_files(), "the structure and the layout were written"
        take_over()
        return written

    if taken_over == "while it reads the selection":
        monkeypatch.setattr(exports, "export_contents", contents_then_taken_over)
    else:
        monkeypatch.setattr(exports, "_write_package", written_then_taken_over)

    assert exports.build_export(export.pk, agent=common.worker_agent("test")) == "claim lost"
    export.refresh_from_db()
    assert export.status == "building" and export.claim_token == other["claim"].claim_token
    assert not export.package_key
    assert not record["photo"].custody.filter(event_type="exported").exists()
    assert exported_files() == []


def test_an_export_whose_builder_lease_ran_out_is_queued_again_and_built(lead, case_a, record):
    export = export_request(actor=lead, case=case_a, evidence=[record["photo"]])
    dead = export_claim(export_id=export.pk)
    Export.objects.filter(pk=export.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    OutboxTask.objects.all().delete()  # the first message was sent and taken

    assert export_sweep_stuck() == [export.pk]
    export.refresh_from_db()
    assert (export.status, export.claim_token, export.progress) == ("queued", None, 0)
    assert list(OutboxTask.objects.values_list("task", "args")) == [("workers.tasks.build_export", [export.pk])]
    assert not export_set_progress(export_id=export.pk, token=dead.claim_token, percent=10)
    assert build(export).status == "ready"


def test_an_export_whose_builder_holds_its_lease_is_left_alone_however_long_it_takes(lead, case_a, record):
    export = export_request(actor=lead, case=case_a, evidence=[record["photo"]])
    builder = export_claim(export_id=export.pk)
    Export.objects.filter(pk=export.pk).update(started_at=timezone.now() - timedelta(hours=9))
    OutboxTask.objects.all().delete()

    assert export_sweep_stuck() == []
    export.refresh_from_db()
    assert (export.status, export.claim_token) == ("building", builder.claim_token)


def test_a_queued_export_whose_message_was_lost_is_sent_again_once_per_deadline(lead, case_a, record):
    export = export_request(actor=lead, case=case_a, evidence=[record["photo"]])
    OutboxTask.objects.all().delete()  # sent, and lost on the way

    assert export_sweep_stuck() == []  # its message may still be on its way
    Export.objects.filter(pk=export.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert export_sweep_stuck() == [export.pk]
    OutboxTask.objects.all().delete()
    assert export_sweep_stuck() == []  # sent again just now: not again at every sweep
