"""RFC 3161 timestamps end to end: uploads processed by a real Celery worker configured with two local
time-stamping authorities (tests/tsa.py: `openssl ts -reply` over HTTP), which the tests take down, make
answer garbage or sign with a certificate no one trusts. The token's time and serial are read back with
`openssl ts -reply -text`, and its signature checked with `openssl ts -verify`."""

import hashlib
import re
import time
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from evidence.models import EvidenceItem, Role, TimestampToken
from evidence.services.timestamps import timestamps_sweep
from tests.factories import UserFactory
from tests.tsa import LocalTSA, openssl_verifies, token_text
from tests.workers.helpers import archived_item
from tests.workers.worker import RUNNING, Worker, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)

DONE = {"archived", "duplicate", "failed", "corrupt"}


@pytest.fixture(scope="module")
def tsas(tsa_signers):
    first, second = LocalTSA(*tsa_signers), LocalTSA(*tsa_signers)
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture(scope="module")
def tsa_worker(tsas, tsa_signers, django_db_setup, django_db_blocker, tmp_path_factory):
    """A worker that asks the two TSAs in order, with a backoff long enough that only the sweep retries.
    Workers other tests started (which know no TSA) are paused meanwhile, so this one takes every task."""
    paused = [worker for worker in list(RUNNING) if worker.alive]
    for worker in paused:
        worker.pause()
    with django_db_blocker.unblock():
        worker = Worker(
            tmp_path_factory.mktemp("tsa-worker") / "worker.log",
            SLID_TSA_URLS=",".join(tsa.url for tsa in tsas),
            SLID_TSA_ROOTS=str(tsa_signers[0].ca_pem),
            SLID_TSA_RETRY_BASE_SECONDS="3600",
        )
    yield worker
    worker.stop()
    for other in paused:
        other.resume()


@pytest.fixture(autouse=True)
def configured(settings, tsas, tsa_signers, tsa_worker):
    """The test process knows the same TSAs (the sweep and the API read them); both answer properly."""
    settings.SLID_TSA_URLS = [tsa.url for tsa in tsas]
    settings.SLID_TSA_ROOTS = [str(tsa_signers[0].ca_pem)]
    for tsa in tsas:
        tsa.mode = "ok"
        if tsa._server is None:
            tsa.start()
    return tsas


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


def uploaded(upload, user, case, content: bytes) -> EvidenceItem:
    response = upload(user, case, content, name="statement.pdf")
    assert response.status_code == 201, response.content
    item = wait_for_status(EvidenceItem.objects.get(pk=response.json()["id"]), DONE)
    assert item.status == "archived", item.status_reason
    return item


def wait_until(condition, item: EvidenceItem, timeout: float = 30) -> EvidenceItem:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item.refresh_from_db()
        if condition(item):
            return item
        time.sleep(0.2)
    raise TimeoutError(f"{item.ern}: attempts {item.timestamp_attempts}, error {item.timestamp_error!r}")


def timestamped(item):
    return item.timestamped_at is not None


def tried(times: int):
    return lambda item: item.timestamp_attempts >= times


def sweep_now(item: EvidenceItem) -> None:
    """Time passes: the item's next try is due, and the sweep sends it."""
    EvidenceItem.objects.filter(pk=item.pk).update(timestamp_due_at=timezone.now() - timedelta(seconds=1))
    assert timestamps_sweep() == [item.pk]


def test_an_upload_ends_with_a_verified_timestamp_of_each_authority_whose_time_and_serial_are_the_tokens(
    upload, client_for, case_a, investigator, configured, tsa_signers, tmp_path
):
    first, second = configured
    content = b"%PDF-1.4\n" + bytes(range(256)) * 100

    item = wait_until(timestamped, uploaded(upload, investigator, case_a, content))

    # Two tokens by default (SLID_TSA_TOKENS_WANTED), one of each authority, asked in order.
    tokens = list(TimestampToken.objects.filter(evidence=item).order_by("id"))
    assert [token.tsa_url for token in tokens] == [first.url, second.url]
    expected_body, written_times = [], []
    for token in tokens:
        der = bytes(token.token)
        text = token_text(der, tmp_path)
        serial = int(re.search(r"Serial number: 0x([0-9A-F]+)", text).group(1), 16)
        written = re.search(r"Time stamp: (.+) GMT", text).group(1) + " +0000"
        stamped_at = datetime.strptime(written, "%b %d %H:%M:%S %Y %z")
        imprint = "".join(re.findall(r"- ((?:[0-9a-f]{2}[ -]){15}[0-9a-f]{2})", text))
        assert imprint.replace(" ", "").replace("-", "") == hashlib.sha256(content).hexdigest() == item.sha256
        assert (token.verified, token.serial, token.gen_time) == (True, str(serial), stamped_at)
        assert "Verification: OK" in openssl_verifies(der, item.sha256, tsa_signers[0].ca_pem, tmp_path).stdout
        written_times.append(stamped_at)
        expected_body.append(
            {"tsa": token.tsa_url, "time": stamped_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "serial": str(serial)}
            | {"verified": True}
        )
    assert item.timestamped_at == min(written_times)

    body = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()
    assert sorted(body["timestamps"], key=lambda stamp: stamp["tsa"]) == sorted(expected_body, key=lambda s: s["tsa"])
    assert (body["timestamp_state"], body["timestamp_reason"]) == ("timestamped", "")

    custody = list(item.custody.order_by("sequence"))
    assert [entry.event_type for entry in custody][-2:] == ["timestamped", "timestamped"]
    for entry, token, stamped in zip(custody[-2:], tokens, expected_body, strict=True):
        assert entry.details["serial"] == stamped["serial"]
        assert entry.details["time"] == stamped["time"].replace("Z", ".000000Z")
        assert entry.details["tsa"] == token.tsa_url
        assert entry.details["token_sha256"] == hashlib.sha256(bytes(token.token)).hexdigest()
        assert entry.details["tsa_certificate"]["subject"] == "CN=Slid Test TSA CA TSA,O=Slid tests"
    call_command("verify_custody")  # raises CommandError if a chain does not hold


