import contextlib
import re
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from django.conf import settings
from psycopg import sql
from rest_framework.test import APIClient

from evidence.models import Role
from tests.factories import CaseFactory, MembershipFactory, UserFactory

# --- Two database roles, as in production ---------------------------------------------------------
# The tests run as the application role (DATABASE_URL), which may only read and write rows. The owner
# role (DATABASE_OWNER_URL) creates and migrates the test database, as it runs `migrate` for `make run`,
# and empties it after a transactional test: the application may not TRUNCATE. Without
# DATABASE_OWNER_URL, one role does everything, as before.


def _owner_credentials() -> dict[str, str]:
    """USER and PASSWORD of the owner role (on the same server as DATABASE_URL), or the application's."""
    if not settings.DATABASE_OWNER_URL:
        return {"USER": settings.DATABASES["default"]["USER"], "PASSWORD": settings.DATABASES["default"]["PASSWORD"]}
    owner = dj_database_url.parse(settings.DATABASE_OWNER_URL)
    return {"USER": owner["USER"], "PASSWORD": owner["PASSWORD"]}


@contextlib.contextmanager
def _default_connection_as_owner() -> Iterator[None]:
    """Django's default connection, for the duration, logged in as the owner role."""
    from django.db import connection

    application = {name: connection.settings_dict[name] for name in ("USER", "PASSWORD")}
    connection.close()
    connection.settings_dict.update(_owner_credentials())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(application)


def _grant_rows_to(application: str) -> None:
    """What scripts/services.sh grants on the real database: rows of the owner's tables and its
    sequences; never TRUNCATE, REFERENCES or TRIGGER."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.oid::regclass::text, c.relkind = 'S' FROM pg_class c "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S') "
            "AND c.relowner = current_user::regrole"
        )
        for relation, is_sequence in cursor.fetchall():
            privileges = "USAGE, SELECT" if is_sequence else "SELECT, INSERT, UPDATE, DELETE"
            cursor.execute(f"GRANT {privileges} ON {relation} TO {connection.ops.quote_name(application)}")


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb):
    """pytest-django's set-up, with the database created and migrated by the owner role."""
    from django.test.utils import setup_databases, teardown_databases

    application = settings.DATABASES["default"]["USER"]
    with django_db_blocker.unblock(), _default_connection_as_owner():
        databases = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            keepdb=django_db_keepdb and not django_db_createdb,
            serialized_aliases=set(),  # no test uses serialized_rollback
        )
        if application != _owner_credentials()["USER"]:
            _grant_rows_to(application)
        try:
            _copy_test_database(to=pristine_database_name())
        except psycopg.Error as error:  # only the tests that need the copy fail (tests.evidence.test_backups)
            warnings.warn(f"No copy of the test database as migrated: {error}", stacklevel=1)
    yield
    with django_db_blocker.unblock():
        drop_database(pristine_database_name())
    if not django_db_keepdb:
        with django_db_blocker.unblock(), _default_connection_as_owner():
            teardown_databases(databases, verbosity=request.config.option.verbose)


def pristine_database_name() -> str:
    """A copy of the test database as migrated, before any test ran: a template for tests that need a database
    of their own (the restore drill). PostgreSQL copies a database only while no one else is connected to it,
    and once the tests run the session's worker and live servers are; so the copy is taken here."""
    from django.db import connection

    return f"{connection.settings_dict['NAME']}_pristine"


def _server_as_owner() -> psycopg.Connection:
    from django.db import connection

    database, owner = connection.settings_dict, _owner_credentials()
    return psycopg.connect(
        host=database["HOST"], port=database["PORT"] or None, dbname="postgres",
        user=owner["USER"], password=owner["PASSWORD"], autocommit=True,
    )  # fmt: skip


def _copy_test_database(*, to: str) -> None:
    from django.db import connection

    connection.close()
    drop_database(to)
    create_database(to, template=connection.settings_dict["NAME"])


def create_database(name: str, *, template: str | None = None) -> None:
    """A database on the test server, made by the owner role; a copy of ``template`` if given (nobody may be
    connected to the template meanwhile)."""
    copy = sql.SQL(" TEMPLATE {}").format(sql.Identifier(template)) if template else sql.SQL("")
    with _server_as_owner() as server:
        server.execute(sql.SQL("CREATE DATABASE {}{}").format(sql.Identifier(name), copy))


def drop_database(name: str) -> None:
    with _server_as_owner() as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def _owner_transaction() -> Iterator[psycopg.Cursor]:
    """A cursor on the test database as the owner role, on a connection of its own; commits at the end."""
    from django.db import connection

    database = connection.settings_dict
    owner = _owner_credentials()
    with psycopg.connect(
        host=database["HOST"], port=database["PORT"] or None, dbname=database["NAME"],
        user=owner["USER"], password=owner["PASSWORD"], options="-c lock_timeout=60s",
    ) as owner_connection, owner_connection.cursor() as cursor:  # fmt: skip
        yield cursor


