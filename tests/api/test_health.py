import pytest
from django.test import override_settings

import config
from tests.redis_server import RedisServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_health_reports_every_part_ok_with_the_postgis_version(api):
    response = api.get("/api/v1/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["storage"] == "ok"
    assert body["postgis"][0].isdigit() and "." in body["postgis"]
    assert body["version"] == config.__version__


def test_health_needs_no_token_and_ignores_a_bad_one(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    assert api.get("/api/v1/health/").status_code == 200


def test_health_reports_a_stopped_broker_as_503(api, own_redis):
    with override_settings(CELERY_BROKER_URL=own_redis.url):
        assert api.get("/api/v1/health/").json()["broker"] == "ok"
        own_redis.stop()
        response = api.get("/api/v1/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["broker"].startswith("error")
    assert body["database"] == "ok"


def test_health_reports_an_unwritable_file_store_as_503(api, tmp_path, settings):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the intake folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "intake": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(blocker)}},
    }

    response = api.get("/api/v1/health/")

    assert response.status_code == 503
    assert response.json()["storage"].startswith("error")
