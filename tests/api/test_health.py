from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

import config
from evidence.agents import Agent
from evidence.models import AuditEntry, OutboxTask, Role
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
