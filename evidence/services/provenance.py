"""The custody entry ``provenance_read``: what the file's Content Credentials (C2PA) say and whether they
validate (workers.provenance reads them). A file whose credentials do not validate, or could not be read,
is flagged (outcome ``warning``), never refused: the bytes are evidence whatever their credentials say."""

from evidence.models import CustodyEvent, Outcome, ProvenanceState
from evidence.services.custody import NewEntry

FLAGGED = {
    ProvenanceState.INVALID,
    ProvenanceState.CERTIFICATE_INVALID,
    ProvenanceState.UNTRUSTED,
    ProvenanceState.ERROR,
}
TIMESTAMP_SAID = {
    "trusted": "timestamp by a trusted authority",
    "untrusted": "timestamp by an authority not trusted here",
    "invalid": "timestamp does not verify",
}


def provenance_entry(record: dict) -> NewEntry:
    """The entry for a provenance record (its ``details`` are the record itself)."""
    state = ProvenanceState(record["state"])
    return NewEntry(
        event_type=CustodyEvent.PROVENANCE_READ,
        outcome=Outcome.WARNING if state in FLAGGED else Outcome.SUCCESS,
        detail=_said(state, record),
        details=record,
    )


def _said(state: ProvenanceState, record: dict) -> str:
    if state == ProvenanceState.NONE:
        return "No Content Credentials (C2PA manifest) in the file"
    if state == ProvenanceState.ERROR:
        return f"Content Credentials could not be read: {record.get('error', '')}"
    signer = record.get("signer", {})
    signed_by = signer.get("common_name", "an unnamed signer")
    if signer.get("organization"):
        signed_by += f" ({signer['organization']})"
    said = {
        ProvenanceState.VALID: f"Content Credentials valid, signed by {signed_by}, trusted",
        ProvenanceState.UNTRUSTED: f"Content Credentials intact, but signed by {signed_by}, not trusted here",
        ProvenanceState.INVALID: f"Content Credentials do not validate (signed by {signed_by})",
        ProvenanceState.CERTIFICATE_INVALID: (
            f"Content Credentials intact, but a certificate does not pass (signed by {signed_by})"
        ),
    }[state]
    if timestamp := TIMESTAMP_SAID.get(record.get("timestamp", "")):
        said += f"; {timestamp}"
    said += f"; claim generator {record.get('claim_generator') or 'not named'}"
    if actions := record.get("actions"):
        said += "; actions " + ", ".join(action.get("action", "?") for action in actions)
    if ingredients := record.get("ingredients"):
        said += f"; {len(ingredients)} ingredient(s)"
    if failures := [failure["code"] for failure in record.get("failures", [])]:
        said += "; failed: " + ", ".join(failures)
    return said
