"""Fixity: re-hashing every copy of archived files (the primary's and the replicas'), the items checked
longest ago first, and repairing a copy that fails from a good one (evidence.services.copies)."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from evidence.agents import Agent
from evidence.models import EvidenceItem
from evidence.selectors.items import evidence_fixity_due
from evidence.services.copies import evidence_check_copies

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FixityFailure:
    ern: str
    reason: str


@dataclass
class FixityReport:
    checked: int = 0
    failures: list[FixityFailure] = field(default_factory=list)
    repaired: int = 0


def fixity_check_due(*, agent: Agent, limit: int) -> tuple[int, int]:
    """Re-hashes the copies of the items checked longest ago; returns (items checked, items with a copy that
    failed)."""
    report = fixity_check(evidence_fixity_due(limit=limit), agent=agent)
    return report.checked, len(report.failures)


def fixity_check(items: Iterable[EvidenceItem], *, agent: Agent, repair: bool = True) -> FixityReport:
    """Re-hashes each item's copies, records each check in its custody, and (with ``repair``) makes a copy
    that failed good again from a good copy. A copy that cannot be read, for whatever reason, is a failed
    check of that copy; the run goes on."""
    report = FixityReport()
    for item in items:
        report.checked += 1
        try:
            check = evidence_check_copies(item=item, agent=agent, repair=repair)
        except Exception as problem:
            # Not even recorded (the database?): reported here, and the item stays at the front of the queue.
            logger.exception("Could not record the fixity check of %s", item.ern)
            report.failures.append(FixityFailure(item.ern, f"Not recorded: {type(problem).__name__}: {problem}"))
            continue
        report.repaired += len(check.repaired)
        if check.failed:
            reasons = [
                f"{store}: {reason}" + (" (repaired from a good copy)" if store in check.repaired else "")
                for store, reason in check.failed.items()
            ]
            report.failures.append(FixityFailure(item.ern, "; ".join(reasons)))
    return report
