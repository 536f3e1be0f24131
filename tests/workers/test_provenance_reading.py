"""workers.provenance on its own: the cheap look for the C2PA marker; a reader that hangs or crashes
(tried again later, recorded as an error only on the item's last attempt); trust anchors that cannot
be found (a configuration error, raised); the reader's own limits; timestamps in manifests."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import override_settings

from tests.content_credentials import c2pa_profile_tsa, make_chain, signed
from tests.media import photo_bytes
from tests.tsa import LocalTSA, Signer
from workers import c2pa_reader, provenance

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def bundled_anchors_only(settings):
    settings.SLID_C2PA_TRUST_ANCHORS = []


@pytest.fixture
def signed_photo(tmp_path):
    path = tmp_path / "signed.jpg"
    path.write_bytes(signed(photo_bytes(seed=31), "image/jpeg", make_chain("Someone")))
    return str(path)


def test_the_marker_is_found_where_it_straddles_two_blocks_read(tmp_path):
    path = tmp_path / "straddle.bin"
    path.write_bytes(b"\0" * (1024 * 1024 - 2) + b"c2pa" + b"\0" * 10)

    assert provenance.has_marker(str(path))


def test_a_file_without_the_marker_is_recorded_as_carrying_none_without_starting_the_reader(tmp_path, monkeypatch):
    path = tmp_path / "plain.jpg"
    path.write_bytes(photo_bytes(seed=32))
    monkeypatch.setattr(provenance, "_READER", tmp_path / "no-such-reader.py")  # would fail if it were started

    assert provenance.read_provenance(str(path), "image/jpeg", timeout=10) == {"state": "none"}


def test_a_reader_that_takes_too_long_is_stopped_and_raises_to_be_tried_again(signed_photo):
    # No Python starts, let alone reads a manifest, in a millisecond (plus the file's share: ~3 ms).
    limit = 0.001 + os.path.getsize(signed_photo) / (20 * 1024 * 1024)

    with pytest.raises(provenance.ReaderFailed) as failed:
        provenance.read_provenance(signed_photo, "image/jpeg", timeout=0.001, final=False)

    assert str(failed.value) == f"The C2PA reader took longer than {limit:g} s and was stopped"


def test_on_the_last_attempt_a_reader_that_takes_too_long_is_recorded_as_an_error(signed_photo):
    limit = 0.001 + os.path.getsize(signed_photo) / (20 * 1024 * 1024)

    record = provenance.read_provenance(signed_photo, "image/jpeg", timeout=0.001, final=True)

    assert record == {"state": "error", "error": f"The C2PA reader took longer than {limit:g} s and was stopped"}


def test_the_readers_time_grows_with_the_files_size():
    assert provenance.reader_timeout(0, 120) == 120
    assert provenance.reader_timeout(200 * 1024 * 1024, 120) == 130  # 20 MiB a second
    assert provenance.reader_timeout(40 * 1024 * 1024 * 1024, 120) == 120 + 2048


def test_a_reader_that_crashes_raises_to_be_tried_again_and_is_an_error_on_the_last_attempt(
    signed_photo, tmp_path, monkeypatch
):
    crashing = tmp_path / "crashing_reader.py"
    crashing.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    monkeypatch.setattr(provenance, "_READER", crashing)

    with pytest.raises(provenance.ReaderFailed, match=r"^The C2PA reader failed \(signal 11\)$"):
        provenance.read_provenance(signed_photo, "image/jpeg", timeout=10, final=False)
    record = provenance.read_provenance(signed_photo, "image/jpeg", timeout=10, final=True)

    assert record == {"state": "error", "error": "The C2PA reader failed (signal 11)"}


def test_trust_anchors_that_cannot_be_found_raise_a_configuration_error(signed_photo, tmp_path):
    missing = tmp_path / "no-such-anchors.pem"
    with (
        override_settings(SLID_C2PA_TRUST_ANCHORS=[str(missing)]),
        pytest.raises(provenance.TrustAnchorsMissing) as raised,
    ):
        provenance.read_provenance(signed_photo, "image/jpeg", timeout=10, final=True)

    assert str(raised.value) == (
        f"The C2PA trust anchors could not be read: the trust anchors {missing} (SLID_C2PA_TRUST_ANCHORS) do not exist"
    )


def test_the_server_paths_in_the_readers_errors_are_not_recorded(signed_photo, tmp_path, monkeypatch):
    folder = os.path.dirname(signed_photo)
    talking = tmp_path / "talking_reader.py"
    talking.write_text(
        "import json, sys\n"
        "request = json.load(sys.stdin)\n"
        "json.dump({'reader': 'r', 'error': 'Io: cannot open ' + request['path'] + ' near "
        f"{folder}/other.tmp in {ROOT}/workers'}}, sys.stdout)\n"
    )
    dying = tmp_path / "dying_reader.py"
    dying.write_text(f"raise SystemExit('failed at {ROOT}/workers/c2pa_reader.py reading {signed_photo}')\n")

    monkeypatch.setattr(provenance, "_READER", talking)
    said = provenance.read_provenance(signed_photo, "image/jpeg", timeout=10)
    monkeypatch.setattr(provenance, "_READER", dying)
    died = provenance.read_provenance(signed_photo, "image/jpeg", timeout=10)

    assert said == {"state": "error", "error": "Io: cannot open the file near other.tmp in workers", "reader": "r"}
    assert died == {
        "state": "error",
        "error": "The C2PA reader failed (exit status 1): failed at workers/c2pa_reader.py reading the file",
    }


def test_a_reader_that_needs_more_memory_than_it_may_have_is_stopped(signed_photo, monkeypatch):
    # Loading the C2PA library alone takes more address space than this.
    monkeypatch.setattr(provenance, "READER_MEMORY_BYTES", 32 * 1024 * 1024)

    record = provenance.read_provenance(signed_photo, "image/jpeg", timeout=30, final=True)

    assert record["state"] == "error"
    assert record["error"].startswith("The C2PA reader failed (exit status 1)"), record


def test_the_reader_is_stopped_by_the_kernel_when_its_cpu_time_is_spent():
    spinning = "from workers.c2pa_reader import limit_self\nlimit_self({'cpu_seconds': 1})\nwhile True: pass\n"

    started = time.monotonic()
    finished = subprocess.run([sys.executable, "-c", spinning], cwd=ROOT, timeout=30, check=False)

    assert finished.returncode == -signal.SIGXCPU
    assert time.monotonic() - started < 10


def test_the_reader_dies_with_the_worker_that_started_it(tmp_path):
    fifo = tmp_path / "never-written"
    os.mkfifo(fifo)  # opening it for reading waits for a writer that never comes: the reader waits forever
    request = {"path": str(fifo), "media_type": "image/jpeg", "trust_anchors": ""}
    worker = (
        "import json, os, subprocess, sys, time\n"
        f"request = {request!r}\n"
        "request['parent_pid'] = os.getpid()\n"
        f"reader = subprocess.Popen([sys.executable, '-I', {str(c2pa_reader.__file__)!r}], stdin=subprocess.PIPE)\n"
        "reader.stdin.write(json.dumps(request).encode())\n"
        "reader.stdin.close()\n"
        "print(reader.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", worker], stdout=subprocess.PIPE)
    reader_pid = int(parent.stdout.readline())
    try:
        deadline = time.monotonic() + 20
        while "libc2pa_c" not in _mapped(reader_pid):  # it has read the request and loaded the library
            assert time.monotonic() < deadline, "the reader never loaded the C2PA library"
            time.sleep(0.05)
        time.sleep(0.5)  # and now waits, in open(), for the file

        parent.kill()  # SIGKILL: the worker has no chance to stop its children
        parent.wait()

        deadline = time.monotonic() + 10
        while _alive(reader_pid):
            assert time.monotonic() < deadline, "the reader outlived the worker that started it"
            time.sleep(0.05)
    finally:
        if _alive(reader_pid):
            os.kill(reader_pid, signal.SIGKILL)


def _mapped(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie is dead, waiting for init to reap it


def test_a_folder_of_anchors_and_a_single_file_are_both_read(tmp_path):
    folder, single = tmp_path / "anchors", tmp_path / "one.pem"
    folder.mkdir()
    (folder / "a.pem").write_text(make_chain("A").root_pem)
    (folder / "notes.txt").write_text("not an anchor")
    single.write_text(make_chain("B").root_pem)

    with override_settings(SLID_C2PA_TRUST_ANCHORS=[str(folder), str(single)]):
        files = provenance.trust_anchor_files()

    assert files[-2:] == [folder / "a.pem", single]


def test_the_bundled_trust_anchors_are_certificates_each_signed_by_one_in_the_bundle():
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    certificates = x509.load_pem_x509_certificates(
        (provenance.BUNDLED_TRUST_ANCHORS / "C2PA-TRUST-LIST.pem").read_bytes()
    )
    by_subject = {certificate.subject: certificate for certificate in certificates}

    assert len(certificates) == 9
    for certificate in certificates:
        key = by_subject[certificate.issuer].public_key()
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(
                certificate.signature, certificate.tbs_certificate_bytes, ec.ECDSA(certificate.signature_hash_algorithm)
            )
        else:
            key.verify(
                certificate.signature,
                certificate.tbs_certificate_bytes,
                padding.PKCS1v15(),
                certificate.signature_hash_algorithm,
            )


@pytest.fixture
def c2pa_tsa(tmp_path):
    """A local time-stamp authority whose certificate meets C2PA's profile, and its CA."""
    tsa = LocalTSA(c2pa_profile_tsa(tmp_path / "tsa", "Profiled TSA"), Signer.make(tmp_path / "other", "Other TSA"))
    yield tsa
    tsa.stop()


