import shutil
import socket
import subprocess
import time

import pytest
from django.test import override_settings

import config

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, which the test may stop."""
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp_path],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/0"
    process.kill()
    process.wait()


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
    process, url = own_redis
    with override_settings(CELERY_BROKER_URL=url):
        assert api.get("/api/v1/health/").json()["broker"] == "ok"
        process.terminate()
        process.wait()
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
