"""Fault tests: real workers killed, a real broker stopped, the real database cut off, a real disk
filled. Each test has its own Redis, so what it does to the broker touches no one else; the workers
other tests started are paused while it runs, so only this test's workers take up its items."""

import pytest

from evidence.models import Role
from tests.redis_server import RedisServer
from tests.workers.worker import RUNNING

# Figures of each scenario, printed at the end of the run (docs/reliability.md quotes them).
FIGURES: list[tuple[str, dict]] = []


@pytest.fixture(autouse=True)
def others_paused():
    """A worker started by another test (the session's celery_worker) consumes the same test
    database: its outbox relay would send this test's tasks to its own broker and its sweep would
    take up this test's items. It is paused for the test and carries on afterwards."""
    paused = [worker for worker in list(RUNNING) if worker.alive]
    for worker in paused:
        worker.pause()
    try:
        yield
    finally:
        for worker in paused:
            worker.resume()


@pytest.fixture
def own_broker(tmp_path, settings):
    """A redis-server of the test's own, which the test may stop, kill and start again. The broker's URL
    is set through pytest-django's ``settings``, as the test's other changes are, so that all of them are
    undone together and in order (settings_restored in tests/conftest.py)."""
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    settings.CELERY_BROKER_URL = server.url
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


@pytest.fixture
def figures(request):
    """figures(**values) records what the scenario measured (seconds, counts) under its name."""

    def record(**values) -> None:
        FIGURES.append((request.node.name, values))

    return record


def pytest_terminal_summary(terminalreporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("fault tests: figures")
    for name, values in FIGURES:
        terminalreporter.write_line(f"{name}:")
        for key, value in values.items():
            shown = f"{value:.1f}" if isinstance(value, float) else str(value)
            terminalreporter.write_line(f"    {key}: {shown}")
