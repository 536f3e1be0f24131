"""The database goes away in the middle of processing, as in a restart: every connection to the test
database is cut and none is accepted for ten seconds. The shared PostgreSQL cluster itself keeps
running (other test runs use it); only this test's database is closed, from the ``postgres`` one.

A task a worker takes while the database is down cannot even claim its item: it is retried through
the broker with a short backoff (workers.tasks.process_evidence), so the item is taken up within
seconds of the database's return, not after the sweep's SLID_RECEIVED_STALE_SECONDS (the second test
keeps that at its default of 300 s to prove it)."""

import contextlib
import time
from collections.abc import Iterator

import dj_database_url
import psycopg
import pytest
from django.conf import settings
from django.db import connection
from psycopg import sql

from evidence.models import EvidenceItem
from tests.faults.checks import (
    FAST_RECOVERY,
    account_for,
    api_server,
    assert_refused_in_json,
    files_under,
    post_file,
    receive,
    seconds_until_final,
    store_location,
    wait_until,
    write_random_file,
)
from tests.tokens import token_for
from tests.workers.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)

OUTAGE_SECONDS = 10


def _administration() -> psycopg.Connection:
    """A connection to the ``postgres`` database as the role that owns the test database."""
    database = connection.settings_dict
    owner = dj_database_url.parse(settings.DATABASE_OWNER_URL) if settings.DATABASE_OWNER_URL else database
    return psycopg.connect(
        host=database["HOST"], port=database["PORT"] or None, dbname="postgres",
        user=owner["USER"], password=owner["PASSWORD"], autocommit=True,
    )  # fmt: skip


def _backends(administration: psycopg.Connection, name: str) -> int:
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
    return administration.execute(query, [name]).fetchone()[0]


@contextlib.contextmanager
def database_restarted() -> Iterator[None]:
    """Within the block the test database accepts no connection and every one it had is gone;
    at its end the database accepts connections again (whatever happened)."""
    name = connection.settings_dict["NAME"]
    allow = sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}")
    with _administration() as administration:
        administration.execute(allow.format(sql.Identifier(name), sql.SQL("false")))
        try:
            try:
                administration.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()",
                    [name],
                )
            except psycopg.errors.InsufficientPrivilege as refused:
                pytest.skip(f"The owner of the test database may not end other roles' connections: {refused}")
            wait_until(lambda: _backends(administration, name) == 0, timeout=10, what="every connection ended")
            yield
        finally:
            administration.execute(allow.format(sql.Identifier(name), sql.SQL("true")))
    connection.close()  # this test's own connection was cut too


def test_a_database_restart_in_the_middle_of_processing_loses_nothing(
    own_broker, case_a, investigator, tmp_path, figures
):
    sources = tmp_path / "sources"
    sources.mkdir()
    for n in range(2):
        write_random_file(sources / f"video-{n}.bin", 96 * 1024 * 1024)
    for n in range(10):
        write_random_file(sources / f"photo-{n}.bin", 128 * 1024 * (n + 1))
    item_ids = [receive(investigator, case_a, path).pk for path in sorted(sources.iterdir(), reverse=True)]
    token = token_for(investigator)
    statement = b"a statement taken while the database was restarting"
    with api_server(tmp_path, own_broker.url) as server:
        worker = Worker(
            tmp_path / "worker.log", CELERY_BROKER_URL=own_broker.url, SLID_RECEIVED_STALE_SECONDS="10", **FAST_RECOVERY
        )
        try:
            wait_until(
                lambda: EvidenceItem.objects.filter(pk__in=item_ids, status="processing").exists(),
                timeout=60,
                what="an item being processed",
            )
            intake_files = files_under(store_location("intake"))
            cut = time.monotonic()
            with database_restarted():
                refused = post_file(server, token, case_a, statement, "statement.bin")
                time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut)))
            back = time.monotonic()
            # Meanwhile an upload was refused with a JSON 503 and Retry-After, and left no file; the
            # first one after is accepted (the server's connections were cut: it checks them first).
            assert refused.status_code == 503, refused.text
            assert_refused_in_json(refused)
            assert int(refused.headers["Retry-After"]) > 0
            assert files_under(store_location("intake")) == intake_files
            accepted = post_file(server, token, case_a, statement, "statement.bin")
            assert accepted.status_code == 201, accepted.text
            item_ids.append(accepted.json()["id"])

            recovery = seconds_until_final(item_ids, since=back, timeout=60)
            counts = account_for(item_ids)
            assert worker.alive
        finally:
            worker.stop()

    figures(
        items=len(item_ids),
        seconds_without_database=back - cut,
        upload_while_down=f"{refused.status_code}, Retry-After {refused.headers['Retry-After']}",
        first_upload_after=accepted.status_code,
        seconds_from_return_to_all_archived=recovery,
        **{key: value for key, value in counts.items() if key != "items"},
    )


def test_an_item_whose_task_ran_while_the_database_was_down_is_archived_within_a_minute_of_its_return(
    own_broker, case_a, investigator, tmp_path
):
    log = tmp_path / "worker.log"
    worker = Worker(log, CELERY_BROKER_URL=own_broker.url, **FAST_RECOVERY)  # SLID_RECEIVED_STALE_SECONDS: 300
    try:
        worker.pause()  # the tasks wait in the broker until the database is down
        sources = tmp_path / "sources"
        sources.mkdir()
        for n in range(3):
            write_random_file(sources / f"photo-{n}.bin", 64 * 1024)
        item_ids = [receive(investigator, case_a, path).pk for path in sorted(sources.iterdir())]
        with database_restarted():
            worker.resume()
            wait_until(
                lambda: log.read_text(errors="replace").count("OperationalError") >= len(item_ids),
                timeout=60,
                what="each task run and failed on the missing database",
            )
        back = time.monotonic()

        seconds_until_final(item_ids, since=back, timeout=60)
    finally:
        worker.stop()
