"""API errors are JSON whatever raised them: unknown routes, wrong methods, server errors, and a
database that cannot answer (503 with Retry-After). HTML pages keep Django's pages, with no traceback.

The database outages are made on the test database only, without stopping PostgreSQL (others use
it): new connections are refused and the open ones cut, from a connection to the `postgres` database."""

from collections.abc import Iterator
from contextlib import contextmanager

import dj_database_url
import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connection
from django.urls import include, path
from psycopg import sql
from rest_framework.test import APIClient
from rest_framework.views import APIView

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401 - this module is a URLconf too
from tests.config.servers import gunicorn
from tests.factories import UserFactory
from tests.tokens import token_for
from tests.workers.worker import worker_environment

SECRET = "internal detail that must not leak"


def failing_view(request):
    raise RuntimeError(SECRET)


def database_view(request):
    from django.http import JsonResponse

    from evidence.models import Case

    return JsonResponse({"cases": Case.objects.count()})


class FailingApiView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        raise RuntimeError(SECRET)


# With @pytest.mark.urls(__name__): Slid's routes, the error handlers of config.urls, and views that fail.
urlpatterns = [
    path("api/test/plain-failure/", failing_view),
    path("api/test/drf-failure/", FailingApiView.as_view()),
    path("api/test/database/", database_view),
    path("test/html-failure/", failing_view),
    path("test/database/", database_view),
    path("", include("config.urls")),
]


@pytest.fixture
def quiet_client() -> APIClient:
    """A client that gets the server's answer to an exception instead of the exception."""
    return APIClient(raise_request_exception=False)


def connect_to_postgres_database(*, as_owner: bool) -> psycopg.Connection:
    """A connection to the ``postgres`` database, as the application's role or as the role that owns
    the test database (DATABASE_OWNER_URL; the same role when it is not set)."""
    database = connection.settings_dict
    role = database
    if as_owner and getattr(settings, "DATABASE_OWNER_URL", ""):
        role = dj_database_url.parse(settings.DATABASE_OWNER_URL)
    return psycopg.connect(
        host=database["HOST"], port=database["PORT"] or None, dbname="postgres",
        user=role["USER"], password=role["PASSWORD"], autocommit=True,
    )  # fmt: skip


@contextmanager
def connections_cut(*, refuse_new: bool) -> Iterator[int]:
    """Terminates the application's connections to the test database (this process's too) and, with
    ``refuse_new``, makes the database refuse new ones until the block ends. Yields how many were
    terminated. The owner alters the database; the application's role ends its own connections."""
    name = connection.settings_dict["NAME"]
    allow = sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}")
    with connect_to_postgres_database(as_owner=True) as owner, connect_to_postgres_database(as_owner=False) as own:
        try:
            if refuse_new:
                owner.execute(allow.format(sql.Identifier(name), sql.SQL("false")))
            terminated = own.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                "WHERE datname = %s AND usename = current_user",
                [name],
            ).fetchone()[0]
            connection.close()  # this process's connection was one of them
            yield terminated
        finally:
            owner.execute(allow.format(sql.Identifier(name), sql.SQL("true")))
            connection.close()


def test_an_unknown_api_route_answers_404_in_json(api):
    response = api.get("/api/v1/no-such-route/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "There is no API route /api/v1/no-such-route/."}


def test_a_method_the_route_does_not_have_answers_405_in_json(api):
    response = api.put("/api/v1/health/", {}, format="json")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("route", ["/api/test/plain-failure/", "/api/test/drf-failure/"])
def test_an_unexpected_error_under_api_answers_500_in_json_without_the_traceback(quiet_client, route):
    response = quiet_client.get(route)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "An internal error occurred; it has been logged."}


@pytest.mark.urls(__name__)
def test_an_unexpected_error_on_an_html_page_keeps_django_s_page_without_the_traceback(quiet_client):
    response = quiet_client.get("/test/html-failure/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert SECRET.encode() not in response.content
    assert b"Traceback" not in response.content


def test_an_unknown_admin_page_keeps_django_s_html_404(api, admin_user):
    api.force_login(admin_user)

    response = api.get("/admin/no-such-app/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls(__name__)
def test_an_unavailable_database_answers_503_with_retry_after_in_json(quiet_client):
    user = UserFactory()
    quiet_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")

    with connections_cut(refuse_new=True):
        through_drf = quiet_client.get("/api/v1/cases/")
        through_django = quiet_client.get("/api/test/database/")
        html_page = quiet_client.get("/test/database/")

    for response in (through_drf, through_django):
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "The database is unavailable at the moment; try again shortly."}
    assert html_page.status_code == 503 and html_page["Retry-After"] == "30"
    assert html_page.content == b"The database is unavailable at the moment; try again shortly."
    assert quiet_client.get("/api/v1/cases/").status_code == 200  # and back once it accepts connections


# --- Through gunicorn, as in production: a stale connection, and an outage -----------------------


@pytest.fixture(scope="module")
def live_api(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    with django_db_blocker.unblock():
        # One thread, so that every request uses the same database connection.
        environment = {**worker_environment(), "SLID_WEB_WORKERS": "1", "SLID_WEB_THREADS": "1"}
    with gunicorn(tmp_path_factory.mktemp("gunicorn") / "gunicorn.log", environment=environment) as url:
        yield url


@pytest.fixture
def token_headers(transactional_db) -> dict[str, str]:
    return {"Authorization": f"Token {token_for(UserFactory())}"}


def test_the_first_request_after_the_database_cut_the_connection_succeeds(live_api, token_headers):
    with requests.Session() as session:
        assert session.get(f"{live_api}/api/v1/cases/", headers=token_headers, timeout=30).status_code == 200
        with connections_cut(refuse_new=False) as terminated:
            assert terminated >= 2  # the server's and this test's

        response = session.get(f"{live_api}/api/v1/cases/", headers=token_headers, timeout=30)

    assert response.status_code == 200, response.text


def test_an_unavailable_database_answers_503_through_gunicorn(live_api, token_headers):
    assert requests.get(f"{live_api}/api/v1/cases/", headers=token_headers, timeout=30).status_code == 200

    with connections_cut(refuse_new=True):
        response = requests.get(f"{live_api}/api/v1/cases/", headers=token_headers, timeout=30)
        missing = requests.get(f"{live_api}/api/v1/no-such-route/", timeout=30)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json() == {"detail": "The database is unavailable at the moment; try again shortly."}
    assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/json"
    assert requests.get(f"{live_api}/api/v1/cases/", headers=token_headers, timeout=30).status_code == 200
