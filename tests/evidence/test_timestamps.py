"""RFC 3161 timestamps without a worker: asking for a digest (the interface checkpoints use), what is refused
on arrival (an authority that is not HTTP or too slow, a signer that may not stamp time, another digest or
nonce than asked), the state an item shows with no authority configured, the backoff of failed requests,
and the tokens kept as received. The authorities are real HTTP servers answering with `openssl ts -reply`
(tests/tsa.py)."""

import hashlib
import time
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from evidence.agents import Agent
from evidence.models import Role, TimestampToken
from evidence.services.timestamps import TimestampsNotConfigured, timestamp_digest, timestamps_sweep
from evidence.timestamping import request_timestamp, verify_token
from tests.factories import UserFactory
from tests.tsa import LocalTSA, openssl_verifies, token_text
from tests.workers.helpers import archived_item
from workers.timestamps import timestamp_item

CLOSED_PORT = "http://127.0.0.1:9/tsr"


@pytest.fixture
def configured(settings, local_tsa, tsa_signers):
    settings.SLID_TSA_URLS = [local_tsa.url]
    settings.SLID_TSA_ROOTS = [str(tsa_signers[0].ca_pem)]
    settings.SLID_TSA_RETRY_BASE_SECONDS = 60
    return local_tsa


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


@pytest.fixture
def second_tsa(tsa_signers):
    tsa = LocalTSA(*tsa_signers)
    yield tsa
    tsa.stop()


def ask(urls, tsa_signers, *, timeout: float = 10.0, wanted: int = 1):
    """request_timestamp of a fixed digest, the trusted test CA as the only root."""
    roots = [_certificate(tsa_signers[0].ca_pem)]
    return request_timestamp(DIGEST, tsa_urls=urls, roots=roots, timeout=timeout, wanted=wanted)


DIGEST = hashlib.sha256(b"the file asked about").hexdigest()


def test_any_digest_gets_a_token_that_openssl_verifies(configured, tsa_signers, tmp_path):
    digest = hashlib.sha256(b"a checkpoint's Merkle root").hexdigest()

    result = timestamp_digest(digest)

    (token,) = result.tokens
    assert result.refusals == []
    assert token.tsa_url == configured.url
    assert token.sha256 == digest
    text = token_text(token.der, tmp_path)
    assert f"Serial number: 0x{token.serial:02X}" in text  # openssl writes hex digits in capitals
    assert token.gen_time.strftime("Time stamp: %b %d %H:%M:%S %Y GMT") in text.replace("  ", " 0")
    assert "Verification: OK" in openssl_verifies(token.der, digest, tsa_signers[0].ca_pem, tmp_path).stdout


def test_a_stored_token_does_not_verify_for_another_digest(configured, tsa_signers):
    digest = hashlib.sha256(b"one").hexdigest()
    (token,) = timestamp_digest(digest).tokens

    with pytest.raises(Exception, match="Mismatch between messages"):
        verify_token(token.der, hashlib.sha256(b"two").hexdigest(), roots=[_certificate(tsa_signers[0].ca_pem)])


def test_the_second_authority_answers_when_the_first_is_down(settings, configured):
    settings.SLID_TSA_URLS = [CLOSED_PORT, configured.url]

    result = timestamp_digest("ab" * 32)

    assert [token.tsa_url for token in result.tokens] == [configured.url]
    assert [refusal.tsa_url for refusal in result.refusals] == [CLOSED_PORT]
    assert "could not be reached" in result.refusals[0].reason


def test_an_authority_answering_a_bad_status_line_is_refused_and_the_next_one_is_asked(
    local_tsa, second_tsa, tsa_signers
):
    local_tsa.mode = "bad_status_line"

    result = ask([local_tsa.url, second_tsa.url], tsa_signers)

    assert [token.tsa_url for token in result.tokens] == [second_tsa.url]
    (refusal,) = result.refusals
    assert refusal.tsa_url == local_tsa.url
    assert refusal.reason == "answered something that is not HTTP: BadStatusLine: SSH-2.0-OpenSSH_9.2"


