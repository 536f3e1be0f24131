"""Accounts through the API (issue 17, item 5): staff create a colleague's account, whose one-time
password is shown once and must be replaced before anything else works; staff list, deactivate,
reactivate and issue new one-time passwords; everyone changes their own password."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from api.permissions import CHOOSE_YOUR_OWN_FIRST
from evidence.models import ApiToken, AuditEntry, IssuedPassword, Role
from tests.factories import UserFactory
from tests.otp import PASSWORD, current_code, enrol
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

User = get_user_model()
USERS = "/api/v1/users/"
CHANGE = "/api/v1/auth/password/"
NEW_PASSWORD = "quiet orchard under snow"
ONE_TIME_PASSWORD_FORMAT = re.compile(r"^[a-hj-km-np-z2-9]{4}(-[a-hj-km-np-z2-9]{4}){3}$")


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def login(username: str, password: str, **extra):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password, **extra})


@pytest.fixture
def staff(db):
    return UserFactory(username="registrar", is_staff=True)


@pytest.fixture
def staff_client(client_for, staff):
    return client_for(staff)


def create(client, **fields):
    body = {"username": "olena", "email": "olena.k@example.org", "first_name": "Olena", "last_name": "K."} | fields
    return client.post(USERS, body)


# --- Creating an account ---------------------------------------------------------------------------


def test_staff_create_an_account_and_see_its_one_time_password_once(staff_client, staff):
    response = create(staff_client)

    assert response.status_code == 201, response.content
    body = response.json()
    assert ONE_TIME_PASSWORD_FORMAT.match(body["one_time_password"]), body["one_time_password"]
    assert response["Cache-Control"] == "no-store"
    assert {k: body[k] for k in ("username", "email", "first_name", "last_name", "is_active", "is_staff")} == {
        "username": "olena", "email": "olena.k@example.org", "first_name": "Olena", "last_name": "K.",
        "is_active": True, "is_staff": False,
    }  # fmt: skip
    assert body["must_change_password"] is True
    olena = User.objects.get(username="olena")
    assert olena.check_password(body["one_time_password"])
    assert body["one_time_password"] not in olena.password  # only its hash is kept
    entry = AuditEntry.objects.get(action="user.create")
    assert (entry.actor, entry.target, entry.case) == (staff, "olena", None)
    assert body["one_time_password"] not in str(entry.details)
    # Shown once: reading the account again never shows it.
    again = staff_client.get(f"{USERS}{olena.pk}/").json()
    assert "one_time_password" not in again
    assert again["must_change_password"] is True


def test_the_one_time_password_expires_after_the_configured_hours(staff_client, settings):
    settings.SLID_ONE_TIME_PASSWORD_HOURS = 5
    before = timezone.now()

    body = create(staff_client).json()

    issued = IssuedPassword.objects.get(user_id=body["id"])
    assert timedelta(hours=5) <= issued.expires_at - before < timedelta(hours=5, minutes=1)
    assert body["password_expires_at"] is not None


def test_the_new_colleague_must_change_the_password_before_anything_else_works(staff_client):
    one_time = create(staff_client).json()["one_time_password"]
    signed_in = login("olena", one_time)
    assert signed_in.status_code == 200, signed_in.content
    olena = client_with(signed_in.json()["token"])

    blocked = olena.get("/api/v1/cases/")
    changed = olena.post(CHANGE, {"current_password": one_time, "new_password": NEW_PASSWORD})
    after = olena.get("/api/v1/cases/")

    assert blocked.status_code == 403
    assert blocked.json() == {"detail": CHOOSE_YOUR_OWN_FIRST}
    assert "POST /api/v1/auth/password/" in blocked.json()["detail"]
    assert changed.status_code == 200, changed.content
    assert after.status_code == 200
    assert not IssuedPassword.objects.filter(user__username="olena").exists()
    assert login("olena", one_time).status_code == 400  # one time only
    assert login("olena", NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/"), ("get", "/api/v1/health/"), ("get", "/api/v1/auth/tokens/"), ("post", "/api/v1/auth/totp/"),
     ("get", USERS), ("options", "/api/v1/cases/"), ("head", "/api/v1/cases/")],
)  # fmt: skip
def test_an_issued_password_blocks_every_other_route(client_for, method, path):
    olena = UserFactory(username="olena", is_staff=True)
    IssuedPassword.objects.create(user=olena, expires_at=timezone.now() + timedelta(hours=1))

    response = getattr(client_for(olena), method)(path)

    assert response.status_code == 403


def test_an_account_with_an_issued_password_may_sign_out(client_for):
    olena = UserFactory(username="olena")
    IssuedPassword.objects.create(user=olena, expires_at=timezone.now() + timedelta(hours=1))
    client = client_for(olena)

    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert not ApiToken.objects.filter(user=olena).exists()


def test_an_expired_one_time_password_can_only_sign_out(client_for):
    olena = UserFactory(username="olena")
    IssuedPassword.objects.create(
        user=olena, issued_at=timezone.now() - timedelta(days=4), expires_at=timezone.now() - timedelta(days=1)
    )
    client = client_for(olena)

    change = client.post(CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert change.status_code == 403
    assert "expired" in change.json()["detail"] and "ask a staff member" in change.json()["detail"]
    assert client.get("/api/v1/cases/").status_code == 403
    assert User.objects.get(pk=olena.pk).check_password(PASSWORD)
    assert client.delete("/api/v1/auth/token/").status_code == 204


@pytest.mark.parametrize("username", ["olena", "OLENA", "Olena"])
def test_a_duplicate_username_in_any_case_is_refused_naming_the_field(staff_client, username):
    UserFactory(username="olena", email="first@example.org")
    accounts, entries = User.objects.count(), AuditEntry.objects.count()

    response = create(staff_client, username=username, email="second@example.org")

    assert response.status_code == 400
    assert response.json() == {"username": ["An account with this username already exists."]}
    assert (User.objects.count(), AuditEntry.objects.count()) == (accounts, entries)


def test_a_duplicate_email_in_any_case_is_refused_naming_the_field(staff_client):
    UserFactory(username="first", email="olena.k@example.org")

    response = create(staff_client, email="Olena.K@EXAMPLE.org")

    assert response.status_code == 400
    assert response.json() == {"email": ["An account with this e-mail address already exists."]}
    assert not User.objects.filter(username="olena").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "olena k"}, "username"),
        ({"username": ""}, "username"),
        ({"username": "o" * 151}, "username"),
        ({"username": "ole\x00na"}, "username"),
        ({"email": "not an address"}, "email"),
        ({"email": ""}, "email"),
        ({"first_name": "x" * 151}, "first_name"),
        ({"is_staff": True}, "is_staff"),
        ({"is_superuser": True}, "is_superuser"),
        ({"password": "chosen by staff"}, "password"),
        ({"username": ["olena"]}, "username"),
    ],
)
def test_bad_account_input_names_the_field_and_writes_nothing(staff_client, fields, field):
    accounts = User.objects.count()

    response = create(staff_client, **fields)

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert User.objects.count() == accounts


def test_an_account_without_an_email_is_refused(staff_client):
    response = staff_client.post(USERS, {"username": "olena"})

    assert response.status_code == 400
    assert "email" in response.json()


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.LEAD, Role.INVESTIGATOR, Role.ANALYST, Role.LEGAL])
def test_non_staff_may_neither_list_nor_read_nor_create_accounts(client_for, case_a, member_of, role):
    client = client_for(member_of(case_a, role))
    someone = UserFactory(username="someone")

    assert client.get(USERS).status_code == 403
    assert client.get(f"{USERS}?q=some").status_code == 403
    assert client.get(f"{USERS}{someone.pk}/").status_code == 403
    assert create(client).status_code == 403
    assert client.post(f"{USERS}{someone.pk}/deactivate/").status_code == 403
    assert client.post(f"{USERS}{someone.pk}/password/").status_code == 403
    assert not User.objects.filter(username="olena").exists()
    assert User.objects.get(pk=someone.pk).is_active


def test_anonymous_callers_get_401(api):
    assert api.get(USERS).status_code == 401
    assert create(api).status_code == 401


# --- Listing -------------------------------------------------------------------------------------


def test_staff_search_accounts_by_part_of_the_username_or_email(staff_client):
    UserFactory(username="olena", email="olena@kyiv.example.org")
    UserFactory(username="taras", email="taras@KYIV.example.org")
    UserFactory(username="mykola", email="mykola@lviv.example.org")

    by_email = staff_client.get(f"{USERS}?q=kyiv").json()
    by_username = staff_client.get(f"{USERS}?q=KOL").json()

    assert [row["username"] for row in by_email["results"]] == ["olena", "taras"]
    assert [row["username"] for row in by_username["results"]] == ["mykola"]


def test_the_account_list_is_paginated_and_filters_deactivated_accounts(staff_client):
    for n in range(5):
        UserFactory(username=f"member{n}", is_active=n != 3)

    page = staff_client.get(f"{USERS}?page_size=2&q=member").json()
    inactive = staff_client.get(f"{USERS}?is_active=false").json()

    assert page["count"] == 5
    assert [row["username"] for row in page["results"]] == ["member0", "member1"]
    assert page["next"] is not None
    assert [row["username"] for row in inactive["results"]] == ["member3"]


def test_the_account_list_runs_three_queries_whatever_the_page_size(staff_client, django_assert_num_queries):
    for n in range(6):
        user = UserFactory(username=f"member{n}")
        if n % 2:
            IssuedPassword.objects.create(user=user, expires_at=timezone.now() + timedelta(hours=1))

    # the token (with its user and issued password), the count, the page
    for size in (1, 6):
        with django_assert_num_queries(3):
            body = staff_client.get(f"{USERS}?page_size={size}&q=member").json()
        assert len(body["results"]) == size
    assert [row["must_change_password"] for row in body["results"]] == [False, True] * 3


# --- Deactivating, reactivating ----------------------------------------------------------------


def test_staff_deactivate_an_account_which_is_kept_and_stops_working(staff_client, staff, case_a, member_of):
    olena = member_of(case_a, Role.INVESTIGATOR, username="olena")
    token = token_for(olena)

    response = staff_client.post(f"{USERS}{olena.pk}/deactivate/")

    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    assert client_with(token).get("/api/v1/cases/").status_code == 401
    assert not ApiToken.objects.filter(user=olena).exists()
    assert login("olena", PASSWORD).status_code == 400
    assert User.objects.filter(pk=olena.pk, is_active=False).exists()  # never deleted
    assert case_a.memberships.filter(user=olena).exists()
    entry = AuditEntry.objects.get(action="user.deactivate")
    assert (entry.actor, entry.target, entry.details) == (
        staff,
        "olena",
        {"user": olena.pk, "tokens_revoked": 1, "sessions_ended": 0},
    )


def test_deactivating_twice_is_recorded_once(staff_client):
    olena = UserFactory(username="olena")

    first = staff_client.post(f"{USERS}{olena.pk}/deactivate/")
    second = staff_client.post(f"{USERS}{olena.pk}/deactivate/")

    assert (first.status_code, second.status_code) == (200, 200)
    assert AuditEntry.objects.filter(action="user.deactivate").count() == 1


def test_staff_reactivate_an_account(staff_client):
    olena = UserFactory(username="olena", is_active=False)

    response = staff_client.post(f"{USERS}{olena.pk}/activate/")

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert login("olena", PASSWORD).status_code == 200
    assert AuditEntry.objects.filter(action="user.activate", target="olena").count() == 1


def test_an_unknown_account_is_404_for_staff(staff_client):
    assert staff_client.get(f"{USERS}999999/").status_code == 404
    assert staff_client.post(f"{USERS}999999/deactivate/").status_code == 404


@pytest.mark.parametrize("route", ["deactivate", "password"])
def test_a_staff_member_may_not_manage_another_staff_account_or_their_own(staff_client, staff, route):
    colleague = UserFactory(username="colleague", is_staff=True)
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)

    answers = [staff_client.post(f"{USERS}{user.pk}/{route}/").status_code for user in (colleague, admin, staff)]

    assert answers == [403, 403, 403]
    assert User.objects.filter(pk__in=[colleague.pk, admin.pk, staff.pk], is_active=True).count() == 3
    assert all(User.objects.get(pk=user.pk).check_password(PASSWORD) for user in (colleague, admin, staff))
    assert not AuditEntry.objects.filter(action__startswith="user.").exists()


def test_a_superuser_may_manage_staff_accounts_but_not_their_own(client_for):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    colleague = UserFactory(username="colleague", is_staff=True)
    client = client_for(admin)

    assert client.post(f"{USERS}{colleague.pk}/deactivate/").status_code == 200
    assert client.post(f"{USERS}{admin.pk}/deactivate/").status_code == 403
    assert User.objects.get(pk=admin.pk).is_active


# --- A new one-time password --------------------------------------------------------------------


def test_staff_issue_a_new_one_time_password_which_signs_every_device_out(staff_client, staff):
    olena = UserFactory(username="olena")
    phone = token_for(olena, "phone")

    response = staff_client.post(f"{USERS}{olena.pk}/password/")

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    one_time = response.json()["one_time_password"]
    assert ONE_TIME_PASSWORD_FORMAT.match(one_time)
    assert response.json()["must_change_password"] is True
    assert client_with(phone).get("/api/v1/cases/").status_code == 401
    assert login("olena", PASSWORD).status_code == 400
    signed_in = login("olena", one_time)
    assert client_with(signed_in.json()["token"]).get("/api/v1/cases/").status_code == 403
    entry = AuditEntry.objects.get(action="user.password_issue")
    assert (entry.actor, entry.target, entry.details["tokens_revoked"]) == (staff, "olena", 1)
    assert one_time not in str(entry.details)


def test_a_deactivated_account_gets_no_new_password(staff_client):
    olena = UserFactory(username="olena", is_active=False)

    response = staff_client.post(f"{USERS}{olena.pk}/password/")

    assert response.status_code == 400
    assert "reactivate" in response.json()["detail"]
    assert User.objects.get(pk=olena.pk).check_password(PASSWORD)


# --- Changing one's own password ------------------------------------------------------------------


def test_changing_ones_password_signs_out_the_other_devices_only(client_for):
    olena = UserFactory(username="olena")
    laptop, phone = token_for(olena, "laptop"), token_for(olena, "phone")

    response = client_with(laptop).post(CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 200, response.content
    assert response.json()["signed_out"] == 1
    assert client_with(laptop).get("/api/v1/cases/").status_code == 200
    assert client_with(phone).get("/api/v1/cases/").status_code == 401
    assert User.objects.get(pk=olena.pk).check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(action="auth.password_change")
    assert (entry.actor, entry.details) == (olena, {"was_issued": False, "tokens_revoked": 1, "sessions_ended": 0})


def test_a_wrong_current_password_is_refused_and_counts_towards_the_lockout(client_for, settings):
    settings.SLID_LOGIN_MAX_FAILURES = 2
    olena = UserFactory(username="olena")
    client = client_for(olena)

    answers = [
        client.post(CHANGE, {"current_password": "a guess", "new_password": NEW_PASSWORD}).status_code for _ in range(3)
    ]

    assert answers == [400, 400, 429]
    assert client.post(CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}).status_code == 429
    assert login("olena", PASSWORD).status_code == 429  # the same lock as the login's
    assert User.objects.get(pk=olena.pk).check_password(PASSWORD)
    assert AuditEntry.objects.filter(action="auth.login_failed", target="olena").count() == 2


def test_a_wrong_current_password_names_the_field(client_for):
    response = client_for(UserFactory()).post(CHANGE, {"current_password": "a guess", "new_password": NEW_PASSWORD})

    assert response.status_code == 400
    assert list(response.json()) == ["current_password"]


@pytest.mark.parametrize(
    ("new_password", "reason"),
    [
        ("short one", "too short"),
        ("123456789012345", "entirely numeric"),
        ("password12345", "too common"),
        ("olena-the-investigator", "too similar"),
        (PASSWORD, "different from the current one"),
    ],
)
def test_a_new_password_the_rules_refuse_names_the_field_and_changes_nothing(client_for, new_password, reason):
    olena = UserFactory(username="olena-the-investigator")
    other = token_for(olena, "phone")

    response = client_for(olena).post(CHANGE, {"current_password": PASSWORD, "new_password": new_password})

    assert response.status_code == 400
    assert list(response.json()) == ["new_password"]
    assert reason in " ".join(response.json()["new_password"])
    assert User.objects.get(pk=olena.pk).check_password(PASSWORD)
    assert client_with(other).get("/api/v1/cases/").status_code == 200
    assert not AuditEntry.objects.filter(action="auth.password_change").exists()


def test_an_account_with_a_second_factor_gives_its_code_to_change_the_password(client_for):
    olena = UserFactory(username="olena")
    enrol(olena)
    client = client_with(token_for(olena, second_factor=True))  # an account with a code signs in with it

    without = client.post(CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    with_code = client.post(
        CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "otp": current_code(olena)}
    )

    assert without.status_code == 400
    assert "current_password" in without.json()
    assert with_code.status_code == 200, with_code.content


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"new_password": NEW_PASSWORD}, "current_password"),
        ({"current_password": PASSWORD}, "new_password"),
        ({"current_password": PASSWORD, "new_password": "x" * 5000}, "new_password"),
        ({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "username": "someone"}, "username"),
        ({"current_password": PASSWORD, "new_password": None}, "new_password"),
    ],
)
def test_bad_password_change_input_names_the_field(client_for, body, field):
    olena = UserFactory(username="olena")

    response = client_for(olena).post(CHANGE, body)

    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.get(pk=olena.pk).check_password(PASSWORD)


def test_a_session_stays_signed_in_after_changing_its_password(case_a):
    olena = UserFactory(username="olena")
    client = APIClient()
    client.force_login(olena)

    response = client.post(CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 200, response.content
    assert client.get("/api/v1/cases/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_accounts_created_at_once_with_one_name_in_different_cases_make_one_account():
    staff = UserFactory(username="registrar", is_staff=True)
    names = ["olena", "Olena", "OLENA", "oLena", "olenA", "OLena"]
    clients = []
    for _ in names:
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(staff)}")
        clients.append(client)
    barrier = threading.Barrier(len(names))

    def send(client, n: int):
        try:
            barrier.wait(timeout=30)
            return create(client, username=names[n], email=f"olena{n}@example.org")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        responses = list(pool.map(send, clients, range(len(names))))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [400] * 5, [r.content[:200] for r in responses]
    assert User.objects.filter(username__iexact="olena").count() == 1
    assert AuditEntry.objects.filter(action="user.create").count() == 1
