import shutil
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from evidence.models import Role
from tests.factories import CaseFactory, MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def empty_file_stores():
    """Every test starts with empty local file stores (the archive is content-addressed: a file
    left by an earlier test would be "already archived")."""
    for name in ("default", "intake", "archive", "exports"):
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
        from rest_framework.authtoken.models import Token

        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
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