def test_an_authority_answering_byte_by_byte_is_given_up_at_its_deadline(local_tsa, second_tsa, tsa_signers):
    local_tsa.mode = "slow"  # a byte every 0.2 s: no single read waits as long as the timeout
    started = time.monotonic()

    result = ask([local_tsa.url, second_tsa.url], tsa_signers, timeout=1.5)

    assert time.monotonic() - started < 5  # 1.5 s for the slow one, the rest for the second
    assert [token.tsa_url for token in result.tokens] == [second_tsa.url]
    assert [refusal.reason for refusal in result.refusals] == ["gave no complete answer within 1.5 s"]


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        # A signer of the trusted CA that may not stamp time fails the chain's purpose check (OpenSSL's
        # timestamp-signing purpose wants the timeStamping usage, and critical) before rfc3161-client's own.
        ("no_eku", "Verify error: unsuitable certificate purpose"),
        ("eku_not_critical", "Verify error: unsuitable certificate purpose"),
        ("other_digest", "Mismatch between messages"),
        ("wrong_nonce", "Nonce mismatch"),
    ],
)
def test_a_token_that_does_not_hold_is_refused_and_kept_for_the_record(local_tsa, tsa_signers, mode, says):
    local_tsa.mode = mode

    result = ask([local_tsa.url], tsa_signers)

    assert result.tokens == []
    (refusal,) = result.refusals
    assert refusal.reason.startswith("answered a token that does not verify: ")
    assert says in refusal.reason
    assert refusal.token is not None  # it parsed: the service keeps it, unverified, with the reason


def test_the_same_token_passes_when_the_authority_signs_properly(local_tsa, tsa_signers):
    # The counterpart of the refusals above: the modes, not the digest or the roots, made them fail.
    result = ask([local_tsa.url], tsa_signers)

    assert [token.sha256 for token in result.tokens] == [DIGEST]
    assert result.refusals == []


def test_two_tokens_are_asked_for_by_default_each_with_the_chain_it_was_verified_with(
    settings, configured, second_tsa, tsa_signers
):
    settings.SLID_TSA_URLS = [CLOSED_PORT, configured.url, second_tsa.url]
    root = tsa_signers[0].ca_pem.read_bytes()
    signer = tsa_signers[0].cert_pem.read_bytes()

    result = timestamp_digest(DIGEST)

    assert settings.SLID_TSA_TOKENS_WANTED == 2
    assert [token.tsa_url for token in result.tokens] == [configured.url, second_tsa.url]
    assert [refusal.tsa_url for refusal in result.refusals] == [CLOSED_PORT]
    for token in result.tokens:
        assert [_certificate_pem(der) for der in token.chain] == [signer, root]


def test_no_more_tokens_are_wanted_than_there_are_authorities(settings, configured):
    settings.SLID_TSA_TOKENS_WANTED = 3

    result = timestamp_digest(DIGEST)

    assert [token.tsa_url for token in result.tokens] == [configured.url]
    assert result.refusals == []


def test_the_timestamp_task_has_time_limits_of_its_own():
    from workers.tasks import timestamp_evidence

    # The test settings configure no TSA: one TSA's 10 s (SLID_TSA_TIMEOUT_SECONDS), and a minute for the rest.
    assert (timestamp_evidence.soft_time_limit, timestamp_evidence.time_limit) == (70, 100)


@pytest.mark.parametrize(
    ("urls", "roots", "says"),
    [([], [], "SLID_TSA_URLS is empty"), (["http://127.0.0.1:9/"], [], "SLID_TSA_ROOTS names no trust root")],
)
def test_asking_without_an_authority_or_a_root_says_what_is_missing(settings, urls, roots, says):
    settings.SLID_TSA_URLS, settings.SLID_TSA_ROOTS = urls, roots

    with pytest.raises(TimestampsNotConfigured, match=says):
        timestamp_digest("00" * 32)


@pytest.mark.django_db
def test_with_no_authority_an_item_says_it_is_not_timestamped_and_why(settings, case_a, investigator, client_for):
    settings.SLID_TSA_URLS = []
    item = archived_item(case_a, investigator, b"a photo of the crossing")

    body = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()

    assert item.status == "archived"
    assert body["timestamps"] == []
    assert body["timestamp_state"] == "not_configured"
    assert "No time-stamping authority is configured (SLID_TSA_URLS is empty)" in body["timestamp_reason"]
    assert timestamps_sweep() == []


@pytest.mark.django_db
def test_an_item_not_yet_archived_says_so(settings, case_a, investigator, client_for, upload):
    settings.SLID_TSA_URLS = []

    body = upload(investigator, case_a, b"just received").json()

    assert (body["status"], body["timestamp_state"]) == ("received", "not_archived")
    assert "once it is archived" in body["timestamp_reason"]


