"""A real Celery worker for tests: its own process, on the real broker, on the test database."""

import os
import signal
import subprocess
import sys
import time
import uuid
import weakref
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# Every worker a test started and has not stopped: the fault tests pause the ones they did not start.
RUNNING: "weakref.WeakSet[Worker]" = weakref.WeakSet()


def worker_environment(**overrides: str) -> dict[str, str]:
    url = dj_database_url.parse(settings.DATABASE_URL)
    test_url = settings.DATABASE_URL.rsplit("/", 1)[0] + f"/{connection.settings_dict['NAME']}"
    assert url["NAME"] != connection.settings_dict["NAME"]
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **overrides,
    }


class Worker:
    def __init__(self, log_path: Path, *, name: str | None = None, wait: bool = True, **environment: str) -> None:
        """``name``: the node name before "@" (custody names the worker by it), else a random one; ``wait``
        False returns at once (``wait_ready`` then), so that several workers start side by side."""
        self.log_path = log_path
        self.name = f"{name or 'test-' + uuid.uuid4().hex[:8]}@%h"
        self.log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "--app", "config", "worker",
             "--queues", settings.CELERY_TASK_DEFAULT_QUEUE, "--concurrency", "2", "--pool", "prefork",
             "--hostname", self.name, "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT,
            env=worker_environment(**environment),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the test can kill it and its children
        )  # fmt: skip
        RUNNING.add(self)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 180) -> None:  # a worker starting on two busy cores can take a minute
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b" ready." in self.log_path.read_bytes():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"The worker exited: {self.log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        raise TimeoutError(f"The worker was not ready in {timeout} s: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes: no clean-up, no acknowledgement."""
        RUNNING.discard(self)
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def pause(self) -> None:
        """SIGSTOP to the worker and its pool processes: they hold on to everything, and do nothing."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGCONT)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        RUNNING.discard(self)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def wait_for_status(item, statuses: set[str], timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item.refresh_from_db()
        if item.status in statuses:
            return item
        time.sleep(0.2)
    raise TimeoutError(f"{item.ern} is still {item.status}, not one of {statuses}")


def wait_for_intake_removed(item, timeout: float = 10):
    """The intake copy goes right after the commit that archived the item."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item.refresh_from_db()
        if not item.intake_key:
            return item
        time.sleep(0.1)
    raise TimeoutError(f"{item.ern} still has its intake copy {item.intake_key}")
