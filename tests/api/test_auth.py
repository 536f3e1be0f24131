import hashlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence.models import ApiToken, AuditEntry
from tests.factories import UserFactory
from tests.otp import PASSWORD, current_code, enrol, wrong_code

pytestmark = pytest.mark.django_db

REFUSED = {
    "non_field_errors": [
        "Unable to log in with the given username, password and one-time code (otp, if the account uses one)."
    ]
}


def login(api, username="olena", password=PASSWORD, **extra):
    return api.post("/api/v1/auth/token/", {"username": username, "password": password, **extra})


def test_a_token_is_issued_for_a_correct_password(api):
    UserFactory(username="olena")

    response = login(api)

    assert response.status_code == 200
    assert len(response.json()["token"]) == 43  # 32 random bytes, URL-safe base64
    assert response.json()["name"] == "default"


def test_a_wrong_password_gets_no_token(api):
    UserFactory(username="olena")

    response = login(api, password="wrong")

    assert response.status_code == 400
    assert response.json() == REFUSED


def test_a_token_request_without_password_names_the_field(api):
    response = api.post("/api/v1/auth/token/", {"username": "olena"})

    assert response.status_code == 400
    assert "password" in response.json()


def test_the_issued_token_reaches_the_cases(api):
    UserFactory(username="olena")
    token = login(api).json()["token"]

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert api.get("/api/v1/cases/").status_code == 200


def test_a_bearer_token_works_too(api):
    UserFactory(username="olena")
    token = login(api).json()["token"]

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert api.get("/api/v1/cases/").status_code == 200


@pytest.mark.parametrize("header", ["Basic b2xlbmE6cGFzc3dvcmQ=", "JWT abc.def.ghi"])
def test_another_scheme_is_refused_with_the_ones_expected(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)

    response = api.get("/api/v1/cases/")

    assert response.status_code == 401
    scheme = header.split()[0]
    assert response.json() == {
        "detail": f"Unsupported authorization scheme {scheme!r}; send 'Authorization: Token <token>' "
        "(or 'Bearer <token>') with a token from POST /api/v1/auth/token/."
    }


