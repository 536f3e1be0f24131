"""The Django admin shows cases and their members but changes neither: every change goes through
the services, which audit it and keep a lead in every case."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from evidence.models import AuditEntry, CaseMembership, Role
from tests.factories import UserFactory
from tests.otp import PASSWORD, current_code, enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in():
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_admin_cannot_change_a_cases_members(admin_client_logged_in, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    url = f"/admin/evidence/case/{case_a.pk}/change/"

    page = admin_client_logged_in.get(url)
    response = admin_client_logged_in.post(
        url,
        {
            "reference": case_a.reference,
            "title": "Renamed in the admin",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": CaseMembership.objects.get(user=lead).pk,
            "memberships-0-case": case_a.pk,
            "memberships-0-role": Role.ANALYST,
            "memberships-0-DELETE": "on",
        },
    )

    assert page.status_code == 200
    assert b"View case" in page.content
    assert b'name="memberships-0-role"' not in page.content  # shown, not editable
    assert response.status_code == 403
    case_a.refresh_from_db()
    assert case_a.title == "Bucha"
    assert CaseMembership.objects.get(user=lead).role == Role.LEAD
    assert not AuditEntry.objects.exists()


def test_the_admin_cannot_add_or_delete_a_case(admin_client_logged_in, case_a):
    assert admin_client_logged_in.get("/admin/evidence/case/add/").status_code == 403
    assert admin_client_logged_in.post(f"/admin/evidence/case/{case_a.pk}/delete/", {"post": "yes"}).status_code == 403


def test_the_admin_neither_makes_api_tokens_nor_removes_second_factors(admin_client_logged_in):
    # A token made there would act as its user; a device removed there would leave no audit entry.
    assert admin_client_logged_in.get("/admin/authtoken/tokenproxy/add/").status_code == 404
    assert admin_client_logged_in.get("/admin/evidence/apitoken/").status_code == 404
    assert admin_client_logged_in.get("/admin/otp_totp/totpdevice/").status_code == 404


# --- Signing in to the admin follows the API's rules --------------------------------------------------


@pytest.fixture
def root(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def admin_login(client: Client, username: str = "root", password: str = PASSWORD, **extra):
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/", **extra})


def test_the_admin_login_page_asks_for_the_one_time_code(root):
    page = Client().get("/admin/login/")

    assert page.status_code == 200
    assert b'name="otp"' in page.content


def test_a_totp_account_is_refused_by_the_admin_with_its_password_alone(root):
    enrol(root)
    client = Client()

    response = admin_login(client)

    assert response.status_code == 200  # the form again, with the error
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    assert AuditEntry.objects.get().action == "auth.otp_failed"


def test_a_totp_account_gets_into_the_admin_with_its_code_and_the_login_is_audited(root):
    enrol(root)
    client = Client()

    response = admin_login(client, otp=current_code(root))

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.details) == ("auth.login", root, {"via": "admin", "second_factor": True})


def test_an_account_without_totp_gets_into_the_admin_with_its_password(root):
    client = Client()

    assert admin_login(client).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_admin_failures_and_api_failures_share_one_lockout(root, settings):
    settings.SLID_LOGIN_MAX_FAILURES = 3
    api = APIClient()
    api.post("/api/v1/auth/token/", {"username": "root", "password": "guess"})
    admin_login(Client(), password="guess")
    admin_login(Client(), password="guess")

    locked_admin = admin_login(Client())
    locked_api = api.post("/api/v1/auth/token/", {"username": "root", "password": PASSWORD})

    assert "Too many failed logins for this account" in locked_admin.content.decode()
    assert locked_api.status_code == 429
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 3


def test_the_admin_login_is_throttled_per_client_with_the_api(root, settings):
    settings.SLID_LOGIN_RATE = "2/min"
    APIClient().post("/api/v1/auth/token/", {"username": "nobody", "password": "guess"})
    admin_login(Client(), username="nobody", password="guess")

    throttled = admin_login(Client())

    assert "Too many logins from your address" in throttled.content.decode()


def test_a_session_opened_without_the_code_is_not_accepted_by_the_api_or_the_admin(root, case_a):
    """A session from before the admin asked for the code (or any other way round it)."""
    enrol(root)
    client = Client()
    client.force_login(root)

    api = client.get("/api/v1/cases/")

    assert api.status_code == 401
    assert "without the account's one-time code" in api.json()["detail"]
    assert client.get("/admin/").status_code == 302
    assert client.delete("/api/v1/auth/totp/").status_code == 401


def test_a_session_opened_with_the_code_reaches_the_api(root):
    enrol(root)
    client = Client()
    admin_login(client, otp=current_code(root))

    assert client.get("/api/v1/cases/").status_code == 200