@pytest.fixture(scope="session", autouse=True)
def flush_as_the_owner():
    """A transactional test ends with Django's flush, a TRUNCATE of every table. The application role may not
    truncate, and the database refuses to delete custody, audit and evidence rows to everyone; so the owner
    empties the tables, with those refusals (the tables' own triggers) off only inside its own transaction.

    Only the tables that hold rows are emptied, by DELETE: a TRUNCATE makes every table's files anew, half a
    second for all of them after every transactional test, and most tests touch a handful. Django's foreign
    keys are checked once every row is gone."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    def execute_sql_flush(operations, sql_list: list[str]) -> None:
        if len(sql_list) != 1 or not sql_list[0].startswith("TRUNCATE ") or "RESTART IDENTITY" in sql_list[0]:
            raise NotImplementedError(f"A flush the tests do not expect: {sql_list}")
        tables = re.findall(r'"([^"]+)"', sql_list[0])
        with _owner_transaction() as cursor:
            holding_rows = sql.SQL(" UNION ALL ").join(
                sql.SQL("SELECT {} WHERE EXISTS (SELECT FROM {})").format(sql.Literal(table), sql.Identifier(table))
                for table in tables
            )
            cursor.execute(holding_rows)
            tables = [table for (table,) in cursor.fetchall()]
            if not tables:
                return
            cursor.execute(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
                "AND tgrelid = ANY(%s::regclass[])",
                [[f'"{table}"' for table in tables]],
            )
            triggers = cursor.fetchall()
            toggle = sql.SQL("ALTER TABLE {} {} TRIGGER {}")
            for table, trigger in triggers:
                cursor.execute(toggle.format(sql.SQL(table), sql.SQL("DISABLE"), sql.Identifier(trigger)))
            for table in tables:
                cursor.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the keys' checks, before a table may be altered
            for table, trigger in triggers:
                cursor.execute(toggle.format(sql.SQL(table), sql.SQL("ENABLE"), sql.Identifier(trigger)))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


@pytest.fixture
def as_owner():
    """``with as_owner() as cursor:`` runs SQL on the test database as the owner role (a connection
    of its own, committed at the end): what only the owner may do, such as disabling a trigger."""
    return _owner_transaction


@pytest.fixture(autouse=True)
def empty_file_stores():
    """Every test starts with empty local file stores (the archive is content-addressed: a file
    left by an earlier test would be "already archived")."""
    for name in ("default", "intake", "archive", "exports", "backups"):
        location = settings.STORAGES[name].get("OPTIONS", {}).get("location")
        if location and Path(location).is_dir():
            shutil.rmtree(location)


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import cache

    cache.clear()  # login throttles and lockouts start afresh (a local-memory cache in tests)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    """client_for(user) -> an APIClient authenticated as that user with a real token."""

    def make(user) -> APIClient:
        from tests.tokens import token_for

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return make


@pytest.fixture
def case_a(db):
    return CaseFactory(reference="UA-2022-BUCHA", title="Bucha")


@pytest.fixture
def case_b(db):
    return CaseFactory(reference="UA-2022-IZIUM", title="Izium")


@pytest.fixture
def member_of(db):
    """member_of(case, role) -> a new user with that role in the case."""

    def make(case, role: str = Role.INVESTIGATOR, **user_fields):
        return MembershipFactory(case=case, role=role, user=UserFactory(**user_fields)).user

    return make


@pytest.fixture(autouse=True)
def settings_restored():
    """Fails the test that leaves a settings override behind. A fixture that enters override_settings
    while the test also changes ``settings`` unwinds out of order: pytest-django's fixture then restores
    the fixture's layer, and every later test (and the session's worker) sees it. (A value assigned to the
    settings themselves, outside any override, is not seen here.)"""
    before = settings._wrapped
    yield
    left = settings._wrapped
    settings._wrapped = before  # the tests after it run with the settings they expect
    assert left is before, "this test left a settings override in place (see settings_restored)"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One real worker for the session, consuming the test queue on the real broker."""
    from config.celery import app
    from tests.workers.worker import Worker

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)
    worker = Worker(tmp_path_factory.mktemp("worker") / "worker.log")
    yield worker
    worker.stop()


@pytest.fixture
def upload(client_for):
    """upload(user, case, content, name=…, **fields) -> the API's answer to a multipart upload."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def post(user, case, content: bytes, name: str = "photo.jpg", **fields):
        file = SimpleUploadedFile(name, content)
        return client_for(user).post("/api/v1/evidence/", {"file": file, "case": case.pk, **fields}, format="multipart")

    return post


@pytest.fixture
def moto():
    """An S3 server of the test's own (moto, tests.workers.replicas.MotoServer) holding the write-once bucket
    slid-replica-frankfurt; the test may stop and start it (an outage). Stopped after the test."""
    from tests.workers.replicas import MotoServer

    server = MotoServer().start()
    server.bucket("slid-replica-frankfurt")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tsa_signers(tmp_path_factory):
    """(trusted, untrusted): the signing keys of the tests' time-stamping authorities (tests/tsa.py), each
    with its own CA; only the trusted one's CA is configured as a root."""
    from tests.tsa import Signer

    folder = tmp_path_factory.mktemp("tsa")
    return Signer.make(folder / "trusted", "Slid Test TSA CA"), Signer.make(folder / "untrusted", "Another CA")


@pytest.fixture
def local_tsa(tsa_signers):
    """A local RFC 3161 TSA (tests.tsa.LocalTSA) signing with the trusted key; stopped after the test."""
    from tests.tsa import LocalTSA

    tsa = LocalTSA(*tsa_signers)
    yield tsa
    tsa.stop()
