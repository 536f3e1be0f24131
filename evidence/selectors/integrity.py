"""Reads that check the record against itself: each item's chain of custody, each item's hashes
against what its custody recorded, and each case's ERNs, which run from 1 with no gap.

An item deleted together with its whole chain leaves a gap in its case's ERNs. A consistent rewrite
by a role that owns the tables (or by the database superuser) is not visible from inside the
database; that needs an anchor outside it (docs/tamper-evidence.md).
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Prefetch

from evidence.custody import first_broken_link
from evidence.models import Case, CustodyEntry, CustodyEvent, EvidenceItem


@dataclass(frozen=True)
class Finding:
    ern: str
    problem: str
    kind: str  # "chain", "hashes" or "ern"

    def __str__(self) -> str:
        return f"{self.ern}: {self.problem}"


@dataclass
class IntegrityReport:
    items_checked: int = 0
    cases_checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for finding in self.findings if finding.kind == kind)


def integrity_check(*, case_reference: str | None = None) -> IntegrityReport:
    """Every check, over every case (or the one named): findings by item, then the ERN gaps by case."""
    cases = Case.objects.order_by("reference")
    if case_reference is not None:
        cases = cases.filter(reference=case_reference)
    report = IntegrityReport()
    ern_findings: list[Finding] = []
    for case in cases:
        report.cases_checked += 1
        items = (
            EvidenceItem.objects.filter(case=case)
            .order_by("ern")
            .only("pk", "public_id", "ern", "sha256", "md5", "size_bytes")
            .prefetch_related(Prefetch("custody", queryset=CustodyEntry.objects.order_by("sequence")))
        )
        erns = []
        for item in items.iterator(chunk_size=500):
            report.items_checked += 1
            erns.append(item.ern)
            report.findings.extend(item_findings(item=item, entries=list(item.custody.all())))
        ern_findings.extend(case_ern_findings(case=case, erns=erns))
    report.findings.extend(ern_findings)
    return report


def item_findings(*, item: EvidenceItem, entries: list[CustodyEntry]) -> Iterator[Finding]:
    """The first broken link of the item's chain, and each recorded hash that differs from its custody."""
    if not entries:
        yield Finding(item.ern, "no custody entries: its whole chain of custody was deleted", "chain")
        return
    broken = first_broken_link(entries, str(item.public_id))
    if broken:
        sequence, reason = broken
        yield Finding(item.ern, f"entry {sequence}: {reason}", "chain")
    yield from hash_findings(item=item, entries=entries)


def hash_findings(*, item: EvidenceItem, entries: list[CustodyEntry]) -> Iterator[Finding]:
    """The item's sha256, md5 and size must be what custody recorded when the bytes were first
    hashed: the ``received`` entry when it holds the SHA-256 (digests taken at receipt), else the
    first ``hashed`` entry."""
    source = _first_hash_record(entries)
    if source is None:
        if item.sha256:
            problem = f"sha256 on the item is {item.sha256}, but no custody entry records a SHA-256"
            yield Finding(item.ern, problem, "hashes")
        return
    entry, recorded = source
    for name, on_item in (("sha256", item.sha256), ("md5", item.md5), ("size_bytes", item.size_bytes)):
        if name in recorded and recorded[name] != on_item:
            yield Finding(
                item.ern,
                f"{name} on the item is {_shown(on_item)}, but custody entry {entry.sequence} ({entry.event_type}) "
                f"records {_shown(recorded[name])}",
                "hashes",
            )


def _first_hash_record(entries: list[CustodyEntry]) -> tuple[CustodyEntry, dict] | None:
    """(entry, {"sha256", "md5", "size_bytes"} as far as it records them) of the entry that first recorded the hash."""
    received = next((entry for entry in entries if entry.event_type == CustodyEvent.RECEIVED), None)
    if received is not None and _as_dict(received.details).get("sha256"):
        details = _as_dict(received.details)
        return received, _recorded(details, sha256=details["sha256"])
    hashed = next((entry for entry in entries if entry.event_type == CustodyEvent.HASHED), None)
    if hashed is not None and _as_dict(_as_dict(hashed.details).get("digests")).get("sha256"):
        details = _as_dict(hashed.details)
        return hashed, _recorded(details, sha256=details["digests"]["sha256"])
    return None


def _recorded(details: dict, *, sha256: str) -> dict:
    recorded = {"sha256": sha256}
    digests = _as_dict(details.get("digests"))
    if "md5" in digests:
        recorded["md5"] = digests["md5"]
    if "size_bytes" in details:
        recorded["size_bytes"] = details["size_bytes"]
    return recorded


def _as_dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _shown(value: object) -> str:
    return "empty" if value in (None, "") else str(value)


def case_ern_findings(*, case: Case, erns: Iterable[str]) -> list[Finding]:
    """A case numbers its items 1, 2, 3… (evidence_counter is the last number given) and never
    deletes one: a number with no item is an item deleted along with its chain of custody."""
    prefix = f"{case.reference}-"
    last = case.evidence_counter
    findings, numbers = [], set()
    for ern in erns:
        suffix = ern.removeprefix(prefix)
        if not ern.startswith(prefix) or not suffix.isdigit():
            findings.append(Finding(ern, f"not an ERN of case {case.reference}", "ern"))
            continue
        number = int(suffix)
        numbers.add(number)
        if not 1 <= number <= last:
            findings.append(Finding(ern, f"beyond the last ERN the case gave out ({_ern(case, last)})", "ern"))
    for number in range(1, last + 1):
        if number not in numbers:
            problem = (
                f"no such item, though the case gave out ERNs up to {_ern(case, last)}: "
                "deleted with its chain of custody"
            )
            findings.append(Finding(_ern(case, number), problem, "ern"))
    return findings


def _ern(case: Case, number: int) -> str:
    return f"{case.reference}-{number:06d}"
