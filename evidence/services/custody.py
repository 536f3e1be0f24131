"""Appending to an evidence item's chain of custody."""

import json

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from evidence import custody
from evidence.agents import Agent
from evidence.models import (
    AuditAction,
    CustodyEntry,
    CustodyEvent,
    EvidenceItem,
    Outcome,
)
from evidence.services.audit import audit_record


def custody_append(
    *,
    item: EvidenceItem,
    event_type: str,
    agent: Agent,
    outcome: str = Outcome.SUCCESS,
    detail: str = "",
    details: dict | None = None,
) -> CustodyEntry:
    """Appends an entry to the item's chain, hashed in the current canonical form (version 2, JCS).
    Takes the item's row lock, so entries never race. Raises CustodyDetailsError for a value that
    canonical JSON cannot carry exactly (an integer beyond ±(2**53 − 1): give it as a string)."""
    stored_details, stored_agent_details = as_the_database_returns(details or {}, agent.details)
    custody.check_exact(stored_details, "details")
    custody.check_exact(stored_agent_details, "agent_details")
    EvidenceItem.objects.select_for_update().filter(pk=item.pk).values_list("pk", flat=True).get()
    last = item.custody.order_by("-sequence").values("sequence", "entry_hash").first()
    entry = CustodyEntry(
        evidence=item,
        sequence=(last["sequence"] + 1) if last else 1,
        event_type=event_type,
        outcome=outcome,
        detail=detail,
        details=stored_details,
        agent=agent.name,
        agent_details=stored_agent_details,
        user=agent.user,
        occurred_at=timezone.now(),
        previous_hash=last["entry_hash"] if last else custody.GENESIS_HASH,
        version=custody.CURRENT_VERSION,
    )
    entry.entry_hash = custody.entry_hash(custody.entry_fields(entry, item.public_id))
    entry.save()
    return entry


def as_the_database_returns(*documents: object) -> list:
    """Each document as JSONB gives it back and Django reads it (``json.loads`` of JSONB's text):
    JSONB keeps numbers as decimals, so -0.0 comes back 0.0 and 1e21 as the integer 10**21. The hash
    is taken over these values, so recomputing it from the stored entry gives the same bytes."""
    try:
        encoded = [json.dumps(document, default=str, allow_nan=False) for document in documents]
    except ValueError as error:
        raise custody.CustodyDetailsError(f"Custody details must be JSON: {error}") from error
    placeholders = ", ".join(["%s::jsonb::text"] * len(encoded))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {placeholders}", encoded)  # noqa: S608 - placeholders only, no values
        return [json.loads(text) for text in cursor.fetchone()]


@transaction.atomic
def evidence_record_access(*, actor: AbstractBaseUser, item: EvidenceItem, byte_range: str | None) -> None:
    agent = Agent.for_user(actor)
    custody_append(
        item=item,
        event_type=CustodyEvent.ACCESSED,
        agent=agent,
        detail=f"Downloaded by {agent.name}" + (f" (bytes {byte_range})" if byte_range else ""),
        details={"range": byte_range},
    )
    audit_record(actor=actor, case=item.case, action=AuditAction.EVIDENCE_DOWNLOAD, target=item.ern)
