"""Appending to an evidence item's chain of custody."""

import json

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from evidence import custody
from evidence.agents import Agent
from evidence.models import (
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
    """Appends an entry to the item's chain. Takes the item's row lock, so entries never race."""
    EvidenceItem.objects.select_for_update().filter(pk=item.pk).values_list("pk", flat=True).get()
    last = item.custody.order_by("-sequence").values("sequence", "entry_hash").first()
    entry = CustodyEntry(
        evidence=item,
        sequence=(last["sequence"] + 1) if last else 1,
        event_type=event_type,
        outcome=outcome,
        detail=detail,
        details=details or {},
        agent=agent.name,
        agent_details=agent.details,
        user=agent.user,
        occurred_at=timezone.now(),
        previous_hash=last["entry_hash"] if last else custody.GENESIS_HASH,
    )
    # JSONB gives back what it stored; hash exactly that, so recomputing later gives the same bytes.
    entry.details = json.loads(json.dumps(entry.details, default=str))
    entry.entry_hash = custody.entry_hash(custody.entry_fields(entry, item.public_id))
    entry.save()
    return entry


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
    audit_record(actor=actor, case=item.case, action="evidence.download", target=item.ern)
