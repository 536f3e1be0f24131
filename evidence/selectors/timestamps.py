"""Reads of RFC 3161 timestamps: an item's tokens, and whether it is timestamped and, if not, why."""

from enum import StrEnum

from django.db.models import QuerySet

from evidence.models import EvidenceItem, EvidenceStatus, TimestampToken
from evidence.services.timestamps import timestamps_not_configured_reason


class TimestampState(StrEnum):
    TIMESTAMPED = "timestamped"  # a verified token says the bytes existed at its time
    WAITING = "waiting"  # archived, asked for (or to be asked by the sweep), no verified token yet
    NOT_CONFIGURED = "not_configured"  # no authority can be asked: the reason says what is missing
    NOT_ARCHIVED = "not_archived"  # only archived files are timestamped


def timestamp_tokens_shown() -> QuerySet[TimestampToken]:
    """Tokens as an item's page lists them (without their bytes)."""
    return TimestampToken.objects.only("id", "evidence_id", "tsa_url", "gen_time", "serial", "verified").order_by(
        "gen_time", "id"
    )


def evidence_timestamp_state(*, item: EvidenceItem) -> tuple[TimestampState, str]:
    """The item's timestamp state and, unless timestamped, why not, in plain words."""
    if item.timestamped_at is not None:
        return TimestampState.TIMESTAMPED, ""
    if not item.archive_key:
        if item.status in (EvidenceStatus.RECEIVED, EvidenceStatus.PROCESSING):
            return TimestampState.NOT_ARCHIVED, "Not archived yet: the file is timestamped once it is archived."
        return TimestampState.NOT_ARCHIVED, f"The file was not archived ({item.status}), so it is not timestamped."
    not_configured = timestamps_not_configured_reason()
    if not_configured:
        return TimestampState.NOT_CONFIGURED, not_configured
    if not item.timestamp_attempts:
        return TimestampState.WAITING, "A timestamp has been asked for; no answer is recorded yet."
    when = f" The next try is due at {item.timestamp_due_at.isoformat()}." if item.timestamp_due_at else ""
    tries = "request" if item.timestamp_attempts == 1 else "requests"
    return (
        TimestampState.WAITING,
        f"{item.timestamp_attempts} {tries} gave no verified token. The last: {item.timestamp_error}.{when}",
    )
