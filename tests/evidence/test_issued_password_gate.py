"""A password a staff member issued only lets its owner choose their own, and only until it expires: at
every sign-in (the API's, the admin's, the workspace's) and in the admin, whose pages an account that has
not chosen its own password does not reach."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from evidence.models import ApiToken, AuditEntry, IssuedPassword
from evidence.services.accounts import user_password_issue
from tests.factories import UserFactory
from tests.otp import current_code, enrol

pytestmark = pytest.mark.django_db

EXPIRED = "expired"
NEW_PASSWORD = "quiet orchard under snow"


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def clerk(db):
    return UserFactory(username="clerk", is_staff=True, is_superuser=True)


def expire(user) -> None:
    IssuedPassword.objects.filter(user=user).update(
        issued_at=timezone.now() - timedelta(hours=100), expires_at=timezone.now() - timedelta(hours=1)
    )


def admin_login(client: Client, username: str, password: str, **extra):
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/", **extra})


# --- Signing in with an expired one ------------------------------------------------------------------


def test_an_expired_one_time_password_is_refused_by_the_api_login_saying_so(root):
    olena = UserFactory(username="olena")
    password, _ = user_password_issue(actor=root, user=olena)
    expire(olena)

    response = APIClient().post("/api/v1/auth/token/", {"username": "olena", "password": password}, format="json")

    assert response.status_code == 400
    message = response.json()["password"][0]
    assert EXPIRED in message and "ask a staff member for a new one" in message
    assert not ApiToken.objects.filter(user=olena).exists()
    entry = AuditEntry.objects.filter(action="auth.login_failed").get()
    assert (entry.actor, entry.details) == (olena, {"reason": "one_time_password_expired"})


def test_a_wrong_password_of_an_account_whose_one_time_password_expired_gets_the_usual_answer(root):
    olena = UserFactory(username="olena")
    user_password_issue(actor=root, user=olena)
    expire(olena)

    response = APIClient().post("/api/v1/auth/token/", {"username": "olena", "password": "wrong-guess"}, format="json")

    assert response.status_code == 400
    assert EXPIRED not in str(response.json())
    assert "Unable to log in" in response.json()["non_field_errors"][0]


def test_an_expired_one_time_password_is_told_apart_only_after_the_second_factor(root):
    olena = UserFactory(username="olena")
    enrol(olena)
    password, _ = user_password_issue(actor=root, user=olena)
    expire(olena)
    api = APIClient()

    without_code = api.post("/api/v1/auth/token/", {"username": "olena", "password": password}, format="json")
    with_code = api.post(
        "/api/v1/auth/token/", {"username": "olena", "password": password, "otp": current_code(olena)}, format="json"
    )

    assert without_code.status_code == 400 and EXPIRED not in str(without_code.json())
    assert with_code.status_code == 400 and EXPIRED in with_code.json()["password"][0]
    assert not ApiToken.objects.filter(user=olena).exists()


def test_an_expired_one_time_password_does_not_count_towards_the_lockout(root, settings):
    settings.SLID_LOGIN_MAX_FAILURES = 2
    olena = UserFactory(username="olena")
    password, _ = user_password_issue(actor=root, user=olena)
    expire(olena)
    api = APIClient()
    for _attempt in range(3):
        api.post("/api/v1/auth/token/", {"username": "olena", "password": password}, format="json")

    again = user_password_issue(actor=root, user=olena)[0]
    response = api.post("/api/v1/auth/token/", {"username": "olena", "password": again}, format="json")

    assert response.status_code == 200, response.content


def test_an_expired_one_time_password_does_not_open_the_admin(root, clerk):
    password, _ = user_password_issue(actor=root, user=clerk)
    expire(clerk)
    client = Client()

    response = admin_login(client, "clerk", password)

    assert response.status_code == 200  # the form again, saying why
    assert EXPIRED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_expired_one_time_password_does_not_open_the_workspace(root):
    olena = UserFactory(username="olena")
    password, _ = user_password_issue(actor=root, user=olena)
    expire(olena)
    client = Client()

    response = client.post("/signin/", {"username": "olena", "password": password})

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.login_failed", actor=olena).exists()


# --- The admin, before one's own password is chosen -------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/admin/evidence/auditentry/", "/admin/evidence/case/"])
def test_the_admin_sends_an_account_with_an_issued_password_to_choose_its_own(root, clerk, path):
    password, _ = user_password_issue(actor=root, user=clerk)
    client = Client()
    assert admin_login(client, "clerk", password).status_code == 302

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == "/admin/password_change/"
    assert client.get("/admin/password_change/").status_code == 200


def test_once_its_own_password_is_chosen_the_admin_opens(root, clerk):
    password, _ = user_password_issue(actor=root, user=clerk)
    client = Client()
    admin_login(client, "clerk", password)

    changed = client.post(
        "/admin/password_change/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert changed.status_code == 302, changed.content
    assert not IssuedPassword.objects.filter(user=clerk).exists()
    assert client.get("/admin/evidence/auditentry/").status_code == 200


def test_an_admin_session_whose_issued_password_expired_reaches_no_admin_page(root, clerk):
    password, _ = user_password_issue(actor=root, user=clerk)
    client = Client()
    admin_login(client, "clerk", password)
    expire(clerk)

    for path in ("/admin/", "/admin/evidence/auditentry/", "/admin/password_change/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/admin/login/"), path
