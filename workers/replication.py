"""Making an archived file's copies good in every store: a replica's first copy, or a repair of one that
failed its check. The stores are read and written with no database transaction open
(evidence.services.copies records what happened)."""

from evidence.agents import Agent
from evidence.services.copies import evidence_make_copies_good


def replicate_item(item_id: int, *, agent: Agent) -> str:
    """Copies the item to each store whose copy is not good, from a good copy; returns what became of it.
    A store that fails is recorded on its copy and tried again after a backoff, never raised."""
    report = evidence_make_copies_good(item_id=item_id, agent=agent)
    if report.failed:
        return f"will retry {', '.join(sorted(report.failed))}"
    return f"copied to {', '.join(report.written)}" if report.written else "nothing to do"
