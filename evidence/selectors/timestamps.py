"""Reads of RFC 3161 timestamps: whether any authority can be asked with the settings as they are (and its
trust roots), an item's tokens, the digest of an item still to be timestamped, and whether an item is
timestamped and, if not, why."""

from enum import StrEnum

import cryptography.x509
from django.conf import settings
from django.db.models import QuerySet

from evidence.models import EvidenceItem, EvidenceStatus, TimestampToken
from evidence.timestamping import TrustRootsError, load_roots


class TimestampsNotConfigured(Exception):
    """No Time Stamping Authority can be asked: the message says why, in words an operator can act on."""


class TimestampState(StrEnum):
    TIMESTAMPED = "timestamped"  # a verified token says the bytes existed at its time
    WAITING = "waiting"  # archived, asked for (or to be asked by the sweep), no verified token yet
    NOT_CONFIGURED = "not_configured"  # no authority can be asked: the reason says what is missing
    NOT_ARCHIVED = "not_archived"  # only archived files are timestamped


def timestamps_not_configured_reason() -> str:
    """Why no timestamp can be had with the settings as they are; empty when they can."""
    if not settings.SLID_TSA_URLS:
        return (
            "No time-stamping authority is configured (SLID_TSA_URLS is empty): nobody outside Slid vouches "
            "for when this file existed; only Slid's own clock records when it arrived."
        )
    if not settings.SLID_TSA_ROOTS:
        return "SLID_TSA_URLS is set but SLID_TSA_ROOTS names no trust root, so no token could be verified."
    try:
        load_roots(tuple(settings.SLID_TSA_ROOTS))
    except TrustRootsError as error:
        return str(error)
    return ""


def configured_roots() -> tuple[cryptography.x509.Certificate, ...]:
    """The certificates tokens must chain to (SLID_TSA_ROOTS); raises TimestampsNotConfigured saying what is
    missing when no authority can be asked."""
    reason = timestamps_not_configured_reason()
    if reason:
        raise TimestampsNotConfigured(reason)
    return load_roots(tuple(settings.SLID_TSA_ROOTS))


def timestamp_tokens_wanted() -> int:
    """How many verified tokens a digest is given (SLID_TSA_TOKENS_WANTED, several for when an authority
    vanishes in the years a case takes), at most one per configured authority."""
    return max(1, min(settings.SLID_TSA_TOKENS_WANTED, len(settings.SLID_TSA_URLS)))


def evidence_timestamp_digest(*, item_id: int) -> str | None:
    """The SHA-256 of the item, if it is archived and has no verified timestamp yet; None otherwise."""
    item = EvidenceItem.objects.filter(pk=item_id).values("sha256", "archive_key", "timestamped_at").first()
    if item is None or not item["archive_key"] or item["timestamped_at"] is not None:
        return None
    return item["sha256"]


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
