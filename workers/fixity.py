"""Fixity: re-hashing archived copies, the ones checked longest ago first."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from evidence.agents import Agent
from evidence.models import EvidenceItem
from evidence.selectors.items import evidence_fixity_due
from evidence.services.fixity import evidence_record_fixity
from workers.archive import hash_archived

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FixityFailure:
    ern: str
    reason: str


@dataclass
class FixityReport:
    checked: int = 0
    failures: list[FixityFailure] = field(default_factory=list)


def fixity_check_due(*, agent: Agent, limit: int) -> tuple[int, int]:
    """Re-hashes the archived copies checked longest ago; returns (checked, failed)."""
    report = fixity_check(evidence_fixity_due(limit=limit), agent=agent)
    return report.checked, len(report.failures)


def fixity_check(items: Iterable[EvidenceItem], *, agent: Agent) -> FixityReport:
    """Re-hashes each item's archived copy and records the check in its custody. One copy that
    cannot be read, for whatever reason, is a failed check of that item; the run goes on."""
    report = FixityReport()
    for item in items:
        report.checked += 1
        try:
            sha256, error = hash_archived(item.archive_key), ""
        except Exception as problem:
            # Any storage error: OSError locally, botocore's errors on S3, a missing or refused object…
            sha256, error = None, f"The archived copy could not be read: {type(problem).__name__}: {problem}"
        try:
            held = evidence_record_fixity(item=item, agent=agent, sha256=sha256, error=error)
        except Exception as problem:
            # Not even recorded (the database?): reported here, and the item stays at the front of the queue.
            logger.exception("Could not record the fixity check of %s", item.ern)
            report.failures.append(FixityFailure(item.ern, f"Not recorded: {type(problem).__name__}: {problem}"))
            continue
        if not held:
            reason = error or f"The archived copy's SHA-256 is {sha256}, expected {item.sha256}"
            report.failures.append(FixityFailure(item.ern, reason))
    return report
