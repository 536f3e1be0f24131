"""Appending to an evidence item's chain of custody."""

import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from evidence import custody
from evidence.agents import Agent
from evidence.errors import NotAllowed
from evidence.models import (
    AuditAction,
    CustodyEntry,
    CustodyEvent,
    EvidenceItem,
    Outcome,
)
from evidence.selectors.access import download_refusal, identified_persons
from evidence.services.audit import audit_record


@dataclass(frozen=True)
class NewEntry:
    """An event to append to an item's chain (see custody_append_many)."""

    event_type: str
    detail: str = ""
    details: dict | None = None
    outcome: str = Outcome.SUCCESS


def custody_append(
    *,
    item: EvidenceItem,
    event_type: str,
    agent: Agent,
    outcome: str = Outcome.SUCCESS,
    detail: str = "",
    details: dict | None = None,
) -> CustodyEntry:
    """Appends one entry to the item's chain (see custody_append_many)."""
    entry = NewEntry(event_type=event_type, detail=detail, details=details, outcome=outcome)
    return custody_append_many(item=item, agent=agent, entries=[entry])[0]


def custody_append_many(*, item: EvidenceItem, agent: Agent, entries: Sequence[NewEntry]) -> list[CustodyEntry]:
    """Appends entries to the item's chain in the order given, by one agent, each hashed in the
    current canonical form (version 2, JCS) and linked to the one before. Takes the item's row lock,
    so entries never race. Raises CustodyDetailsError for a value that canonical JSON cannot carry
    exactly (an integer beyond ±(2**53 − 1): give it as a string)."""
    (sequence, previous_hash), (stored_agent_details, *stored_details) = _locked_chain_head(
        item, [agent.details, *(entry.details or {} for entry in entries)]
    )
    custody.check_exact(stored_agent_details, "agent_details")
    for details in stored_details:
        custody.check_exact(details, "details")
    rows = []
    for new, details in zip(entries, stored_details, strict=True):
        sequence += 1
        row = CustodyEntry(
            evidence=item,
            sequence=sequence,
            event_type=new.event_type,
            outcome=new.outcome,
            detail=new.detail,
            details=details,
            agent=agent.name,
            agent_details=stored_agent_details,
            user=agent.user,
            occurred_at=timezone.now(),
            previous_hash=previous_hash,
            version=custody.CURRENT_VERSION,
        )
        row.entry_hash = previous_hash = custody.entry_hash(custody.entry_fields(row, item.public_id))
        rows.append(row)
    return CustodyEntry.objects.bulk_create(rows)


def _locked_chain_head(item: EvidenceItem, documents: list[object]) -> tuple[tuple[int, str], list]:
    """Locks the item's row (so entries never race) and returns the sequence and hash of its last
    entry (0 and the genesis hash for none), and each document as JSONB gives it back and Django
    reads it (``json.loads`` of JSONB's text): JSONB keeps numbers as decimals, so -0.0 comes back
    0.0 and 1e21 as the integer 10**21. The hash is taken over these values, so recomputing it from
    the stored entry gives the same bytes. One round trip for all three."""
    try:
        encoded = [json.dumps(document, default=str, allow_nan=False) for document in documents]
    except ValueError as error:
        raise custody.CustodyDetailsError(f"Custody details must be JSON: {error}") from error
    as_stored = ", ".join(["%s::jsonb::text"] * len(encoded))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT last.sequence, last.entry_hash, {as_stored}
                FROM evidence_evidenceitem AS item
                LEFT JOIN LATERAL (
                    SELECT sequence, entry_hash FROM evidence_custodyentry
                    WHERE evidence_id = item.id ORDER BY sequence DESC LIMIT 1
                ) AS last ON true
                WHERE item.id = %s
                FOR UPDATE OF item""",  # noqa: S608 - placeholders only, no values
            [*encoded, item.pk],
        )
        sequence, entry_hash, *texts = cursor.fetchone()
    head = (sequence, entry_hash) if sequence is not None else (0, custody.GENESIS_HASH)
    return head, [json.loads(text) for text in texts]


@transaction.atomic
def evidence_record_access(
    *, actor: AbstractBaseUser, item: EvidenceItem, byte_range: str | None, view: str | None = None
) -> None:
    """A download of the item's bytes, in its custody and the audit log; bytes that identify a witness are
    a reveal of each person linked to them (an identity reveal entry per person, every time), and only
    for those who may reveal every one (evidence.selectors.access.download_refusal). ``view`` names a view
    of the workspace's evidence page (evidence.services.downloads.evidence_record_view), recorded once."""
    persons = identified_persons(item=item)
    refusal = download_refusal(user=actor, item=item, persons=persons)
    if refusal:
        raise NotAllowed(refusal)
    agent = Agent.for_user(actor)
    how = f"Viewed in the workspace by {agent.name} (view {view})" if view else f"Downloaded by {agent.name}"
    seen = {"view": view} if view else {}
    custody_append(
        item=item,
        event_type=CustodyEvent.ACCESSED,
        agent=agent,
        detail=how + (f" (bytes {byte_range})" if byte_range else ""),
        details={"range": byte_range, **seen},
    )
    audit_record(
        actor=actor, case=item.case, action=AuditAction.EVIDENCE_DOWNLOAD, target=item.ern, details=seen or None
    )
    for person in persons or ():
        audit_record(
            actor=actor,
            case=item.case,
            action=AuditAction(f"{person.kind}.identity_reveal"),
            target=person.pseudonym,
            details={"evidence": item.ern, "range": byte_range, **seen},
        )
