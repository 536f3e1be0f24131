import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

import config
from api import health
from evidence.agents import Agent
from evidence.models import ApiToken, AuditEntry, OutboxTask, Role
from evidence.services.fixity import evidence_record_fixity
from tests.factories import UserFactory
from tests.redis_server import RedisServer
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_public_answer():
    """The public answer is kept for a moment; each test starts (and leaves) without one."""
    health.public_answers.clear()
    yield
    health.public_answers.clear()


class SilentBroker:
    """A broker that takes connections and never answers (a hung Redis, or a host whose answers are
    lost on the way), counting the connections made to it."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.url = f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.connections.append(self.listener.accept()[0])
            except OSError:
                return  # closed

    def close(self) -> None:
        self.listener.close()
        for accepted in self.connections:
            accepted.close()


@pytest.fixture
def silent_broker():
    broker = SilentBroker()
    yield broker
    broker.close()


PUBLIC = {"status", "database", "broker", "storage", "version"}


@pytest.fixture
def staff(case_a):
    user = UserFactory(username="operator", is_staff=True)
    case_a.memberships.create(user=user, role=Role.INVESTIGATOR)
    return user


@pytest.fixture
def failed_fixity(case_a, case_b, member_of):
    """An archived copy in case A and one in case B that failed their last fixity check."""
    items = []
    for case in (case_a, case_b):
        item = archived_item(case, member_of(case, Role.INVESTIGATOR), f"{case.reference} photo".encode())
        evidence_record_fixity(item=item, agent=Agent.for_worker("fixity"), sha256="0" * 64, error="")
        items.append(item)
    return items


def files_under(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*")) if root.exists() else []


def test_anyone_gets_a_liveness_answer_of_ok_or_error_for_each_part(api):
    response = api.get("/api/v1/health/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "database": "ok", "broker": "ok", "storage": "ok", "version": config.__version__,
    }  # fmt: skip


def test_the_public_answer_names_no_failed_item_and_stays_200(api, failed_fixity):
    response = api.get("/api/v1/health/")

    assert response.status_code == 200
    assert set(response.json()) == PUBLIC
    assert not any(item.ern in response.content.decode() for item in failed_fixity)


def test_asking_writes_nothing(api, client_for, staff):
    files_root = Path(settings.STORAGES["intake"]["OPTIONS"]["location"]).parent
    before = files_under(files_root)
    rows = {model: model.objects.count() for model in (AuditEntry, OutboxTask)}

    for client in (api, client_for(staff)):
        assert client.get("/api/v1/health/").status_code == 200

    assert files_under(files_root) == before
    assert {model: model.objects.count() for model in (AuditEntry, OutboxTask)} == rows


def test_staff_see_the_postgis_version_and_the_details(client_for, staff):
    from config.celery import app

    with app.connection_for_write() as connection:  # left by earlier tests' uploads, with no worker to take them
        connection.default_channel.queue_purge(app.conf.task_default_queue)
    body = client_for(staff).get("/api/v1/health/").json()

    assert body["postgis"][0].isdigit() and "." in body["postgis"]
    assert body["fixity"] == "ok"
    assert body["details"] == {
        "fixity_failures": {"count": 0, "erns": []},
        "queue": {
            "outbox": 0, "outbox_due": 0, "broker": 0, "evidence_received": 0, "evidence_processing": 0,
            "exports_waiting": 0,
        },
        "stuck": {"evidence": 0, "exports": 0, "erns": []},
        "timestamps": {
            "configured": False, "waiting": 0, "failing": 0, "last_error": "", "erns": [],
            "reason": "No time-stamping authority is configured (SLID_TSA_URLS is empty): nobody outside Slid "
            "vouches for when this file existed; only Slid's own clock records when it arrived.",
        },
        "copies": {"min_copies": 1, "stores": {"archive": {}}, "below_min": 0, "erns": [], "reachable": {}},
        "checkpoints": {
            "latest": None, "latest_at": None, "waiting_for_token": 0, "last_refusal": "", "anomalies": 0,
            "last_anomaly": "", "alarm": False,
        },
    }  # fmt: skip


def test_staff_see_every_failed_fixity_check_counted_but_only_the_erns_of_their_cases(client_for, staff, failed_fixity):
    response = client_for(staff).get("/api/v1/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["fixity"] == "error: 2 archived copies failed the last fixity check"
    assert body["details"]["fixity_failures"] == {"count": 2, "erns": ["UA-2022-BUCHA-000001"]}


def test_superusers_see_the_erns_of_every_case(client_for, failed_fixity):
    superuser = UserFactory(is_staff=True, is_superuser=True)

    body = client_for(superuser).get("/api/v1/health/").json()

    assert body["details"]["fixity_failures"] == {
        "count": 2, "erns": ["UA-2022-BUCHA-000001", "UA-2022-IZIUM-000001"]
    }  # fmt: skip


def test_work_waiting_and_stuck_is_counted_for_staff(client_for, staff, case_a, case_b, upload, member_of, settings):
    upload(member_of(case_a, Role.INVESTIGATOR), case_a, b"waiting in case A")
    upload(member_of(case_b, Role.INVESTIGATOR), case_b, b"waiting in case B")
    settings.SLID_RECEIVED_STALE_SECONDS = 0  # received, unclaimed and past the deadline: what the sweep resends

    details = client_for(staff).get("/api/v1/health/").json()["details"]

    assert details["queue"] | {"broker": 0} == {
        "outbox": 2, "outbox_due": 2, "broker": 0, "evidence_received": 2, "evidence_processing": 0,
        "exports_waiting": 0,
    }  # fmt: skip
    assert details["stuck"] == {"evidence": 2, "exports": 0, "erns": ["UA-2022-BUCHA-000001"]}


@pytest.mark.parametrize("role", [Role.LEAD, Role.INVESTIGATOR, Role.ANALYST, Role.LEGAL])
def test_members_who_are_not_staff_get_the_public_answer(client_for, case_a, member_of, failed_fixity, role):
    response = client_for(member_of(case_a, role)).get("/api/v1/health/")

    assert response.status_code == 200
    assert set(response.json()) == PUBLIC


def test_health_needs_no_token_and_ignores_a_bad_one(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    assert api.get("/api/v1/health/").status_code == 200


def test_health_reports_a_stopped_broker_as_503(api, client_for, staff, own_redis):
    with override_settings(CELERY_BROKER_URL=own_redis.url):
        assert api.get("/api/v1/health/").json()["broker"] == "ok"
        own_redis.stop()
        health.public_answers.clear()  # as two seconds later
        response = api.get("/api/v1/health/")
        for_staff = client_for(staff).get("/api/v1/health/").json()

    assert response.status_code == 503
    assert response.json() == {
        "status": "error", "database": "ok", "broker": "error", "storage": "ok", "version": config.__version__,
    }  # fmt: skip
    assert for_staff["broker"].startswith("error: ") and len(for_staff["broker"]) > len("error: ")


def test_health_reports_an_unusable_file_store_as_503(api, client_for, staff, tmp_path, settings):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the intake folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "intake": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(blocker)}},
    }

    response = api.get("/api/v1/health/")

    assert response.status_code == 503
    assert response.json()["storage"] == "error"
    assert (
        client_for(staff).get("/api/v1/health/").json()["storage"]
        == f"error: OSError: {blocker} is not a folder this process may write"
    )


@pytest.mark.parametrize("is_staff", [False, True])
def test_asking_with_a_token_does_not_record_its_use(client_for, api, case_a, member_of, is_staff):
    user = member_of(case_a, Role.LEAD, is_staff=is_staff)
    client = client_for(user)
    ApiToken.objects.filter(user=user).update(last_used_at=None)

    answer = client.get("/api/v1/health/")

    assert answer.status_code == 200
    assert ("details" in answer.json()) is is_staff  # the token was read: staff get their answer
    assert list(ApiToken.objects.filter(user=user).values_list("last_used_at", flat=True)) == [None]
    assert client.get("/api/v1/cases/").status_code == 200
    assert ApiToken.objects.get(user=user).last_used_at is not None  # any other route records it


def ask_in_threads(count: int) -> list:
    """``count`` anonymous requests at once, each on a web thread of its own: (status, seconds) each."""
    from rest_framework.test import APIClient

    answers, start = [None] * count, threading.Barrier(count)

    def ask(index: int) -> None:
        try:
            start.wait()
            began = time.monotonic()
            response = APIClient().get("/api/v1/health/")
            answers[index] = (response.status_code, response.json()["broker"], time.monotonic() - began)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads), "a request to /health/ was still held after 10 s"
    return answers


@pytest.mark.django_db(transaction=True)
def test_a_hung_broker_holds_a_request_to_health_at_most_a_second(own_redis):
    os.kill(own_redis.process.pid, signal.SIGSTOP)  # takes connections, answers nothing
    try:
        with override_settings(CELERY_BROKER_URL=own_redis.url):
            ((status, broker, seconds),) = ask_in_threads(1)
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)

    assert (status, broker) == (503, "error")
    assert seconds <= 1.5


def test_the_public_answer_is_kept_two_seconds_so_asking_again_does_not_check_again(api, silent_broker):
    with override_settings(CELERY_BROKER_URL=silent_broker.url):
        began = time.monotonic()
        answers = [api.get("/api/v1/health/") for _ in range(5)]
        seconds = time.monotonic() - began

    assert [answer.status_code for answer in answers] == [503] * 5
    assert {answer.json()["broker"] for answer in answers} == {"error"}
    assert len(silent_broker.connections) == 1
    assert seconds <= 1.5


@pytest.mark.django_db(transaction=True)
def test_requests_at_once_wait_for_one_check_of_the_broker(silent_broker):
    with override_settings(CELERY_BROKER_URL=silent_broker.url):
        answers = ask_in_threads(4)

    assert [(status, broker) for status, broker, _ in answers] == [(503, "error")] * 4
    assert max(seconds for _, _, seconds in answers) <= 1.5
    assert len(silent_broker.connections) == 1


def test_after_two_seconds_the_public_answer_is_checked_again(api, own_redis, monkeypatch):
    monkeypatch.setattr(health, "PUBLIC_ANSWER_SECONDS", 0.2)
    with override_settings(CELERY_BROKER_URL=own_redis.url):
        assert api.get("/api/v1/health/").status_code == 200
        own_redis.stop()
        kept = api.get("/api/v1/health/")
        time.sleep(0.3)
        checked_again = api.get("/api/v1/health/")

    assert (kept.status_code, kept.json()["broker"]) == (200, "ok")
    assert (checked_again.status_code, checked_again.json()["broker"]) == (503, "error")


def test_staff_get_an_answer_checked_now(api, client_for, staff, own_redis):
    with override_settings(CELERY_BROKER_URL=own_redis.url):
        assert api.get("/api/v1/health/").status_code == 200  # kept for the public
        own_redis.stop()
        for_staff = client_for(staff).get("/api/v1/health/")

    assert for_staff.status_code == 503
    assert for_staff.json()["broker"].startswith("error: ")
