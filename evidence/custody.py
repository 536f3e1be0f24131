"""The chain of custody's hashing: one canonical form, so anyone can recompute a chain.

Each entry's hash is the SHA-256 of the UTF-8 bytes of one JSON object holding these fields:

    {"agent", "agent_details", "detail", "details", "event_type", "evidence" (the item's public UUID),
     "occurred_at" (UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ), "outcome", "previous_hash", "sequence"}

and, from version 2 on, "version". ``previous_hash`` is the previous entry's hash, or 64 zeros for
the first entry. How the object is written depends on the entry's ``version``:

1. (entries written before version 2) Python's ``json.dumps`` with keys sorted, no spaces
   (separators "," and ":") and non-ASCII characters written as themselves. Its numbers are Python's,
   and JSONB does not give every number back as Python wrote it (``-0.0`` comes back ``0.0``), so
   such an entry could not be recomputed from the database. Old entries keep this form, so their
   chains still verify.
2. RFC 8785, the JSON Canonicalization Scheme (JCS), through the ``rfc8785`` library: keys sorted by
   their UTF-16 code units, numbers written as ECMAScript writes them (``-0.0`` is ``0``, ``1e21`` is
   ``1e+21``), strings with only the escapes JSON requires. The object includes ``"version": 2``.

Version 2 is hashed over the values the database gives back when the entry is read (the service
sends ``details`` and ``agent_details`` through JSONB first), so a verifier recomputes the same bytes.
JCS numbers are IEEE doubles (I-JSON, RFC 7493): an integer beyond ±(2**53 − 1) has no exact form,
so custody refuses it (``CustodyDetailsError``) rather than round it; write such a value as a string.
A float of 1e16 or more counts too: JSONB gives it back as an integer.
"""

import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any

import rfc8785

GENESIS_HASH = "0" * 64
CURRENT_VERSION = 2
LARGEST_EXACT_INTEGER = 2**53 - 1


class CustodyDetailsError(ValueError):
    """A value custody cannot hash exactly (an integer beyond I-JSON's range, NaN, infinity)."""


def canonical_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_fields(entry: Any, evidence_public_id: str) -> dict[str, Any]:
    """The fields an entry's hash covers, as the entry's version hashes them."""
    fields = {
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
    if entry.version >= 2:
        fields["version"] = entry.version
    return fields


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    """The bytes an entry's hash is taken over; the version is in the fields (absent: version 1)."""
    version = fields.get("version", 1)
    if version == 1:
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if version == 2:
        check_exact(fields)
        return rfc8785.dumps(fields)
    raise ValueError(f"Unknown custody entry version {version!r}.")


def entry_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(fields)).hexdigest()


def check_exact(value: Any, path: str = "entry") -> None:
    """Refuses what JCS cannot write exactly, naming where it is (e.g. ``details.count``)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > LARGEST_EXACT_INTEGER:
            raise CustodyDetailsError(
                f"{path} = {value}: integers beyond ±(2**53 − 1) have no exact form in canonical JSON "
                "(RFC 8785, I-JSON); give such a value as a string."
            )
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise CustodyDetailsError(f"{path} = {value}: JSON has no NaN or infinity.")
    elif isinstance(value, dict):
        for key, inner in value.items():
            check_exact(inner, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            check_exact(inner, f"{path}[{index}]")
    else:
        raise CustodyDetailsError(f"{path}: a {type(value).__name__} is not a JSON value.")


def first_broken_link(entries: list[Any], evidence_public_id: str) -> tuple[int, str] | None:
    """(sequence, reason) of the first entry that does not hold, or None when the chain is whole."""
    previous = GENESIS_HASH
    for expected_sequence, entry in enumerate(entries, start=1):
        if entry.sequence != expected_sequence:
            return entry.sequence, f"expected entry {expected_sequence} here (an entry is missing)"
        if entry.previous_hash != previous:
            return entry.sequence, "previous_hash does not match the entry before it"
        try:
            recomputed = entry_hash(entry_fields(entry, evidence_public_id))
        except ValueError as error:
            return entry.sequence, f"the entry cannot be recomputed: {error}"
        if recomputed != entry.entry_hash:
            return entry.sequence, "the entry's content does not match its hash"
        previous = entry.entry_hash
    return None
