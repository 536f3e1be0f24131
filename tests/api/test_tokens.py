"""A token for each device: a phone and a laptop both stay signed in, and their owner sees and
revokes each one (issue 17, item 4)."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from evidence.models import ApiToken, AuditEntry
from tests.factories import UserFactory
from tests.otp import PASSWORD

pytestmark = pytest.mark.django_db


def login(name: str | None = None, username: str = "olena") -> dict:
    body = {"username": username, "password": PASSWORD} | ({"name": name} if name is not None else {})
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def olena(db):
    return UserFactory(username="olena")


def test_a_phone_and_a_laptop_both_stay_signed_in(olena):
    phone = login("phone")["token"]
    laptop = login("laptop")["token"]

    assert client_with(phone).get("/api/v1/cases/").status_code == 200
    assert client_with(laptop).get("/api/v1/cases/").status_code == 200


def test_signing_in_again_on_the_same_device_replaces_its_token(olena):
    old = login("phone")["token"]
    new = login("phone")["token"]

    assert client_with(old).get("/api/v1/cases/").status_code == 401
    assert client_with(new).get("/api/v1/cases/").status_code == 200
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["phone"]


def test_a_login_without_a_name_is_the_default_device(olena):
    first = login()
    second = login()

    assert (first["name"], second["name"]) == ("default", "default")
    assert client_with(first["token"]).get("/api/v1/cases/").status_code == 401


def test_the_owner_lists_their_devices_without_the_secrets(olena):
    phone = login("phone")
    laptop = login("laptop")
    login("someone else's", username=UserFactory(username="taras").username)

    response = client_with(laptop["token"]).get("/api/v1/auth/tokens/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    listed = {token["name"]: token for token in body["results"]}
    assert set(listed) == {"phone", "laptop"}
    assert set(listed["phone"]) == {"id", "name", "created_at", "last_used_at", "expires_at", "current"}
    assert (listed["phone"]["current"], listed["laptop"]["current"]) == (False, True)
    assert listed["phone"]["id"] == phone["id"]
    assert listed["phone"]["expires_at"] == phone["expires_at"]
    assert phone["token"] not in response.content.decode() and laptop["token"] not in response.content.decode()


def test_a_device_is_revoked_by_its_owner_and_its_token_then_refused(olena):
    phone = login("phone")
    laptop = login("laptop")

    response = client_with(laptop["token"]).delete(f"/api/v1/auth/tokens/{phone['id']}/")

    assert response.status_code == 204
    refused = client_with(phone["token"]).get("/api/v1/cases/")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "Invalid token."}
    assert client_with(laptop["token"]).get("/api/v1/cases/").status_code == 200
    entry = AuditEntry.objects.get(action="auth.logout")
    assert (entry.actor, entry.target, entry.details) == (olena, "olena", {"token": phone["id"], "name": "phone"})


def test_another_users_device_cannot_be_revoked_or_seen(olena):
    taras_phone = login("phone", username=UserFactory(username="taras").username)
    olena_laptop = login("laptop")

    response = client_with(olena_laptop["token"]).delete(f"/api/v1/auth/tokens/{taras_phone['id']}/")

    assert response.status_code == 404
    assert client_with(taras_phone["token"]).get("/api/v1/cases/").status_code == 200


@pytest.mark.parametrize("token_id", ["abc", "-1", "99999999999999999999999", "1.5"])
def test_a_token_id_that_is_not_one_answers_404(olena, token_id):
    laptop = login("laptop")

    assert client_with(laptop["token"]).delete(f"/api/v1/auth/tokens/{token_id}/").status_code == 404


def test_signing_out_everywhere_revokes_every_device_of_the_owner_only(olena):
    phone, laptop = login("phone"), login("laptop")
    taras = login("phone", username=UserFactory(username="taras").username)

    response = client_with(laptop["token"]).delete("/api/v1/auth/tokens/")

    assert response.status_code == 204
    assert client_with(phone["token"]).get("/api/v1/cases/").status_code == 401
    assert client_with(laptop["token"]).get("/api/v1/cases/").status_code == 401
    assert client_with(taras["token"]).get("/api/v1/cases/").status_code == 200
    assert AuditEntry.objects.get(action="auth.logout").details == {"everywhere": True, "tokens": 2, "sessions": 0}


def test_signing_out_revokes_only_the_token_used(olena):
    phone, laptop = login("phone"), login("laptop")

    assert client_with(phone["token"]).delete("/api/v1/auth/token/").status_code == 204

    assert client_with(phone["token"]).get("/api/v1/cases/").status_code == 401
    assert client_with(laptop["token"]).get("/api/v1/cases/").status_code == 200


def test_expired_devices_are_not_listed_and_do_not_work(olena):
    phone, laptop = login("phone"), login("laptop")
    ApiToken.objects.filter(pk=phone["id"]).update(
        created_at=timezone.now() - timedelta(hours=12), expires_at=timezone.now() - timedelta(seconds=1)
    )

    listed = client_with(laptop["token"]).get("/api/v1/auth/tokens/").json()

    assert [token["name"] for token in listed["results"]] == ["laptop"]
    assert client_with(phone["token"]).get("/api/v1/cases/").status_code == 401


def test_a_token_records_when_it_was_last_used_to_the_minute(olena):
    laptop = login("laptop")
    token = ApiToken.objects.get(pk=laptop["id"])
    assert token.last_used_at == token.created_at  # signing in is a use
    two_minutes_ago = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(created_at=two_minutes_ago, last_used_at=two_minutes_ago)

    client_with(laptop["token"]).get("/api/v1/cases/")
    used = ApiToken.objects.get(pk=laptop["id"]).last_used_at
    client_with(laptop["token"]).get("/api/v1/cases/")

    assert timezone.now() - used < timedelta(seconds=10)
    assert ApiToken.objects.get(pk=laptop["id"]).last_used_at == used  # not written again within the minute


def test_a_deactivated_user_s_tokens_stop_working(olena):
    laptop = login("laptop")
    olena.is_active = False
    olena.save()

    assert client_with(laptop["token"]).get("/api/v1/cases/").status_code == 401


def test_the_token_routes_need_a_signed_in_user(api):
    assert api.get("/api/v1/auth/tokens/").status_code == 401
    assert api.delete("/api/v1/auth/tokens/").status_code == 401
    assert api.delete("/api/v1/auth/tokens/1/").status_code == 401


# --- Sessions (the admin's, the workspace's) are signed in as devices are ------------------------------


def browser_of(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_signing_out_everywhere_ends_the_sessions_too(olena):
    admin_tab, other_browser = browser_of(olena), browser_of(olena)
    someone_else = browser_of(UserFactory(username="taras"))
    laptop = login("laptop")

    response = client_with(laptop["token"]).delete("/api/v1/auth/tokens/")

    assert response.status_code == 204
    assert admin_tab.get("/api/v1/cases/").status_code == 401
    assert other_browser.get("/api/v1/cases/").status_code == 401
    assert someone_else.get("/api/v1/cases/").status_code == 200
    assert AuditEntry.objects.get(action="auth.logout").details == {"everywhere": True, "tokens": 1, "sessions": 2}


def test_signing_out_everywhere_from_a_session_ends_it_too(olena):
    browser = browser_of(olena)
    phone = login("phone")

    assert browser.delete("/api/v1/auth/tokens/").status_code == 204

    assert browser.get("/api/v1/cases/").status_code == 401
    assert client_with(phone["token"]).get("/api/v1/cases/").status_code == 401


def test_a_session_lasts_as_long_as_a_token(olena):
    """Not Django's two weeks: a session is a sign-in like a token, and reaches the same API."""
    browser = browser_of(olena)

    assert browser.session.get_expiry_age() == 12 * 3600


def test_the_session_lifetime_follows_the_token_lifetime_setting():
    program = "from config.settings import base; print(base.SESSION_COOKIE_AGE)"
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=Path(__file__).resolve().parents[2],
        env={"PATH": os.environ["PATH"], "SLID_TOKEN_TTL_HOURS": "5"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(5 * 3600)