@pytest.mark.parametrize(("tsa_trusted", "timestamp"), [(True, "trusted"), (False, "untrusted")])
def test_a_timestamped_manifest_from_a_trusted_signer_is_valid_whether_or_not_its_authority_is_trusted(
    tmp_path, c2pa_tsa, tsa_trusted, timestamp
):
    chain = make_chain("Stamped")
    path = tmp_path / "stamped.jpg"
    path.write_bytes(signed(photo_bytes(seed=33), "image/jpeg", chain, tsa_url=c2pa_tsa.url))
    (tmp_path / "anchors").mkdir()
    (tmp_path / "anchors" / "signer.pem").write_text(chain.root_pem)
    if tsa_trusted:
        (tmp_path / "anchors" / "tsa.pem").write_text(c2pa_tsa.trusted.ca_pem.read_text())

    with override_settings(SLID_C2PA_TRUST_ANCHORS=[str(tmp_path / "anchors")]):
        record = provenance.read_provenance(str(path), "image/jpeg", timeout=30)

    assert c2pa_tsa.requests == 1
    assert (record["state"], record["validation_state"], record["failures"]) == ("valid", "Trusted", [])
    assert record["timestamp"] == timestamp
    assert record["signer"]["signed_at"] is not None


def _store(failures: list[str], *, state: str = "Invalid", informational: tuple[str, ...] = ()) -> dict:
    """A manifest store as c2pa gives it, reduced to what summarise reads."""
    return {
        "reader": "c2pa-python test",
        "store": {
            "active_manifest": "urn:c2pa:test",
            "manifests": {"urn:c2pa:test": {"claim_generator": "camera 1"}},
            "validation_state": state,
            "validation_results": {
                "activeManifest": {
                    "success": [{"code": "timeStamp.validated"}, {"code": "claimSignature.validated"}],
                    "informational": [{"code": code} for code in informational],
                    "failure": [{"code": code, "explanation": "said"} for code in failures],
                }
            },
        },
    }


@pytest.mark.parametrize(
    ("failures", "state"),
    [
        (["assertion.dataHash.mismatch"], "invalid"),
        (["signingCredential.expired", "assertion.dataHash.mismatch"], "invalid"),
        (["claimSignature.mismatch"], "invalid"),
        (["signingCredential.expired"], "certificate_invalid"),
        (["signingCredential.invalid"], "certificate_invalid"),
        (["signingCredential.ocsp.revoked"], "certificate_invalid"),
        (["timeStamp.mismatch"], "certificate_invalid"),
        ([], "invalid"),
    ],
)
def test_a_failing_certificate_is_told_apart_from_a_changed_file(failures, state):
    assert provenance.summarise(_store(failures))["state"] == state


@pytest.mark.parametrize(
    ("failures", "informational", "timestamp"),
    [
        ([], ("timeStamp.untrusted",), "untrusted"),
        (["timeStamp.mismatch"], (), "invalid"),
        (["timeStamp.untrusted"], (), "untrusted"),
    ],
)
def test_the_timestamps_standing_is_recorded(failures, informational, timestamp):
    record = provenance.summarise(_store(failures, state="Valid", informational=informational))

    assert record["timestamp"] == timestamp