def test_the_second_authority_is_used_when_the_first_is_down(upload, case_a, investigator, configured):
    first, second = configured
    first.stop()

    item = wait_until(timestamped, uploaded(upload, investigator, case_a, b"second authority"))

    assert [token.tsa_url for token in item.timestamps.all()] == [second.url]
    assert item.timestamp_attempts == 1


def test_with_every_authority_down_the_item_is_archived_and_the_sweep_timestamps_it_once_one_is_back(
    upload, client_for, case_a, investigator, configured
):
    for tsa in configured:
        tsa.stop()

    item = wait_until(tried(1), uploaded(upload, investigator, case_a, b"every authority down"))

    assert item.status == "archived" and item.timestamped_at is None
    assert not item.timestamps.exists()
    assert item.timestamp_error.count("could not be reached") == 2
    body = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()
    assert body["timestamp_state"] == "waiting"
    assert "1 request gave no verified token" in body["timestamp_reason"]
    staff = UserFactory(is_staff=True)
    health = client_for(staff).get("/api/v1/health/").json()["details"]["timestamps"]
    assert (health["waiting"], health["failing"]) == (1, 1)
    assert timestamps_sweep() == []  # its next try is an hour away

    configured[1].start()
    sweep_now(item)

    item = wait_until(timestamped, item)
    assert [token.tsa_url for token in item.timestamps.all()] == [configured[1].url]
    assert item.custody.filter(event_type="timestamped").count() == 1
    assert client_for(staff).get("/api/v1/health/").json()["details"]["timestamps"]["waiting"] == 0


def test_garbage_is_refused_and_nothing_is_stored_until_an_authority_answers_properly(
    upload, case_a, investigator, configured
):
    first, second = configured
    first.mode = second.mode = "garbage"

    item = wait_until(tried(1), uploaded(upload, investigator, case_a, b"garbage answers"))

    assert not item.timestamps.exists()
    assert "is not a timestamp response" in item.timestamp_error
    second.mode = "ok"
    sweep_now(item)
    item = wait_until(timestamped, item)
    assert [token.tsa_url for token in item.timestamps.all()] == [second.url]


def test_an_authority_that_does_not_speak_http_is_a_refusal_and_the_next_one_timestamps_the_item(
    upload, case_a, investigator, configured
):
    first, second = configured
    first.mode = "bad_status_line"  # http.client raises BadStatusLine, which once stopped the task

    item = wait_until(timestamped, uploaded(upload, investigator, case_a, b"not http"))

    assert [token.tsa_url for token in item.timestamps.all()] == [second.url]
    assert item.timestamp_attempts == 1


def test_a_token_signed_by_an_untrusted_authority_is_kept_unverified_and_not_counted(
    upload, client_for, case_a, investigator, configured
):
    first, second = configured
    first.mode = "untrusted"
    second.stop()

    item = wait_until(tried(1), uploaded(upload, investigator, case_a, b"untrusted authority"))

    (refused,) = item.timestamps.all()
    assert (refused.verified, refused.tsa_url) == (False, first.url)
    assert "does not verify" in refused.refusal and "unable to get local issuer certificate" in refused.refusal
    assert not item.custody.filter(event_type="timestamped").exists()
    body = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()
    assert [stamp["verified"] for stamp in body["timestamps"]] == [False]
    assert body["timestamp_state"] == "waiting"

    sweep_now(item)
    item = wait_until(tried(2), item)
    assert item.timestamps.count() == 1  # asked again, refused again: not kept twice

    first.mode = "ok"
    sweep_now(item)
    item = wait_until(timestamped, item)
    assert sorted(token.verified for token in item.timestamps.all()) == [False, True]
    assert item.custody.filter(event_type="timestamped").count() == 1


def test_items_archived_before_timestamps_existed_are_timestamped_by_the_sweep(
    settings, case_a, investigator, configured, tsa_worker
):
    # Archived in this process as before timestamps (nothing asked), while the worker waits.
    settings.SLID_TSA_URLS = []
    tsa_worker.pause()
    try:
        earlier = archived_item(case_a, investigator, b"archived long ago")
    finally:
        tsa_worker.resume()
    settings.SLID_TSA_URLS = [tsa.url for tsa in configured]
    assert (earlier.timestamp_due_at, earlier.timestamp_attempts) == (None, 0)

    assert timestamps_sweep() == [earlier.pk]

    item = wait_until(timestamped, earlier)
    assert sorted((token.tsa_url, token.verified) for token in item.timestamps.all()) == sorted(
        (tsa.url, True) for tsa in configured
    )
