import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_token_is_issued_for_a_correct_password(api):
    UserFactory(username="olena")

    response = api.post("/api/v1/auth/token/", {"username": "olena", "password": "correct horse battery staple"})

    assert response.status_code == 200
    assert len(response.json()["token"]) == 40


def test_a_wrong_password_gets_no_token(api):
    UserFactory(username="olena")

    response = api.post("/api/v1/auth/token/", {"username": "olena", "password": "wrong"})

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with the given username and password."]}


def test_a_token_request_without_password_names_the_field(api):
    response = api.post("/api/v1/auth/token/", {"username": "olena"})

    assert response.status_code == 400
    assert "password" in response.json()


def test_the_issued_token_reaches_the_cases(api):
    UserFactory(username="olena")
    token = api.post("/api/v1/auth/token/", {"username": "olena", "password": "correct horse battery staple"}).json()

    api.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")

    assert api.get("/api/v1/cases/").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/cases/1/", "/api/v1/cases/1/members/"])
def test_anonymous_requests_get_401(api, path):
    response = api.get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_no_longer_works_and_the_logout_is_audited(client_for):
    from evidence.models import AuditEntry

    user = UserFactory()
    client = client_for(user)

    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/cases/").status_code == 401
    assert AuditEntry.objects.filter(action="auth.logout", actor=user).exists()


def login(api, username="olena", password="correct horse battery staple"):
    return api.post("/api/v1/auth/token/", {"username": username, "password": password})


def test_a_token_expires(api, settings):
    from datetime import timedelta

    from rest_framework.authtoken.models import Token

    UserFactory(username="olena")
    token = login(api).json()["token"]
    Token.objects.filter(key=token).update(created=Token.objects.get(key=token).created - timedelta(hours=13))
    settings.SLID_TOKEN_TTL_HOURS = 12
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = api.get("/api/v1/cases/")

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert not Token.objects.filter(key=token).exists()


def test_logging_in_again_rotates_the_token(api):
    UserFactory(username="olena")
    first = login(api).json()
    second = login(api).json()

    assert first["token"] != second["token"]
    assert second["expires_at"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert api.get("/api/v1/cases/").status_code == 401


def test_repeated_failures_lock_the_account_even_for_the_right_password(api, settings):
    from evidence.models import AuditEntry

    settings.SLID_LOGIN_MAX_FAILURES = 3
    UserFactory(username="olena")
    for _ in range(3):
        assert login(api, password="guess").status_code == 400

    locked = login(api)

    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "Too many failed logins" in locked.json()["detail"]
    assert AuditEntry.objects.filter(action="auth.login_failed", target="olena").count() == 3


def test_logins_are_throttled_per_client(api, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "3/min"})

    answers = [login(api, username=f"user{n}", password="x").status_code for n in range(4)]

    assert answers == [400, 400, 400, 429]


def test_responses_carry_security_headers_and_no_cors_grant(client_for):
    response = client_for(UserFactory()).get("/api/v1/cases/", HTTP_ORIGIN="https://evil.example")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Access-Control-Allow-Origin" not in response
