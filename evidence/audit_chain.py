"""The audit log's hash chain: one canonical form, so anyone can recompute it (as evidence.custody does
for custody).

Audit entries are written by many requests at once, so they are linked afterwards, not as they are
written: ``audit_seal`` (evidence.services.checkpoints) appends one ``AuditLink`` per entry not yet
linked, in the order of their ids, each holding its position (1, 2, 3…), the previous link's hash (64
zeros for the first) and its own. A link's hash is the SHA-256 of RFC 8785 (JCS) canonical JSON of:

    {"action", "actor" (the user's id, or null), "at" (UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ), "case" (the
     case's id, or null), "details", "entry" (the audit entry's id), "position", "previous_hash",
     "source_ip" (or null), "target", "version": 1}

taken over the values as the database gives them back. A value JCS cannot write exactly (an integer
beyond ±(2**53 − 1), NaN, infinity) is refused, as custody refuses it (evidence.custody.check_exact):
``audit_record`` refuses to write such details, so no entry it wrote can stop the chain. (Writing such a
value as its decimal string instead would hash 2**60 and "1152921504606846976" alike.)
"""

import hashlib
from collections.abc import Iterable
from typing import Any

import rfc8785

from evidence.custody import GENESIS_HASH, canonical_time, check_exact

CURRENT_VERSION = 1

__all__ = ["CURRENT_VERSION", "GENESIS_HASH", "link_fields", "link_hash", "first_broken_audit_link"]


def link_fields(entry: Any, *, position: int, previous_hash: str, version: int = CURRENT_VERSION) -> dict[str, Any]:
    """The fields a link's hash covers; raises evidence.custody.CustodyDetailsError (a ValueError) naming a
    value canonical JSON cannot write exactly."""
    check_exact(entry.details, f"audit entry {entry.pk} details")
    return {
        "action": entry.action,
        "actor": entry.actor_id,
        "at": canonical_time(entry.at),
        "case": entry.case_id,
        "details": entry.details,
        "entry": entry.pk,
        "position": position,
        "previous_hash": previous_hash,
        "source_ip": entry.source_ip,
        "target": entry.target,
        "version": version,
    }


def link_hash(fields: dict[str, Any]) -> str:
    if fields.get("version") != 1:
        raise ValueError(f"Unknown audit link version {fields.get('version')!r}.")
    return hashlib.sha256(rfc8785.dumps(fields)).hexdigest()


def first_broken_audit_link(links: Iterable[Any]) -> tuple[int, str] | None:
    """(position, reason) of the first link that does not hold, or None. ``links`` are AuditLink rows with
    their entries, in position order."""
    previous = GENESIS_HASH
    for expected, link in enumerate(links, start=1):
        if link.position != expected:
            return link.position, f"expected link {expected} here (a link is missing)"
        if link.previous_hash != previous:
            return link.position, "previous_hash does not match the link before it"
        try:
            fields = link_fields(
                link.entry, position=link.position, previous_hash=link.previous_hash, version=link.version
            )
            recomputed = link_hash(fields)
        except ValueError as error:
            return link.position, f"the link cannot be recomputed: {error}"
        if recomputed != link.link_hash:
            return link.position, f"audit entry {link.entry_id} does not match the link's hash"
        previous = link.link_hash
    return None
