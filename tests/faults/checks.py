"""What the fault tests share: files of known SHA-256, waiting with a bound, and the accounting that
proves, by counting, that nothing was lost, repeated or damaged."""

import contextlib
import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import requests
from django.conf import settings
from django.core.files import File
from django.core.management import call_command

from evidence.models import Case, CustodyEntry, EvidenceItem
from evidence.selectors.custody import custody_first_broken_link
from evidence.services.intake import evidence_receive
from tests.config.servers import gunicorn
from tests.workers.worker import worker_environment

T = TypeVar("T")

# Short timings for a worker under test, so a scenario takes seconds; docs/reliability.md says what
# they are in production (SLID_LEASE_SECONDS 60, SLID_SWEEP_INTERVAL_SECONDS 15, …).
FAST_RECOVERY = {
    "SLID_LEASE_SECONDS": "4",
    "SLID_SWEEP_INTERVAL_SECONDS": "1",
    "SLID_OUTBOX_INTERVAL_SECONDS": "1",
    "SLID_RETRY_BASE_SECONDS": "1",
    "SLID_BROKER_VISIBILITY_SECONDS": "10",
    "SLID_BROKER_RESTORE_SECONDS": "1",
}
FINAL = {"archived", "duplicate", "corrupt", "failed"}
# The steps every archived item records exactly once, however often its worker died.
ONCE = ("received", "hashed", "identified", "described", "archived", "verified")
BLOCK = 4 * 1024 * 1024


def store_location(name: str) -> Path:
    return Path(settings.STORAGES[name]["OPTIONS"]["location"])


def write_random_file(path: Path, size: int) -> str:
    """A file of ``size`` random bytes; returns its SHA-256, taken here with hashlib."""
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        written = 0
        while written < size:
            block = os.urandom(min(BLOCK, size - written))
            handle.write(block)
            digest.update(block)
            written += len(block)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def receive(user, case, path: Path) -> EvidenceItem:
    """Receives a file from disk the way the bulk intake does (no multipart body in memory)."""
    with path.open("rb") as handle:
        return evidence_receive(actor=user, case=case, upload=File(handle, name=path.name), original_filename=path.name)


def wait_until(condition: Callable[[], T], *, timeout: float, what: str, interval: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def status_counts(item_ids: Iterable[int]) -> Counter:
    return Counter(EvidenceItem.objects.filter(pk__in=list(item_ids)).values_list("status", flat=True))


def seconds_until_final(item_ids: list[int], *, since: float, timeout: float) -> float:
    """Waits until every item is in a final state; returns the seconds from ``since`` (a monotonic
    time: when the service came back). Fails with the count of each status if it takes longer."""
    deadline = since + timeout
    while True:
        counts = status_counts(item_ids)
        if sum(counts[status] for status in FINAL) == len(item_ids):
            return time.monotonic() - since
        if time.monotonic() > deadline:
            raise AssertionError(f"{dict(counts)} of {len(item_ids)} items {timeout:.0f} s after the service came back")
        time.sleep(0.2)


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.is_dir() else []


def archive_keys() -> list[Path]:
    """The archived copies: files at a key (a copy being written has a hidden temporary name)."""
    return [path for path in files_under(store_location("archive")) if not path.name.startswith(".")]


def archive_temporaries() -> list[Path]:
    return [path for path in files_under(store_location("archive")) if path.name.startswith(".")]


def account_for(item_ids: list[int], *, expected_status: str = "archived") -> dict[str, int]:
    """Proves, by counting, that every item is there and in ``expected_status``; that its custody
    holds each step exactly once, plus one ``failed`` warning per failed attempt and nothing else;
    that every chain verifies; that the archive holds one file per SHA-256, each matching it (hashed
    here); and that no intake copy is left. Returns the counts, for the figures."""
    items = list(EvidenceItem.objects.filter(pk__in=item_ids).order_by("pk"))
    assert [item.pk for item in items] == sorted(item_ids), "an item is missing"
    assert Counter(item.status for item in items) == {expected_status: len(item_ids)}, [
        (item.ern, item.status, item.status_reason) for item in items if item.status != expected_status
    ]

    failed_attempts = 0
    for item in items:
        entries = list(CustodyEntry.objects.filter(evidence=item).order_by("sequence"))
        events = Counter(entry.event_type for entry in entries)
        assert {event: events[event] for event in ONCE} == dict.fromkeys(ONCE, 1), (item.ern, dict(events))
        assert set(events) <= {*ONCE, "failed"}, (item.ern, dict(events))
        failures = [entry for entry in entries if entry.event_type == "failed"]
        assert all(entry.outcome == "warning" and entry.details["final"] is False for entry in failures), item.ern
        # A failed attempt that reported back wrote its entry; a killed one could not: never more.
        assert len(failures) <= item.attempts - 1, (item.ern, item.attempts, len(failures))
        failed_attempts += len(failures)
        assert custody_first_broken_link(item=item) is None, item.ern
    call_command("verify_custody")  # raises CommandError on any finding, over the whole test database

    keys = archive_keys()
    assert sorted(path.name for path in keys) == sorted(item.sha256 for item in items)
    for path in keys:
        assert sha256_of(path) == path.name, f"{path} does not match its SHA-256"
    for item in items:
        assert (store_location("archive") / item.archive_key).is_file(), item.ern

    wait_until(
        lambda: not EvidenceItem.objects.filter(pk__in=item_ids).exclude(intake_key="").exists(),
        timeout=30,
        what="every intake copy removed",
    )
    assert files_under(store_location("intake")) == []
    return {
        "items": len(items),
        "attempts": sum(item.attempts for item in items),
        "failed_attempt_entries": failed_attempts,
        "archive_files": len(keys),
        "archive_temporaries_left": len(archive_temporaries()),
    }


def post_file(server: str, token: str, case: Case, content: bytes, name: str) -> requests.Response:
    return requests.post(
        f"{server}/api/v1/evidence/",
        headers={"Authorization": f"Token {token}"},
        data={"case": case.pk},
        files={"file": (name, content)},
        timeout=60,
    )


def assert_refused_in_json(response: requests.Response) -> None:
    assert 400 <= response.status_code < 600, response.status_code
    assert response.headers["Content-Type"] == "application/json", response.text[:300]
    assert response.json()["detail"]


@contextlib.contextmanager
def api_server(tmp_path: Path, broker_url: str) -> Iterator[str]:
    """The API served by gunicorn, as in production, on the test database and the test's broker."""
    environment = worker_environment(CELERY_BROKER_URL=broker_url, SLID_WEB_WORKERS="1", SLID_WEB_THREADS="2")
    with gunicorn(tmp_path / "gunicorn.log", environment=environment) as server:
        wait_until(lambda: requests.get(f"{server}/api/v1/health/", timeout=30).status_code, timeout=60, what="API")
        yield server
