"""Signing in to the workspace, and out: the one sign-in service with its code, limits and audit."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from evidence.models import ApiToken, AuditEntry, IssuedPassword, Role
from tests.factories import MembershipFactory, UserFactory
from tests.otp import PASSWORD, current_code, enrol, wrong_code
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a passphrase of my own choosing"


def sign_in(client: Client, username: str = "olena", password: str = PASSWORD, **extra):
    return client.post("/signin/", {"username": username, "password": password, **extra})


@pytest.fixture
def olena(case_a):
    return MembershipFactory(case=case_a, role=Role.INVESTIGATOR, user=UserFactory(username="olena")).user


def test_the_root_sends_a_visitor_to_sign_in_and_shows_a_member_their_cases(olena, case_a):
    client = Client()

    assert (client.get("/").status_code, client.get("/")["Location"]) == (302, "/signin/")
    assert sign_in(client)["Location"] == "/"
    cases = client.get("/")
    assert cases.status_code == 200 and b"UA-2022-BUCHA" in cases.content


def test_an_account_with_a_second_factor_signs_in_only_with_its_code(olena):
    enrol(olena)
    client = Client()

    without = sign_in(client)
    wrong = sign_in(client, otp=wrong_code(olena))
    right = sign_in(client, otp=current_code(olena))

    assert [without.status_code, wrong.status_code] == [400, 400]
    assert "The username, password or one-time code is not right." in without.content.decode()
    assert right.status_code == 302
    assert client.get("/").status_code == 200
    assert list(AuditEntry.objects.order_by("id").values_list("action", "details")) == [
        ("auth.otp_failed", {}),
        ("auth.otp_failed", {}),
        ("auth.login", {"via": "web", "second_factor": True}),
    ]


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(olena):
    wrong = sign_in(Client(), password="not the password")
    unknown = sign_in(Client(), username="nobody")

    assert wrong.status_code == unknown.status_code == 400
    assert wrong.content.decode().replace("olena", "nobody").count("not right") == unknown.content.decode().count(
        "not right"
    )


def test_the_lockout_is_the_apis(olena, settings):
    settings.SLID_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert sign_in(Client(), password="guess").status_code == 400

    web = sign_in(Client())
    api = APIClient().post("/api/v1/auth/token/", {"username": "olena", "password": PASSWORD}, format="json")

    assert web.status_code == 429 and int(web["Retry-After"]) > 0
    assert "Too many attempts" in web.content.decode()
    assert api.status_code == 429


def test_the_client_throttle_is_the_apis(olena, settings):
    settings.SLID_LOGIN_RATE = "2/min"
    APIClient().post("/api/v1/auth/token/", {"username": "olena", "password": PASSWORD}, format="json")
    sign_in(Client())

    assert sign_in(Client()).status_code == 429


def test_signing_in_sends_one_back_only_to_a_page_of_slid(olena):
    inside = sign_in(Client(), next="/cases/UA-2022-BUCHA/")
    outside = sign_in(Client(), next="https://evil.example/phish")
    scheme_relative = sign_in(Client(), next="//evil.example/")

    assert [inside["Location"], outside["Location"], scheme_relative["Location"]] == [
        "/cases/UA-2022-BUCHA/",
        "/",
        "/",
    ]


def test_a_session_ends_slid_session_hours_after_signing_in(olena, settings):
    assert settings.SESSION_COOKIE_AGE == settings.SLID_SESSION_HOURS * 3600 == 12 * 3600
    client = Client()
    sign_in(client)
    session = Session.objects.get()

    assert timedelta(hours=11, minutes=59) < session.expire_date - timezone.now() <= timedelta(hours=12)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/cases/UA-2022-BUCHA/")["Location"] == "/signin/?next=/cases/UA-2022-BUCHA/"


def test_signing_out_ends_the_session_and_is_audited(olena):
    client = Client()
    sign_in(client)

    out = client.post("/signout/")

    assert out["Location"] == "/signin/"
    assert client.get("/")["Location"] == "/signin/"
    assert not Session.objects.exists()
    assert AuditEntry.objects.filter(action="auth.logout", details={"via": "web"}, actor=olena).count() == 1


def test_signing_out_everywhere_ends_every_session_and_revokes_every_token(olena):
    here, elsewhere, someone_else = Client(), Client(), Client()
    sign_in(here)
    sign_in(elsewhere)
    colleague = UserFactory(username="taras")
    sign_in(someone_else, username="taras")
    token = token_for(olena, "phone")
    colleagues_token = token_for(colleague, "laptop")

    answer = here.post("/signout/everywhere/", follow=True)

    assert answer.redirect_chain == [("/signin/", 302)]
    assert "signed out everywhere: 1 other browser session, 1 device of the API" in answer.content.decode()
    assert here.get("/")["Location"] == elsewhere.get("/")["Location"] == "/signin/"
    assert APIClient(headers={"Authorization": f"Token {token}"}).get("/api/v1/cases/").status_code == 401
    assert someone_else.get("/").status_code == 200
    assert APIClient(headers={"Authorization": f"Token {colleagues_token}"}).get("/api/v1/cases/").status_code == 200
    assert AuditEntry.objects.filter(
        actor=olena, action="auth.logout", details={"via": "web", "everywhere": True, "tokens": 1, "sessions": 1}
    ).exists()


def test_every_form_needs_its_csrf_token(olena):
    client = Client(enforce_csrf_checks=True)

    assert sign_in(client).status_code == 403
    client.force_login(olena)
    assert client.post("/signout/").status_code == 403
    assert client.post("/signout/everywhere/").status_code == 403
    assert client.post("/i18n/setlang/", {"language": "uk"}).status_code == 403


@pytest.mark.parametrize(
    "fields",
    [
        {"username": "o" * 10_000},
        {"username": "ol\x00ena"},
        {"username": ""},
        {"otp": "1" * 500},
        {"password": "p" * 5000},
    ],
    ids=["long username", "NUL in username", "empty username", "long code", "long password"],
)
def test_hostile_sign_in_input_is_refused_as_a_form_error(olena, fields):
    response = sign_in(Client(), **fields)

    assert response.status_code == 400
    assert b"field-error" in response.content or b"form-errors" in response.content


def test_a_colleague_with_an_issued_password_must_choose_their_own_first(olena):
    IssuedPassword.objects.create(user=olena, expires_at=timezone.now() + timedelta(days=1))
    token = token_for(olena, "phone")
    client = Client()

    assert sign_in(client)["Location"] == "/account/password/"
    assert client.get("/cases/UA-2022-BUCHA/")["Location"] == "/account/password/"
    differ = client.post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": "something else"},
    )
    common = client.post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password": "password1234", "new_password_again": "password1234"},
    )
    chosen = client.post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )

    assert differ.status_code == 400 and "The two new passwords differ." in differ.content.decode()
    assert common.status_code == 400 and "This password is too common." in common.content.decode()
    assert chosen["Location"] == "/"
    assert client.get("/cases/UA-2022-BUCHA/").status_code == 200  # this session goes on
    assert not IssuedPassword.objects.filter(user=olena).exists()
    assert not ApiToken.objects.filter(pk__gt=0, user=olena).exists(), token
    assert sign_in(Client(), password=NEW_PASSWORD)["Location"] == "/"


def test_a_wrong_current_password_counts_towards_the_lockout(olena, settings):
    settings.SLID_LOGIN_MAX_FAILURES = 2
    client = Client()
    client.force_login(olena)
    body = {"current_password": "guess", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}

    assert [client.post("/account/password/", body).status_code for _ in range(3)] == [400, 400, 429]


def test_a_form_without_its_token_gets_a_page_of_the_workspace_that_says_what_to_do():
    refused = Client(enforce_csrf_checks=True, headers={"Accept-Language": "uk"}).post("/signin/", {"username": "x"})

    assert refused.status_code == 403
    assert "Форму не прийнято" in refused.content.decode()
    assert refused["Content-Security-Policy"].startswith("default-src 'self'")
