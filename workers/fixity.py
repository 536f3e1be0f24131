"""Fixity: re-hashing archived copies, the ones checked longest ago first."""

from evidence.agents import Agent
from evidence.selectors.items import evidence_fixity_due
from evidence.services.fixity import evidence_record_fixity
from workers.archive import hash_archived


def fixity_check_due(*, agent: Agent, limit: int) -> tuple[int, int]:
    """Re-hashes the archived copies checked longest ago; returns (checked, failed)."""
    checked = failed = 0
    for item in evidence_fixity_due(limit=limit):
        try:
            sha256, error = hash_archived(item.archive_key), ""
        except OSError as problem:
            sha256, error = None, f"The archived copy could not be read: {problem}"
        checked += 1
        if not evidence_record_fixity(item=item, agent=agent, sha256=sha256, error=error):
            failed += 1
    return checked, failed