@pytest.mark.parametrize("header", ["Token", "Token a b", "Bearer  "])
def test_a_malformed_token_header_is_refused_clearly(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)

    response = api.get("/api/v1/cases/")

    assert response.status_code == 401
    assert "Token <token>" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    [
        "Token " + "a" * 100_000,
        "Token \u00e9t\u00e9",
        "Bearer 'OR'1'='1'--",
        "Token %00",
        "Token ../../../etc/passwd",
    ],
)
def test_hostile_tokens_are_refused_as_invalid(api, header):
    UserFactory()
    api.credentials(HTTP_AUTHORIZATION=header)

    response = api.get("/api/v1/cases/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_signing_out_a_session_names_the_route_that_signs_out_every_device(case_a):
    from django.test import Client

    client = Client()
    client.force_login(UserFactory())

    response = client.delete("/api/v1/auth/token/")

    assert response.status_code == 400
    assert "DELETE /api/v1/auth/tokens/" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/cases/1/", "/api/v1/cases/1/members/"])
def test_anonymous_requests_get_401(api, path):
    response = api.get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_no_longer_works_and_the_logout_is_audited(client_for):
    user = UserFactory()
    client = client_for(user)

    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/cases/").status_code == 401
    assert AuditEntry.objects.filter(action="auth.logout", actor=user).exists()


def test_a_token_expires(api, settings):
    from datetime import timedelta

    UserFactory(username="olena")
    token = login(api).json()["token"]
    stored = ApiToken.objects.get()
    ApiToken.objects.filter(pk=stored.pk).update(
        created_at=stored.created_at - timedelta(hours=13), expires_at=stored.created_at - timedelta(hours=1)
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = api.get("/api/v1/cases/")

    assert response.status_code == 401
    assert response.json() == {"detail": "The token has expired; log in again for a new one."}


def test_a_token_lives_for_the_configured_hours(api, settings):
    settings.SLID_TOKEN_TTL_HOURS = 30
    UserFactory(username="olena")

    login(api)

    token = ApiToken.objects.get()
    assert (token.expires_at - token.created_at).total_seconds() == 30 * 3600


def test_tokens_are_stored_only_as_hashes(api):
    """Every row of every table, as text: a backup of the database holds no usable token."""
    UserFactory(username="olena")
    token = login(api).json()["token"]

    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [name for (name,) in cursor.fetchall()]
        found = []
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s', [f"%{token}%"])  # noqa: S608
            if cursor.fetchone()[0]:
                found.append(table)

    assert found == []
    assert ApiToken.objects.get().key_hash == hashlib.sha256(token.encode()).hexdigest()


# --- A right password without the account's one-time code looks like a wrong password -------------


@pytest.fixture
def olena_with_totp(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = UserFactory(username="olena")
    enrol(user)
    return user


@pytest.mark.parametrize("otp", [None, "wrong"], ids=["without a code", "with a wrong code"])
def test_a_right_password_without_the_right_code_answers_as_a_wrong_password_does(api, olena_with_totp, otp):
    code = {} if otp is None else {"otp": wrong_code(olena_with_totp)}

    right_password = login(api, **code)
    wrong_password = login(api, password="wrong", **code)

    assert right_password.status_code == wrong_password.status_code == 400
    assert right_password.json() == wrong_password.json() == REFUSED
    assert right_password.headers.keys() == wrong_password.headers.keys()


@pytest.mark.parametrize("otp", [None, "wrong"], ids=["without a code", "with a wrong code"])
def test_a_right_password_without_the_right_code_costs_what_a_wrong_one_does(api, olena_with_totp, otp):
    """The same queries, reads and writes alike: the time of the answer must not tell the password was right."""
    code = {} if otp is None else {"otp": wrong_code(olena_with_totp)}
    with CaptureQueriesContext(connection) as right_password:
        login(api, **code)
    with CaptureQueriesContext(connection) as wrong_password:
        login(api, password="wrong", **code)

    assert len(right_password) == len(wrong_password)
    assert statements(right_password) == statements(wrong_password)


def statements(queries) -> list[tuple[str, str | None]]:
    """Each query's kind (SELECT, UPDATE…) and first table."""
    tables = [re.search(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"', query["sql"]) for query in queries]
    return [(query["sql"].split()[0], table and table.group(1)) for query, table in zip(queries, tables, strict=True)]


def test_a_right_password_without_a_code_counts_towards_the_lockout(api, olena_with_totp, settings):
    settings.SLID_LOGIN_MAX_FAILURES = 3
    for password in (PASSWORD, "wrong", PASSWORD):
        assert login(api, password=password).status_code == 400

    assert login(api, otp=current_code(olena_with_totp)).status_code == 429


def test_the_audit_log_tells_a_missing_code_from_a_wrong_password(api, olena_with_totp):
    login(api)
    login(api, password="wrong")

    assert list(AuditEntry.objects.order_by("id").values_list("action", "target")) == [
        ("auth.otp_failed", "olena"),
        ("auth.login_failed", "olena"),
    ]


def test_the_right_password_and_code_log_in(api, olena_with_totp):
    response = login(api, otp=current_code(olena_with_totp))

    assert response.status_code == 200
    assert ApiToken.objects.get().second_factor is True


# --- Limits ---------------------------------------------------------------------------------------


def test_repeated_failures_lock_the_account_even_for_the_right_password(api, settings):
    settings.SLID_LOGIN_MAX_FAILURES = 3
    UserFactory(username="olena")
    for _ in range(3):
        assert login(api, password="guess").status_code == 400

    locked = login(api)

    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert locked.json()["detail"].startswith("Too many failed logins for this account; try again later.")
    assert AuditEntry.objects.filter(action="auth.login_failed", target="olena").count() == 3


def test_logins_are_throttled_per_client(api, settings):
    settings.SLID_LOGIN_RATE = "3/min"

    answers = [login(api, username=f"user{n}", password="x").status_code for n in range(4)]

    assert answers == [400, 400, 400, 429]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "x" * 151),
        ("username", "ol\u0000ena"),
        ("password", "x" * 4097),
        ("otp", "1" * 11),
        ("name", "x" * 101),
        ("name", "phone\u202e"),
        ("name", "   "),
    ],
)
def test_hostile_login_fields_are_refused_naming_the_field(api, field, value):
    UserFactory(username="olena")

    response = login(api, **{field: value})

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not ApiToken.objects.exists()


def test_responses_carry_security_headers_and_no_cors_grant(client_for):
    response = client_for(UserFactory()).get("/api/v1/cases/", HTTP_ORIGIN="https://evil.example")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Access-Control-Allow-Origin" not in response
