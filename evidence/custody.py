"""The chain of custody's hashing: one canonical form, so anyone can recompute a chain.

Each entry's hash is the SHA-256 of the UTF-8 bytes of this JSON object, with keys sorted, no
spaces (separators "," and ":"), and non-ASCII characters written as themselves:

    {"agent", "agent_details", "detail", "details", "event_type", "evidence" (the item's public UUID),
     "occurred_at" (UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ), "outcome", "previous_hash", "sequence"}

``previous_hash`` is the previous entry's hash, or 64 zeros for the first entry.
"""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_fields(entry: Any, evidence_public_id: str) -> dict[str, Any]:
    return {
        "agent": entry.agent,
        "agent_details": entry.agent_details,
        "detail": entry.detail,
        "details": entry.details,
        "event_type": entry.event_type,
        "evidence": str(evidence_public_id),
        "occurred_at": canonical_time(entry.occurred_at),
        "outcome": entry.outcome,
        "previous_hash": entry.previous_hash,
        "sequence": entry.sequence,
    }


def entry_hash(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def first_broken_link(entries: list[Any], evidence_public_id: str) -> tuple[int, str] | None:
    """(sequence, reason) of the first entry that does not hold, or None when the chain is whole."""
    previous = GENESIS_HASH
    for expected_sequence, entry in enumerate(entries, start=1):
        if entry.sequence != expected_sequence:
            return entry.sequence, f"expected entry {expected_sequence} here (an entry is missing)"
        if entry.previous_hash != previous:
            return entry.sequence, "previous_hash does not match the entry before it"
        if entry_hash(entry_fields(entry, evidence_public_id)) != entry.entry_hash:
            return entry.sequence, "the entry's content does not match its hash"
        previous = entry.entry_hash
    return None
