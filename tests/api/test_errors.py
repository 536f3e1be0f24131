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
from psycopg import sql
from rest_framework.test import APIClient

from tests.api.error_routes import SECRET
from tests.config.servers import gunicorn
from tests.factories import UserFactory
from tests.tokens import token_for
from tests.workers.worker import worker_environment

ERROR_ROUTES = "tests.api.error_routes"


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
    assert response.json() == {
        "detail": "There is no API route /api/v1/no-such-route/; the routes are listed at /api/v1/ and /api/v1/docs/."
    }


def test_a_method_the_route_does_not_have_answers_405_in_json(api):
    response = api.put("/api/v1/health/", {}, format="json")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


@pytest.mark.urls(ERROR_ROUTES)
@pytest.mark.parametrize("route", ["/api/test/plain-failure/", "/api/test/drf-failure/"])
def test_an_unexpected_error_under_api_answers_500_in_json_without_the_traceback(quiet_client, route):
    response = quiet_client.get(route)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "An internal error occurred; it has been logged."}


@pytest.mark.urls(ERROR_ROUTES)
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
@pytest.mark.urls(ERROR_ROUTES)
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


# --- Every kind of error, through a real gunicorn: JSON under /api/ ------------------------------------

# Django reads at most 1000 fields (DATA_UPLOAD_MAX_NUMBER_FIELDS); short, so that gunicorn passes the line on.
MANY_FIELDS = "&".join(["f"] * 1001)
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def live_errors(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """Gunicorn serving Slid's routes and tests.api.error_routes's failing views."""
    with django_db_blocker.unblock():
        environment = {**worker_environment(), "SLID_WEB_WORKERS": "1", "SLID_WEB_THREADS": "2"}
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with gunicorn(log, app="tests.api.error_wsgi:application", environment=environment) as url:
        yield url


@pytest.mark.parametrize(
    ("method", "route", "options", "status", "detail"),
    [
        ("GET", "/api/test/plain-failure/", {}, 500, "An internal error occurred; it has been logged."),
        ("GET", "/api/test/drf-failure/", {}, 500, "An internal error occurred; it has been logged."),
        ("PUT", "/api/v1/health/", {"json": {}}, 405, 'Method "PUT" not allowed.'),
        ("DELETE", "/api/v1/auth/totp/confirm/", {}, 405, 'Method "DELETE" not allowed.'),
        (
            "GET", "/api/v1/no-such-route/", {}, 404,
            "There is no API route /api/v1/no-such-route/; the routes are listed at /api/v1/ and /api/v1/docs/.",
        ),
        ("GET", "/api", {}, 404, "There is no API route /api; the routes are listed at /api/v1/ and /api/v1/docs/."),
        (
            "POST", "/api/v1/auth/token/", {"data": b'{"username": "' + b"x" * 3_000_000 + b'"}', "headers": JSON}, 413,
            "The request body is larger than 2621440 bytes; files go in multipart uploads.",
        ),
        (
            "POST", "/api/v1/auth/token/", {"data": b'{"username": ', "headers": JSON}, 400,
            "JSON parse error - Expecting value: line 1 column 14 (char 13)",
        ),
        (
            "GET", f"/api/v1/health/?{MANY_FIELDS}", {}, 400,
            "The request has more than 1000 fields (query parameters and form fields together).",
        ),
        (
            "POST", "/api/v1/auth/token/",
            {"data": "username=a&password=b", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 415,
            'Unsupported media type "application/x-www-form-urlencoded" in request.',
        ),
        (
            "GET", "/api/v1/health/", {"headers": {"Host": "evil.example"}}, 400,
            "This server does not answer to the host named in the request (DJANGO_ALLOWED_HOSTS).",
        ),
    ],
)  # fmt: skip
def test_every_error_under_api_is_json_through_gunicorn(live_errors, method, route, options, status, detail):
    response = requests.request(method, f"{live_errors}{route}", timeout=60, **options)

    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": detail}
    assert SECRET not in response.text and "Traceback" not in response.text


def test_an_unexpected_error_on_an_html_page_stays_html_through_gunicorn(live_errors):
    response = requests.get(f"{live_errors}/test/html-failure/", timeout=30)

    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    assert SECRET not in response.text


@pytest.mark.parametrize(
    ("body", "content_type", "detail"),
    [
        (
            b"--x\r\n" + b"".join(b'Content-Disposition: form-data; name="f"\r\n\r\n1\r\n--x\r\n' for _ in range(1001)),
            "multipart/form-data; boundary=x",
            "The request has more than 1000 fields (query parameters and form fields together).",
        ),
        (b"--x\r\n", "multipart/form-data", "Multipart form parse error - Invalid boundary in multipart: None"),
    ],
)
def test_an_upload_django_cannot_read_is_a_json_400_through_gunicorn(
    live_errors, token_headers, body, content_type, detail
):
    headers = {**token_headers, "Content-Type": content_type}

    response = requests.post(f"{live_errors}/api/v1/evidence/", data=body, headers=headers, timeout=60)

    assert response.status_code == 400, response.text[:500]
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": detail}
