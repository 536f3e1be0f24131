"""Content Credentials (C2PA) of a file: whether it carries a manifest store, whether that validates
against Slid's trust anchors, and what it says (claim generator, signer, actions, ingredients).

A cheap look at the bytes comes first: a file without the C2PA marker is recorded as carrying none
without starting anything, so ordinary photos cost almost nothing. A file with the marker is read
by the C2PA library (native code) in a process of its own (workers/c2pa_reader.py), with a timeout
that grows with the file's size and limits on its CPU time and memory, so a hostile file can neither
hang, exhaust nor crash the worker. A reader that is too slow or dies raises ReaderFailed, so the
worker tries the item again later; only on the item's last attempt is that recorded as the state
``error``. A configuration that cannot be used (trust anchors that do not exist) raises
TrustAnchorsMissing: it is the operator's to fix, not a property of the file. Nothing is fetched from
the network."""

import json
import logging
import math
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from evidence.models import ProvenanceState

logger = logging.getLogger(__name__)

# Every embedding of a C2PA manifest store (JPEG APP11, PNG caBX, ISO BMFF uuid box, RIFF chunk, …) holds
# its JUMBF superbox, labelled "c2pa"; a reference to a manifest kept elsewhere is, by convention, a
# ".c2pa" name. A file without these four bytes carries no manifest store.
MARKER = b"c2pa"
_SCAN_CHUNK_BYTES = 1024 * 1024
BUNDLED_TRUST_ANCHORS = Path(__file__).resolve().parents[1] / "evidence" / "data" / "c2pa" / "trust"
_READER = Path(__file__).with_name("c2pa_reader.py")
_SLID_ROOT = Path(__file__).resolve().parents[1]
# C2PA's validation states (c2pa-rs): Trusted, Valid (well formed and signed, by a signer not trusted here),
# Invalid (some check failed: which one decides between INVALID and CERTIFICATE_INVALID, see summarise).
_STATES = {"Trusted": ProvenanceState.VALID, "Valid": ProvenanceState.UNTRUSTED, "Invalid": ProvenanceState.INVALID}
# Failures about a certificate (the signer's, or the timestamp authority's, which c2pa also reports as
# signingCredential.*), not about the bytes: expired, revoked, a profile C2PA does not allow, a timestamp
# that does not verify. A file that fails only these still holds every hash and the claim signature.
_CERTIFICATE_FAILURES = ("signingCredential.", "timeStamp.")
_ERROR_CHARS = 1000
# The reader's time: SLID_TOOL_TIMEOUT_SECONDS plus a second for every _READ_BYTES_PER_SECOND of the file
# (it hashes the whole file; 20 MiB/s is a slow disk on a busy worker), so a large video is not cut off.
_READ_BYTES_PER_SECOND = 20 * 1024 * 1024
# The reader's address space: the Python interpreter and the C2PA library take about 0.3 GiB; the library
# streams the file, so a large one needs little more. A hostile file that makes it allocate without end
# is stopped here, not by the machine's out-of-memory killer taking the worker.
READER_MEMORY_BYTES = 2 * 1024 * 1024 * 1024


class ReaderFailed(Exception):
    """The C2PA reader gave no answer this time (too slow, killed, an answer that cannot be read)."""


class TrustAnchorsMissing(ImproperlyConfigured):
    """SLID_C2PA_TRUST_ANCHORS names a path that does not exist (or cannot be read)."""


def reads(media_type: str) -> bool:
    """Whether Slid looks for Content Credentials in a file of this media type."""
    return media_type.startswith(("image/", "video/", "audio/"))


def has_marker(path: str) -> bool:
    """Whether the file's bytes hold the C2PA marker anywhere (a read at disk speed, nothing parsed)."""
    overlap = len(MARKER) - 1
    tail = b""
    with open(path, "rb") as stream:
        while block := stream.read(_SCAN_CHUNK_BYTES):
            if MARKER in tail + block[:overlap] or MARKER in block:
                return True
            tail = block[-overlap:]
    return False


def reader_version() -> str:
    try:
        return f"c2pa-python {metadata.version('c2pa-python')}"
    except metadata.PackageNotFoundError:
        return "not installed"


