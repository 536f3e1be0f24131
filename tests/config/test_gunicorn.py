"""config/gunicorn.py: a request may take longer than gunicorn's timeout (large uploads and downloads
over slow links). The timeout is lowered to 2 s through the environment, and the requests take 5 s."""

import subprocess
import sys
import time

import pytest
import requests

from tests.config.servers import ROOT, gunicorn
from tests.config.slow_wsgi import CHUNK_BYTES, CHUNKS

SLOW_APP = "tests.config.slow_wsgi:application"
TIMEOUT_SECONDS = 2
REQUEST_SECONDS = 5
SHORT_TIMEOUT = {"SLID_WEB_TIMEOUT": str(TIMEOUT_SECONDS), "SLID_WEB_WORKERS": "1", "SLID_WEB_THREADS": "2"}


def slow_body(seconds: float, pieces: int = 10):
    for _ in range(pieces):
        time.sleep(seconds / pieces)
        yield b"x" * 100_000


def test_a_download_slower_than_the_timeout_is_delivered_whole(tmp_path):
    with gunicorn(tmp_path / "gunicorn.log", app=SLOW_APP, environment=SHORT_TIMEOUT) as url:
        started = time.monotonic()
        response = requests.get(f"{url}/?seconds={REQUEST_SECONDS}", timeout=30)
        took = time.monotonic() - started

    assert response.status_code == 200
    assert response.content == b"".join(bytes([n]) * CHUNK_BYTES for n in range(CHUNKS))
    assert took > REQUEST_SECONDS - 0.5 > TIMEOUT_SECONDS
    assert b"WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_bytes()


def test_an_upload_slower_than_the_timeout_is_received_whole(tmp_path):
    with gunicorn(tmp_path / "gunicorn.log", app=SLOW_APP, environment=SHORT_TIMEOUT) as url:
        started = time.monotonic()
        response = requests.post(url, data=slow_body(REQUEST_SECONDS), timeout=30)
        took = time.monotonic() - started

    assert response.status_code == 200
    assert response.text == "1000000"
    assert took > REQUEST_SECONDS - 0.5
    assert b"WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_bytes()


def test_the_sync_workers_used_before_cut_the_same_download_off(tmp_path):
    # Why gthread: with sync workers the timeout limits each request, and the download dies.
    sync = {**SHORT_TIMEOUT, "SLID_WEB_WORKER_CLASS": "sync", "SLID_WEB_THREADS": "1"}
    with gunicorn(tmp_path / "gunicorn.log", app=SLOW_APP, environment=sync) as url:
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(f"{url}/?seconds={REQUEST_SECONDS}", timeout=30).content  # noqa: B018

    assert b"WORKER TIMEOUT" in (tmp_path / "gunicorn.log").read_bytes()


def test_the_defaults_are_threaded_workers_whose_timeout_is_a_heartbeat():
    printed = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "--print-config"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    config = {name.strip(): value.strip() for name, _, value in (line.partition("=") for line in printed.splitlines())}

    assert config["worker_class"] == "gthread"
    assert config["wsgi_app"] == "config.wsgi:application"
    assert (config["workers"], config["threads"], config["timeout"]) == ("2", "8", "60")
    assert config["bind"] == "['127.0.0.1:8000']"
    assert config["control_socket_disable"] == "True"
