"""Reads of the chain of custody."""

from django.db.models import QuerySet

from evidence.custody import first_broken_link
from evidence.models import (
    CustodyEntry,
    EvidenceItem,
)


def custody_entry_list(*, item: EvidenceItem) -> QuerySet[CustodyEntry]:
    return item.custody.order_by("sequence")


def custody_first_broken_link(*, item: EvidenceItem) -> tuple[int, str] | None:
    return first_broken_link(list(custody_entry_list(item=item)), str(item.public_id))
