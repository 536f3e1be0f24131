"""Signing in through a real gunicorn (two worker processes, threaded) with the production settings'
cache, a real redis-server: the README's "Trying the API" runs as written, and the lockout holds across
processes as it does across threads."""

import os
import re
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.auth.hashers import make_password

from tests.config.servers import gunicorn
from tests.factories import UserFactory
from tests.otp import PASSWORD
from tests.redis_server import RedisServer
from tests.workers.worker import worker_environment

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("live-login")
    redis = RedisServer(folder)
    redis.start()
    environment = worker_environment(
        DJANGO_SETTINGS_MODULE="config.settings.base",  # the shared Redis cache, Argon2, as deployed
        SLID_CACHE_URL=redis.url,
        SLID_CELERY_QUEUE=django_settings.CELERY_TASK_DEFAULT_QUEUE,  # never the queue of `make run`
        SLID_VAR_DIR=str(folder / "var"),
        SLID_WEB_WORKERS="2",
        SLID_WEB_THREADS="8",
        SLID_LOGIN_RATE="1000/min",
    )
    try:
        with django_db_blocker.unblock(), gunicorn(folder / "gunicorn.log", environment=environment) as url:
            yield url
    finally:
        redis.stop()


@pytest.fixture
def argon2_user(settings):
    """A user whose password the production settings can check (the test settings hash with MD5)."""

    def make(username: str):
        user = UserFactory(username=username)
        type(user).objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="argon2"))
        return user

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    return make


def test_the_readme_tries_the_api_as_written(live, argon2_user, tmp_path):
    argon2_user("admin")
    credentials = tmp_path / "admin-credentials.txt"
    credentials.write_text(f"username=admin\npassword={PASSWORD}\n")
    block = re.search(r"### Trying the API\n\n```sh\n(.*?)```", README.read_text(), re.DOTALL).group(1)
    script = block.replace("var/admin-credentials.txt", str(credentials))

    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script + '\necho "TOKEN=$TOKEN"'],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SLID_WEB_PORT": live.rsplit(":", 1)[1]},  # the block uses the configured port
    )

    assert ran.returncode == 0, ran.stderr
    token = ran.stdout.rsplit("TOKEN=", 1)[1].strip()
    assert len(token) == 43
    assert '"count":0' in ran.stdout  # the cases (none yet)
    assert '"name":"laptop"' in ran.stdout and '"current":true' in ran.stdout
    signed_out = requests.get(f"{live}/api/v1/cases/", headers={"Authorization": f"Token {token}"}, timeout=10)
    assert signed_out.status_code == 401


def test_twenty_wrong_passwords_across_worker_processes_lock_after_exactly_five(live, argon2_user):
    argon2_user("olena")
    barrier = threading.Barrier(20)

    def guess(_):
        barrier.wait(timeout=30)
        return requests.post(
            f"{live}/api/v1/auth/token/", json={"username": "olena", "password": "wrong password"}, timeout=60
        ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(pool.map(guess, range(20)))

    assert statuses == [400] * 5 + [429] * 15
    right = requests.post(f"{live}/api/v1/auth/token/", json={"username": "olena", "password": PASSWORD}, timeout=60)
    assert right.status_code == 429