def trust_anchor_files() -> list[Path]:
    """The PEM files of the trust anchors: those bundled with Slid, then SLID_C2PA_TRUST_ANCHORS (files, or
    folders of .pem files). A configured path that is missing raises OSError: validating without the anchors
    an operator named would call their signers untrusted."""
    files = sorted(BUNDLED_TRUST_ANCHORS.glob("*.pem"))
    for configured in settings.SLID_C2PA_TRUST_ANCHORS:
        path = Path(configured)
        if path.is_dir():
            files += sorted(path.glob("*.pem"))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"the trust anchors {configured} (SLID_C2PA_TRUST_ANCHORS) do not exist")
    return files


def trust_anchors_pem() -> str:
    """Every trust anchor's PEM text; TrustAnchorsMissing if a configured one cannot be read."""
    try:
        return "\n".join(path.read_text(encoding="ascii", errors="replace").strip() for path in trust_anchor_files())
    except OSError as error:
        raise TrustAnchorsMissing(f"The C2PA trust anchors could not be read: {error}") from error


def reader_timeout(size_bytes: int, base_seconds: float) -> float:
    """How long the reader may take for a file of this size."""
    return base_seconds + size_bytes / _READ_BYTES_PER_SECOND


def read_provenance(path: str, media_type: str, *, timeout: float, final: bool = True) -> dict:
    """The provenance record of a file (see summarise): its state, and what its manifest says.

    ``timeout`` is the reader's time for a small file (see reader_timeout). A reader that fails raises
    ReaderFailed unless ``final`` (the item's last attempt), when the failure is recorded as ``error``.
    Raises TrustAnchorsMissing whatever ``final`` says."""
    if not has_marker(path):
        return {"state": ProvenanceState.NONE.value}
    anchors = trust_anchors_pem()
    limit = reader_timeout(os.path.getsize(path), timeout)
    request = {
        "path": os.path.abspath(path),
        "media_type": media_type,
        "trust_anchors": anchors,
        "cpu_seconds": math.ceil(limit) + 1,
        "memory_bytes": READER_MEMORY_BYTES,
        "parent_pid": os.getpid(),
    }
    try:
        finished = subprocess.run(  # noqa: S603 - our own script, with this interpreter
            [sys.executable, "-I", str(_READER)], input=json.dumps(request).encode(), capture_output=True, timeout=limit
        )
    except subprocess.TimeoutExpired:
        return _failed(f"The C2PA reader took longer than {limit:g} s and was stopped", path, final=final)
    if finished.returncode != 0:
        how = f"signal {-finished.returncode}" if finished.returncode < 0 else f"exit status {finished.returncode}"
        stderr = finished.stderr.decode(errors="replace").strip().splitlines()
        return _failed(f"The C2PA reader failed ({how}){': ' + stderr[-1] if stderr else ''}", path, final=final)
    try:
        answer = json.loads(finished.stdout)
        if isinstance(answer, dict) and "error" in answer:
            # The library's own refusal of this file (damaged, not what it claims to be): the same every time.
            answer["error"] = scrub(str(answer["error"]), path)
        return summarise(answer)
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        logger.warning("Could not make sense of the C2PA reader's answer for %s", path, exc_info=True)
        message = f"The C2PA reader's answer could not be read ({type(error).__name__}: {error})"
        return _failed(message, path, final=final)


def scrub(message: str, path: str) -> str:
    """The message without the server's paths: the file's (as "the file"), and its folder's and Slid's own
    (what is under them is named relative to them)."""
    file_paths = {os.path.abspath(path), os.path.realpath(path)}
    folders = {os.path.dirname(file_path) for file_path in file_paths} | {str(_SLID_ROOT)}
    for file_path in sorted(file_paths, key=len, reverse=True):
        message = message.replace(file_path, "the file")
    for folder in sorted(folders, key=len, reverse=True):
        message = message.replace(folder + os.sep, "").replace(folder, "…")
    return message


def _failed(message: str, path: str, *, final: bool) -> dict:
    message = scrub(message, path)
    if not final:
        raise ReaderFailed(message)
    return _error(message)


def _error(message: str) -> dict:
    return {"state": ProvenanceState.ERROR.value, "error": message[:_ERROR_CHARS]}


