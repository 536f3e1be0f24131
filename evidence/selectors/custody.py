"""Reads of the chain of custody."""

from dataclasses import dataclass

from django.db.models import QuerySet

from evidence.custody import entry_fields, entry_hash, first_broken_link
from evidence.models import (
    CustodyEntry,
    CustodyEvent,
    EvidenceItem,
)
from evidence.selectors.integrity import item_findings


def custody_entry_list(*, item: EvidenceItem) -> QuerySet[CustodyEntry]:
    return item.custody.order_by("sequence")


def custody_first_broken_link(*, item: EvidenceItem) -> tuple[int, str] | None:
    return first_broken_link(list(custody_entry_list(item=item)), str(item.public_id))


@dataclass(frozen=True)
class CheckedEntry:
    entry: CustodyEntry
    hash_holds: bool  # its content recomputes to its recorded hash


@dataclass(frozen=True)
class CustodyTimeline:
    """An item's chain of custody, each entry's hash checked, with what the integrity checks find (a
    broken link, hashes on the item that differ from custody's) and its last fixity check."""

    entries: list[CheckedEntry]
    problems: list[str]
    last_fixity_check: CustodyEntry | None

    @property
    def holds(self) -> bool:
        return not self.problems and all(checked.hash_holds for checked in self.entries)


def _hash_holds(entry: CustodyEntry, public_id: str) -> bool:
    try:
        return entry_hash(entry_fields(entry, public_id)) == entry.entry_hash
    except ValueError:  # an entry that cannot be recomputed does not hold
        return False


def custody_timeline(*, item: EvidenceItem, entries: list[CustodyEntry] | None = None) -> CustodyTimeline:
    """The item's custody for a person to read (the workspace's evidence page): every entry, first first,
    its hash recomputed (evidence.custody), the chain's links and the item's hashes checked as the
    integrity check does (evidence.selectors.integrity.item_findings). ``entries``: the chain as already read
    (a package's), else it is read now."""
    entries = list(custody_entry_list(item=item)) if entries is None else entries
    public_id = str(item.public_id)
    checked = [CheckedEntry(entry, _hash_holds(entry, public_id)) for entry in entries]
    problems = [finding.problem for finding in item_findings(item=item, entries=entries)]
    fixity = [entry for entry in entries if entry.event_type == CustodyEvent.FIXITY_CHECK]
    return CustodyTimeline(entries=checked, problems=problems, last_fixity_check=fixity[-1] if fixity else None)
