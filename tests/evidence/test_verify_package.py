"""What a package says about the evidence it leaves out or carries marked, and what the bundled
verify.py makes of it (including version-2 chains of custody, under the oldest Python it supports)."""

import csv
import glob
import hashlib
import io
import json
import re
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import bagit
import pytest
import rfc8785

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
    return list(csv.DictReader(io.StringIO((bag / "data" / "register.csv").read_text(encoding="utf-8-sig"))))


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
    assert "VERDICT: CONSISTENT — 1 evidence files and 1 chains of custody verified" in verdict.stdout


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
        assert f"VERDICT: CONSISTENT (package), but 1 item is marked corrupt by Slid: {corrupt.ern}" in verdict.stdout
        assert f"MARKED CORRUPT BY SLID: {corrupt.ern}: {reason}" in verdict.stdout
        assert "VERDICT: CONSISTENT —" not in verdict.stdout


def test_a_profile_without_an_integrity_column_gets_one_when_a_corrupt_item_goes_in(
    lead, case_a, photo, corrupt, tmp_path
):
    ExportProfile.objects.create(name="short", columns=[{"column": "Evidence number", "field": "ern"}])
    plain = build(export_request(actor=lead, case=case_a, evidence=[photo], profile="short"))
    marked = build(export_request(actor=lead, case=case_a, evidence=[photo, corrupt], profile="short"))
    (tmp_path / "plain").mkdir()
    (tmp_path / "marked").mkdir()

    # Every register also says whether each item is exculpatory (art. 67(2)).
    exculpatory = "Exculpatory (art. 67(2))"
    assert register(package_of(plain, tmp_path / "plain")[1]) == [{"Evidence number": photo.ern, exculpatory: "no"}]
    rows = register(package_of(marked, tmp_path / "marked")[1])
    assert [list(row) for row in rows] == [["Evidence number", "Integrity", exculpatory]] * 2
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
    # As intake wrote it: the "received" entry records the SHA-256 the file arrived with.
    custody_append(
        item=legacy, event_type="received", agent=common.worker_agent("test"), details={"sha256": photo.sha256}
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


# --- Packages changed by someone who knows BagIt ----------------------------------------------------
# Each change below is sealed again the way a careful forger would: both payload manifests, the
# Payload-Oxum and the tag manifest recomputed, so the bag is valid BagIt and only verify.py's own
# accounting (every file in the layout, in the register and in a chain; no unsafe member) notices it.

PAYLOAD_ALGORITHMS = ("sha256", "sha512")
TAG_FILES = ("bag-info.txt", "bagit.txt", "manifest-sha256.txt", "manifest-sha512.txt")


def reseal(bag: Path, extra: list[tuple[str, bytes]] = ()) -> None:
    """Recomputes the manifests, the Payload-Oxum and the tag manifest of ``bag`` over its payload
    files, plus ``extra`` (path, bytes) members that will only exist in a zip made of it."""
    files = [path for path in sorted((bag / "data").rglob("*")) if not path.is_dir()]
    payload = [(path.relative_to(bag).as_posix(), path.read_bytes()) for path in files] + list(extra)
    for algorithm in PAYLOAD_ALGORITHMS:
        lines = "".join(f"{hashlib.new(algorithm, data).hexdigest()}  {path}\n" for path, data in payload)
        (bag / f"manifest-{algorithm}.txt").write_text(lines)
    oxum = f"Payload-Oxum: {sum(len(data) for _, data in payload)}.{len(payload)}"
    info = bag / "bag-info.txt"
    info.write_text(re.sub(r"^Payload-Oxum: .*$", oxum, info.read_text(), flags=re.MULTILINE))
    tags = "".join(f"{hashlib.sha256((bag / name).read_bytes()).hexdigest()}  {name}\n" for name in TAG_FILES)
    (bag / "tagmanifest-sha256.txt").write_text(tags)


def zip_of(bag: Path, target: Path, extra: list[tuple[str, bytes]] = (), directories: bool = False) -> Path:
    """A zip of the bag folder (``root/…``), with ``extra`` members named exactly as given."""
    root = bag.name
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(bag.rglob("*")):
            name = f"{root}/{path.relative_to(bag).as_posix()}"
            if path.is_dir():
                if directories:
                    archive.writestr(f"{name}/", b"")
            else:
                archive.write(path, name)
        for name, data in extra:
            archive.writestr(name, data)
    return target


def symlink_member(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def assert_not_intact(verdict: subprocess.CompletedProcess, *problems: str) -> None:
    assert verdict.returncode == 1, verdict.stdout + verdict.stderr
    assert "Traceback" not in verdict.stderr, verdict.stderr
    assert "VERDICT: NOT INTACT" in verdict.stdout
    for problem in problems:
        assert f"PROBLEM: {problem}" in verdict.stdout, verdict.stdout


@pytest.fixture
def package(lead, case_a, photo, tmp_path) -> tuple[Path, Path]:
    """(the zip, its unpacked bag) of a package holding the photo."""
    export = build(export_request(actor=lead, case=case_a, evidence=[photo]))
    return package_of(export, tmp_path)


def test_an_intact_package_rezipped_with_folder_entries_still_verifies(package, tmp_path):
    _, bag = package

    verdict = run_verify(zip_of(bag, tmp_path / "rezipped.zip", directories=True))

    assert verdict.returncode == 0, verdict.stdout
    assert "VERDICT: CONSISTENT — 1 evidence files and 1 chains of custody verified" in verdict.stdout


# --- What a consistent package shows, and what it does not --------------------------------------


def test_verify_py_prints_the_sha256_of_the_zip_to_compare_with_the_one_slid_recorded(lead, case_a, photo, tmp_path):
    export = build(export_request(actor=lead, case=case_a, evidence=[photo]))
    zip_path, _ = package_of(export, tmp_path)

    verdict = run_verify(zip_path)

    assert verdict.returncode == 0, verdict.stdout
    recorded = photo.custody.get(event_type="exported").details["package_sha256"]
    assert recorded == export.sha256 == hashlib.sha256(zip_path.read_bytes()).hexdigest()
    assert f"PACKAGE SHA-256: {export.sha256} ({zip_path})" in verdict.stdout
    assert "VERDICT: CONSISTENT — 1 evidence files and 1 chains of custody verified" in verdict.stdout
    assert f"export {export.public_id}" in verdict.stdout
    assert "INTACT" not in verdict.stdout and "as Slid built it" not in verdict.stdout


def test_verify_py_on_an_unpacked_folder_says_it_has_no_package_sha256_to_compare(package):
    _, bag = package

    verdict = run_verify(bag)

    assert verdict.returncode == 0, verdict.stdout
    assert f"PACKAGE SHA-256: not computed: {bag} is a folder, not the package's .zip" in verdict.stdout
    assert "VERDICT: CONSISTENT —" in verdict.stdout


def test_a_package_cut_and_sealed_again_is_consistent_but_not_the_package_slid_recorded(
    lead, case_a, photo, corrupt, tmp_path
):
    export = build(export_request(actor=lead, case=case_a, evidence=[photo, corrupt]))
    _, bag = package_of(export, tmp_path)
    # The forger drops the item Slid marked corrupt: its file, its chain, its register row, its tag, and its
    # lines in provenance.json, the timestamps' index and the checkpoint's list of items it does not cover.
    shutil.rmtree(bag / "data" / "evidence" / corrupt.ern)
    (bag / "data" / "custody" / f"{corrupt.ern}.jsonl").unlink()
    register_path = bag / "data" / "register.csv"
    register_text = register_path.read_text(encoding="utf-8-sig")
    rows = [row for row in csv.reader(io.StringIO(register_text)) if corrupt.ern not in row]
    with register_path.open("w", newline="") as register_file:
        csv.writer(register_file, quoting=csv.QUOTE_ALL).writerows(rows)
    info = bag / "bag-info.txt"
    info.write_text("".join(line for line in info.read_text().splitlines(True) if "Slid-Marked-Corrupt" not in line))
    for document, key in (
        ("provenance.json", "items"),
        ("timestamps/index.json", "not_timestamped"),
        ("checkpoints/checkpoint.json", "not_covered"),
    ):
        path = bag / "data" / document
        content = json.loads(path.read_text())
        content[key] = [entry for entry in content[key] if entry["ern"] != corrupt.ern]
        path.write_text(json.dumps(content))
    reseal(bag)
    forged = zip_of(bag, tmp_path / "forged.zip")

    verdict = run_verify(forged)

    assert verdict.returncode == 0, verdict.stdout
    forged_sha256 = hashlib.sha256(forged.read_bytes()).hexdigest()
    assert forged_sha256 != export.sha256
    assert f"PACKAGE SHA-256: {forged_sha256} ({forged})" in verdict.stdout
    assert "VERDICT: CONSISTENT — 1 evidence files and 1 chains of custody verified" in verdict.stdout
    assert "INTACT" not in verdict.stdout and "as Slid built it" not in verdict.stdout


def test_a_custody_file_removed_and_the_manifests_recomputed_is_noticed(package, photo):
    _, bag = package
    (bag / "data" / "custody" / f"{photo.ern}.jsonl").unlink()
    reseal(bag)
    bagit.Bag(str(bag)).validate()  # valid BagIt: only Slid's own accounting can tell

    assert_not_intact(
        run_verify(bag),
        f"data/evidence/{photo.ern}/IMG_0042.jpg: no chain of custody (data/custody/{photo.ern}.jsonl is missing).",
    )


def test_an_evidence_file_planted_with_a_valid_chain_but_no_register_row_is_noticed(package, photo):
    _, bag = package
    planted = f"{photo.ern[:-6]}999999"
    (bag / "data" / "evidence" / planted).mkdir()
    (bag / "data" / "evidence" / planted / "IMG_0042.jpg").write_bytes(b"photo bytes " * 500)
    chain = (bag / "data" / "custody" / f"{photo.ern}.jsonl").read_bytes()
    (bag / "data" / "custody" / f"{planted}.jsonl").write_bytes(chain)
    reseal(bag)
    bagit.Bag(str(bag)).validate()

    assert_not_intact(
        run_verify(bag), f"data/evidence/{planted}/IMG_0042.jpg: no row of data/register.csv names {planted}."
    )


def test_an_evidence_file_planted_without_a_chain_is_noticed(package, photo):
    _, bag = package
    planted = f"{photo.ern[:-6]}999999"
    (bag / "data" / "evidence" / planted).mkdir()
    (bag / "data" / "evidence" / planted / "leaflet.pdf").write_bytes(b"%PDF-1.4 planted")
    reseal(bag)

    assert_not_intact(
        run_verify(bag),
        f"data/evidence/{planted}/leaflet.pdf: no chain of custody (data/custody/{planted}.jsonl is missing).",
        f"data/evidence/{planted}/leaflet.pdf: no row of data/register.csv names {planted}.",
    )


def test_a_register_row_removed_or_added_is_noticed(package, photo):
    _, bag = package
    register_file = bag / "data" / "register.csv"
    header, row = register_file.read_bytes().decode("utf-8").split("\r\n")[:2]
    register_file.write_bytes(f"{header}\r\n".encode())
    reseal(bag)

    assert_not_intact(
        run_verify(bag), f"data/evidence/{photo.ern}/IMG_0042.jpg: no row of data/register.csv names {photo.ern}."
    )

    stranger = row.replace(photo.ern, "UA-2022-BUCHA-424242")
    register_file.write_bytes(f"{header}\r\n{row}\r\n{stranger}\r\n".encode())
    reseal(bag)

    assert_not_intact(
        run_verify(bag), "data/register.csv, row 3: names UA-2022-BUCHA-424242, which has no file in the package."
    )


def test_a_chain_that_records_no_receipt_hash_or_no_entry_at_all_is_noticed(package, photo):
    _, bag = package
    chain = bag / "data" / "custody" / f"{photo.ern}.jsonl"
    # A well-formed version-2 entry (hashed with the rfc8785 package, not verify.py), saying nothing of the file.
    entry = {
        "agent": "user:forger", "agent_details": {}, "detail": "", "details": {}, "event_type": "accessed",
        "evidence": str(photo.public_id), "occurred_at": "2026-01-01T00:00:00.000000Z", "outcome": "success",
        "previous_hash": "0" * 64, "sequence": 1, "version": 2,
    }  # fmt: skip
    entry["entry_hash"] = hashlib.sha256(rfc8785.dumps(entry)).hexdigest()
    chain.write_text(json.dumps(entry) + "\n")
    reseal(bag)

    assert_not_intact(
        run_verify(bag),
        f"{photo.ern}: its chain of custody records no SHA-256 of the file as Slid received it, so the file "
        "cannot be checked against it.",
    )

    chain.write_text("")
    reseal(bag)

    assert_not_intact(run_verify(bag), f"data/custody/{photo.ern}.jsonl: no entries.")


@pytest.mark.parametrize(
    ("planted", "problem"),
    [
        ("data/notes.txt", "data/notes.txt: not part of a Slid package's layout"),
        ("data/evidence/loose.jpg", "data/evidence/loose.jpg: not part of a Slid package's layout"),
        ("data/custody/deeper/chain.jsonl", "data/custody/deeper/chain.jsonl: not part of a Slid package's layout"),
        (
            "data/evidence/{ern}/second.jpg",
            "data/evidence/{ern}/ holds 2 files (IMG_0042.jpg, second.jpg); a package holds one file per item.",
        ),
    ],
)
def test_a_file_outside_the_layout_is_noticed(package, photo, planted, problem):
    _, bag = package
    target = bag / planted.format(ern=photo.ern)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"planted")
    reseal(bag)
    bagit.Bag(str(bag)).validate()

    assert_not_intact(run_verify(bag), problem.format(ern=photo.ern))


@pytest.mark.parametrize("removed", ["data/suspects.json", "data/register.csv", "tagmanifest-sha256.txt"])
def test_a_document_of_the_layout_removed_is_noticed(package, removed):
    _, bag = package
    (bag / removed).unlink()
    if removed != "tagmanifest-sha256.txt":
        reseal(bag)

    assert_not_intact(run_verify(bag), f"{removed} is missing.")


def test_a_tag_file_left_out_of_the_tag_manifest_is_noticed(package):
    _, bag = package
    tag_manifest = bag / "tagmanifest-sha256.txt"
    lines = tag_manifest.read_text().splitlines(keepends=True)
    tag_manifest.write_text("".join(line for line in lines if not line.endswith(" bag-info.txt\n")))

    assert_not_intact(run_verify(bag), "bag-info.txt is not in tagmanifest-sha256.txt.")


@pytest.mark.parametrize(
    ("member", "why"),
    [
        ("{root}/data/../evil.txt", "a '..' component, which points outside the package"),
        ("../evil.txt", "a '..' component, which points outside the package"),
        ("/etc/evil.txt", "an absolute path"),
        ("C:/evil.txt", "an absolute path"),
        ("{root}/data/evidence\\..\\..\\evil.txt", "a backslash, which some tools read as a folder separator"),
        ("{root}/data//evil.txt", "an empty or '.' component"),
    ],
)
def test_an_extra_member_with_an_unsafe_name_fails_the_check(package, tmp_path, member, why):
    _, bag = package
    name = member.format(root=bag.name)
    # Listed in the manifests as the old verify.py saw it (the path below the bag folder).
    listed = "/".join(name.split("/")[1:]) if name.startswith(bag.name) else name
    reseal(bag, extra=[(listed, b"planted")])

    verdict = run_verify(zip_of(bag, tmp_path / "tampered.zip", extra=[(name, b"planted")]))

    assert_not_intact(verdict, f"unsafe member {name!r}: {why}; it was not read.")


def test_a_symbolic_link_in_the_folder_fails_the_check(package, photo, tmp_path):
    _, bag = package
    original = bag / "data" / "evidence" / photo.ern / "IMG_0042.jpg"
    outside = tmp_path / "elsewhere.jpg"
    outside.write_bytes(original.read_bytes())  # the same bytes: every hash still matches
    original.unlink()
    original.symlink_to(outside)

    assert_not_intact(
        run_verify(bag),
        f"data/evidence/{photo.ern}/IMG_0042.jpg: a symbolic link; a package holds only regular files, so it was "
        "not read.",
    )


def test_a_symbolic_link_member_in_the_zip_fails_the_check(package, tmp_path):
    _, bag = package
    (bag / "data" / "VERIFY.txt").unlink()
    reseal(bag, extra=[("data/VERIFY.txt", b"/etc/passwd")])
    target = tmp_path / "tampered.zip"
    zip_of(bag, target)
    with zipfile.ZipFile(target, "a") as archive:
        archive.writestr(symlink_member(f"{bag.name}/data/VERIFY.txt", "/etc/passwd"), b"/etc/passwd")

    assert_not_intact(
        run_verify(target), "data/VERIFY.txt: a symbolic link; a package holds only regular files, so it was not read."
    )


def test_a_member_that_appears_twice_in_the_zip_fails_the_check(package, tmp_path):
    _, bag = package
    register_bytes = (bag / "data" / "register.csv").read_bytes()
    reseal(bag, extra=[("data/register.csv", register_bytes)])

    with pytest.warns(UserWarning, match="Duplicate name"):
        target = zip_of(bag, tmp_path / "tampered.zip", extra=[(f"{bag.name}/data/register.csv", register_bytes)])

    assert_not_intact(
        run_verify(target), "data/register.csv: 2 members of the zip have this name; a package holds each file once."
    )


def test_two_names_that_one_file_system_would_merge_fail_the_check(package, photo, tmp_path):
    _, bag = package
    upper = bag / "data" / "evidence" / photo.ern / "img_0042.JPG"
    upper.write_bytes(b"planted")
    reseal(bag)

    assert_not_intact(
        run_verify(bag),
        f"data/evidence/{photo.ern}/IMG_0042.jpg and data/evidence/{photo.ern}/img_0042.JPG: names that differ only "
        "in letter case or Unicode form; unpacked on most computers they would be one file.",
    )


@pytest.mark.parametrize(
    ("added", "problem"),
    [
        (b"\xff\xfe\n", "manifest-sha256.txt: not readable as UTF-8 text"),
        (b"not-a-manifest-line\n", "manifest-sha256.txt, line {line}: not a manifest line (a digest, spaces, a path)."),
    ],
)
def test_a_malformed_manifest_is_a_problem_not_a_crash(package, added, problem):
    _, bag = package
    manifest = bag / "manifest-sha256.txt"
    line = len(manifest.read_bytes().splitlines()) + 1
    manifest.write_bytes(manifest.read_bytes() + added)

    assert_not_intact(run_verify(bag), problem.format(line=line))


def test_verify_py_reports_every_kind_of_tampering_under_python_3_8(package, photo, tmp_path):
    python38 = python_3_8()
    if python38 is None:
        pytest.skip("no Python 3.8 on this machine")
    _, bag = package
    (bag / "data" / "custody" / f"{photo.ern}.jsonl").unlink()
    (bag / "data" / "notes.txt").write_bytes(b"planted")
    register_bytes = (bag / "data" / "register.csv").read_bytes()
    reseal(bag, extra=[("data/../evil.txt", b"planted"), ("data/register.csv", register_bytes)])
    target = tmp_path / "tampered.zip"
    with pytest.warns(UserWarning, match="Duplicate name"):
        zip_of(
            bag,
            target,
            extra=[(f"{bag.name}/data/../evil.txt", b"planted"), (f"{bag.name}/data/register.csv", register_bytes)],
        )
    with zipfile.ZipFile(target, "a") as archive:
        archive.writestr(symlink_member(f"{bag.name}/data/link.txt", "/etc/passwd"), b"/etc/passwd")

    verdict = subprocess.run(
        [python38, str(bag / "data" / "verify.py"), str(target)], capture_output=True, text=True, check=False
    )

    assert_not_intact(
        verdict,
        f"unsafe member '{bag.name}/data/../evil.txt': a '..' component, which points outside the package; it was not "
        "read.",
        "data/link.txt: a symbolic link; a package holds only regular files, so it was not read.",
        "data/register.csv: 2 members of the zip have this name; a package holds each file once.",
        "data/notes.txt: not part of a Slid package's layout",
        f"data/evidence/{photo.ern}/IMG_0042.jpg: no chain of custody (data/custody/{photo.ern}.jsonl is missing).",
    )