def summarise(answer: dict) -> dict:
    """What the record keeps of the reader's answer: the state (valid, untrusted, invalid,
    certificate_invalid, none, error), the C2PA validation state as the library said it, the active
    manifest's label, claim generator and signer, the timestamp's standing, its actions and ingredients,
    and each validation failure (code and explanation)."""
    reader = str(answer.get("reader", ""))
    if answer.get("none"):
        return {"state": ProvenanceState.NONE.value, "reader": reader}
    if "error" in answer:
        return {**_error(str(answer["error"])), "reader": reader}
    store = answer["store"]
    validation_state = str(store.get("validation_state", ""))
    label = store.get("active_manifest")
    manifest = store.get("manifests", {}).get(label) if isinstance(label, str) else None
    if not isinstance(manifest, dict):
        return {**_error("The manifest store names no active manifest it holds"), "reader": reader}
    results = _dict(store.get("validation_results"))
    failures = [
        {"code": str(found.get("code", "")), "explanation": str(found.get("explanation", ""))}
        for found in _list(_dict(results.get("activeManifest")).get("failure"))
        if isinstance(found, dict)
    ]
    state = _STATES.get(validation_state, ProvenanceState.INVALID)
    if (
        state == ProvenanceState.INVALID
        and failures
        and all(failure["code"].startswith(_CERTIFICATE_FAILURES) for failure in failures)
    ):
        state = ProvenanceState.CERTIFICATE_INVALID
    return {
        "state": state.value,
        "validation_state": validation_state,
        "manifest": label,
        "claim_generator": _claim_generator(manifest),
        "signer": _signer(_dict(manifest.get("signature_info"))),
        "timestamp": _timestamp(_dict(results.get("activeManifest"))),
        "actions": _actions(manifest),
        "ingredients": _ingredients(manifest),
        "failures": failures,
        "reader": reader,
    }


def _claim_generator(manifest: dict) -> str:
    for info in _list(manifest.get("claim_generator_info")):
        if isinstance(info, dict) and info.get("name"):
            return " ".join(str(info[key]) for key in ("name", "version") if info.get(key))
    return str(manifest.get("claim_generator") or "")


def _signer(signature: dict) -> dict:
    # c2pa calls the organisation in the signing certificate's subject its "issuer".
    fields = {"common_name": "common_name", "organization": "issuer", "serial_number": "cert_serial_number"}
    signer = {ours: str(signature[theirs]) for ours, theirs in fields.items() if signature.get(theirs)}
    signer |= {"algorithm": str(signature.get("alg", "")), "signed_at": signature.get("time")}
    return signer


def _timestamp(results: dict) -> str:
    """The standing of the time-stamp authority's token over the claim signature: ``trusted`` (its
    certificate leads to a trust anchor: the signer's certificate is judged at that time), ``untrusted``
    (it verifies, but its authority is not one Slid trusts: the signer's certificate is judged now),
    ``invalid`` (it does not verify), or ``none`` (the manifest has none)."""
    found = {
        section: {str(status.get("code", "")) for status in _list(results.get(section)) if isinstance(status, dict)}
        for section in ("success", "informational", "failure")
    }
    if any(code.startswith("timeStamp.") and code != "timeStamp.untrusted" for code in found["failure"]):
        return "invalid"
    if "timeStamp.untrusted" in found["informational"] | found["failure"]:
        return "untrusted"
    if "timeStamp.trusted" in found["success"]:
        return "trusted"
    return "none"


def _actions(manifest: dict) -> list[dict]:
    actions = []
    for assertion in _list(manifest.get("assertions")):
        if not isinstance(assertion, dict) or assertion.get("label") not in ("c2pa.actions", "c2pa.actions.v2"):
            continue
        for action in _list(_dict(assertion.get("data")).get("actions")):
            if not isinstance(action, dict):
                continue
            agent = action.get("softwareAgent")
            agent = agent.get("name") if isinstance(agent, dict) else agent
            found = {
                "action": action.get("action"),
                "when": action.get("when"),
                "software_agent": agent,
                "digital_source_type": action.get("digitalSourceType"),
            }
            actions.append({name: str(value) for name, value in found.items() if value})
    return actions


def _ingredients(manifest: dict) -> list[dict]:
    ingredients = []
    for ingredient in _list(manifest.get("ingredients")):
        if isinstance(ingredient, dict):
            found = {key: ingredient.get(key) for key in ("title", "format", "relationship")}
            summary = {name: str(value) for name, value in found.items() if value}
            summary["has_manifest"] = bool(ingredient.get("active_manifest"))
            ingredients.append(summary)
    return ingredients


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []
