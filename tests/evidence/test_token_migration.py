"""Migration 0016: the plain-text tokens of an existing database are hashed into the new table, keep
working until they would have expired, and are gone from the old table."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from evidence.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

migration = importlib.import_module("evidence.migrations.0016_api_tokens_kept_as_hashes")

FRESH = "f" * 40
STALE = "5" * 40


@pytest.fixture
def old_token_table(as_owner):
    """The table Django REST framework's authtoken app had, as the owner role's migrations made it."""
    application = connection.settings_dict["USER"]
    with as_owner() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL, "
            "user_id integer NOT NULL)"
        )
        cursor.execute(f'GRANT SELECT, INSERT, DELETE ON authtoken_token TO "{application}"')  # noqa: S608
    yield
    with as_owner() as cursor:
        cursor.execute("DROP TABLE authtoken_token")


def test_old_tokens_are_hashed_keep_working_and_leave_no_plain_text(old_token_table, settings):
    settings.SLID_TOKEN_TTL_HOURS = 12
    olena, taras = UserFactory(username="olena"), UserFactory(username="taras")
    with connection.cursor() as cursor:
        now = timezone.now()
        cursor.executemany(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [(FRESH, now - timedelta(hours=1), olena.pk), (STALE, now - timedelta(hours=13), taras.pk)],
        )

    with connection.schema_editor() as schema_editor:
        migration.hash_plain_tokens(apps, schema_editor)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (olena, "before-upgrade")
    assert token.key_hash == "50ba47be6e3a13f9375a49ef84492dd8eb0ab6ce710dc99ffde0736e5b02a926"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {FRESH}")
    assert client.get("/api/v1/cases/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {STALE}")
    assert client.get("/api/v1/cases/").status_code == 401


def test_a_database_without_the_old_table_is_left_as_it_is():
    with connection.schema_editor() as schema_editor:
        migration.hash_plain_tokens(apps, schema_editor)

    assert not ApiToken.objects.exists()
