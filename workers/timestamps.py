"""An evidence file's RFC 3161 timestamp: the worker asks the TSAs about the item's SHA-256 (no database
transaction is open while it waits for them) and records what they answered."""

import logging

from evidence.agents import Agent
from evidence.selectors.timestamps import evidence_timestamp_digest
from evidence.services.timestamps import TimestampsNotConfigured, evidence_record_timestamps, timestamp_digest
from evidence.timestamping import Refusal, StampResult

logger = logging.getLogger(__name__)


def timestamp_item(item_id: int, *, agent: Agent) -> str:
    """Asks for the item's timestamp unless it has one or is not archived; returns what became of it.
    A TSA that fails is recorded on the item (its next try is the sweep's), never raised."""
    sha256 = evidence_timestamp_digest(item_id=item_id)
    if sha256 is None:
        return "nothing to do"
    try:
        result = timestamp_digest(sha256)
    except TimestampsNotConfigured as reason:
        # Settings changed under a queued request (or the roots file went): said on the item and in health.
        result = StampResult(refusals=[Refusal(tsa_url="(settings)", reason=str(reason))])
    timestamped = evidence_record_timestamps(item_id=item_id, result=result, agent=agent)
    return "timestamped" if timestamped else "will retry"
