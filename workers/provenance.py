"""Content Credentials (C2PA) of a file: whether it carries a manifest store, whether that validates
against Slid's trust anchors, and what it says (claim generator, signer, actions, ingredients).

A cheap look at the bytes comes first: a file without the C2PA marker is recorded as carrying none
without starting anything, so ordinary photos cost almost nothing. A file with the marker is read
by the C2PA library (native code) in a process of its own (workers/c2pa_reader.py) with a timeout,
like exiftool, so a hostile file can neither hang nor crash the worker: what goes wrong is recorded
as the state ``error``, never raised. Nothing is fetched from the network."""

import json
import logging
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from django.conf import settings

from evidence.models import ProvenanceState

logger = logging.getLogger(__name__)

# Every embedding of a C2PA manifest store (JPEG APP11, PNG caBX, ISO BMFF uuid box, RIFF chunk, …) holds
# its JUMBF superbox, labelled "c2pa"; a reference to a manifest kept elsewhere is, by convention, a
# ".c2pa" name. A file without these four bytes carries no manifest store.
MARKER = b"c2pa"
_SCAN_CHUNK_BYTES = 1024 * 1024
BUNDLED_TRUST_ANCHORS = Path(__file__).resolve().parents[1] / "evidence" / "data" / "c2pa" / "trust"
_READER = Path(__file__).with_name("c2pa_reader.py")
# C2PA's validation states (c2pa-rs): Trusted, Valid (well formed and signed, by a signer not trusted here),
# Invalid (a signature or a hash does not match).
_STATES = {"Trusted": ProvenanceState.VALID, "Valid": ProvenanceState.UNTRUSTED, "Invalid": ProvenanceState.INVALID}
_ERROR_CHARS = 1000


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
    return "\n".join(path.read_text(encoding="ascii", errors="replace").strip() for path in trust_anchor_files())


def read_provenance(path: str, media_type: str, *, timeout: float) -> dict:
    """The provenance record of a file (see summarise): its state, and what its manifest says."""
    if not has_marker(path):
        return {"state": ProvenanceState.NONE.value}
    try:
        anchors = trust_anchors_pem()
    except OSError as error:
        return _error(f"The trust anchors could not be read: {error}")
    request = json.dumps({"path": os.path.abspath(path), "media_type": media_type, "trust_anchors": anchors})
    try:
        finished = subprocess.run(  # noqa: S603 - our own script, with this interpreter
            [sys.executable, "-I", str(_READER)], input=request.encode(), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return _error(f"The C2PA reader took longer than {timeout} s and was stopped")
    if finished.returncode != 0:
        how = f"signal {-finished.returncode}" if finished.returncode < 0 else f"exit status {finished.returncode}"
        stderr = finished.stderr.decode(errors="replace").strip().splitlines()
        return _error(f"The C2PA reader failed ({how}){': ' + stderr[-1] if stderr else ''}", path=path)
    try:
        answer = json.loads(finished.stdout)
        return summarise(answer)
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        logger.warning("Could not make sense of the C2PA reader's answer for %s", path, exc_info=True)
        return _error(f"The C2PA reader's answer could not be read ({type(error).__name__}: {error})", path=path)


def _error(message: str, *, path: str = "") -> dict:
    if path:
        message = message.replace(os.path.abspath(path), "the file")
    return {"state": ProvenanceState.ERROR.value, "error": message[:_ERROR_CHARS]}


def summarise(answer: dict) -> dict:
    """What the record keeps of the reader's answer: the state (valid, untrusted, invalid, none, error),
    the C2PA validation state as the library said it, the active manifest's label, claim generator and
    signer, its actions and ingredients, and each validation failure (code and explanation)."""
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
    return {
        "state": _STATES.get(validation_state, ProvenanceState.INVALID).value,
        "validation_state": validation_state,
        "manifest": label,
        "claim_generator": _claim_generator(manifest),
        "signer": _signer(_dict(manifest.get("signature_info"))),
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