@pytest.mark.django_db
def test_health_counts_the_items_waiting_and_failing_for_staff(settings, configured, case_a, investigator, client_for):
    settings.SLID_TSA_URLS = []
    waiting = [archived_item(case_a, investigator, f"file {n}".encode()) for n in range(3)]
    settings.SLID_TSA_URLS = [CLOSED_PORT]
    timestamp_item(waiting[0].pk, agent=Agent.for_worker("test"))
    staff = UserFactory(is_staff=True)
    case_a.memberships.create(user=staff, role=Role.INVESTIGATOR)

    body = client_for(staff).get("/api/v1/health/").json()

    timestamps = body["details"]["timestamps"]
    assert body["status"] == "ok"  # archiving goes on: no timestamp yet is not a fault of the service
    assert (timestamps["configured"], timestamps["waiting"], timestamps["failing"]) == (True, 3, 1)
    assert timestamps["erns"] == [waiting[0].ern]
    assert "127.0.0.1:9/tsr: could not be reached" in timestamps["last_error"]


@pytest.mark.django_db
def test_each_failed_request_waits_twice_as_long_and_the_sweep_skips_it_until_then(
    settings, configured, case_a, investigator
):
    settings.SLID_TSA_URLS = []
    item = archived_item(case_a, investigator, b"a statement")
    settings.SLID_TSA_URLS = [CLOSED_PORT]
    waits = []
    for _ in range(3):
        before = timezone.now()
        assert timestamp_item(item.pk, agent=Agent.for_worker("test")) == "will retry"
        item.refresh_from_db()
        waits.append(round((item.timestamp_due_at - before).total_seconds() / 60))

    assert waits == [1, 2, 4]  # SLID_TSA_RETRY_BASE_SECONDS = 60, doubling
    assert item.timestamp_attempts == 3
    assert timestamps_sweep() == []  # not due yet
    item.__class__.objects.filter(pk=item.pk).update(timestamp_due_at=timezone.now() - timedelta(seconds=1))
    assert timestamps_sweep() == [item.pk]
    assert timestamps_sweep() == []  # on its way: not sent twice


@pytest.mark.django_db
def test_an_item_keeps_a_token_of_each_of_two_authorities_with_the_chain_that_verified_it(
    settings, configured, second_tsa, tsa_signers, case_a, investigator, tmp_path
):
    settings.SLID_TSA_URLS = []
    item = archived_item(case_a, investigator, b"a map of the shelling")
    settings.SLID_TSA_URLS = [configured.url, second_tsa.url]

    assert timestamp_item(item.pk, agent=Agent.for_worker("test")) == "timestamped"

    tokens = list(TimestampToken.objects.filter(evidence=item).order_by("id"))
    assert [token.tsa_url for token in tokens] == [configured.url, second_tsa.url]
    expected_chain = (tsa_signers[0].cert_pem.read_bytes() + tsa_signers[0].ca_pem.read_bytes()).decode()
    for token in tokens:
        assert token.verified and token.chain == expected_chain
        # The stored chain is all a court needs beside the token: openssl checks it with that file alone.
        (tmp_path / "chain.pem").write_text(token.chain)
        checked = openssl_verifies(bytes(token.token), item.sha256, tmp_path / "chain.pem", tmp_path)
        assert "Verification: OK" in checked.stdout
    entries = item.custody.filter(event_type="timestamped").order_by("sequence")
    assert [entry.details["tsa"] for entry in entries] == [configured.url, second_tsa.url]
    item.refresh_from_db()
    assert item.timestamped_at == min(token.gen_time for token in tokens)


@pytest.mark.django_db
def test_a_token_once_stored_cannot_be_changed_or_deleted(settings, configured, case_a, investigator):
    settings.SLID_TSA_URLS = []
    item = archived_item(case_a, investigator, b"a video")
    settings.SLID_TSA_URLS = [configured.url]
    assert timestamp_item(item.pk, agent=Agent.for_worker("test")) == "timestamped"
    token = TimestampToken.objects.get(evidence=item)

    for statement in ("UPDATE evidence_timestamptoken SET serial = '1'", "DELETE FROM evidence_timestamptoken"):
        with pytest.raises(DatabaseError, match="tokens are kept as received"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement + " WHERE id = %s", [token.pk])


def _certificate(path):
    from cryptography import x509

    return x509.load_pem_x509_certificate(path.read_bytes())


def _certificate_pem(der: bytes) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)
