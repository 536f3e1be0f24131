"""The Django admin shows cases and their members but changes neither: every change goes through
the services, which audit it and keep a lead in every case. It has no pages for accounts (the audited
API manages them), lists only what the API would show the same user, and changes one's own password
through the API's service."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import Client
from rest_framework.test import APIClient

from evidence.models import AuditEntry, CaseMembership, Role
from evidence.services.audit import audit_record
from geo.models import AdminArea
from tests.factories import MembershipFactory, UserFactory
from tests.otp import PASSWORD, current_code, enrol
from tests.tokens import token_for

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


# --- Accounts are not changed in the admin, and it lists only what the API would show ---------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        "/admin/auth/user/{pk}/change/",
        "/admin/auth/user/{pk}/password/",
        "/admin/auth/group/",
        "/admin/auth/group/add/",
    ],
)
def test_the_admin_has_no_pages_for_accounts_and_groups(admin_client_logged_in, path):
    """Making someone a superuser, setting a password or deactivating an account there left no audit entry;
    accounts are managed through /api/v1/users/, which audits every change."""
    olena = UserFactory(username="olena")

    assert admin_client_logged_in.get(path.format(pk=olena.pk)).status_code == 404


def test_the_admin_cannot_make_anyone_a_superuser(admin_client_logged_in):
    olena = UserFactory(username="olena")

    response = admin_client_logged_in.post(
        f"/admin/auth/user/{olena.pk}/change/",
        {"username": "olena", "is_active": "on", "is_staff": "on", "is_superuser": "on", "date_joined_0": "2024-01-01"},
    )

    assert response.status_code == 404
    olena.refresh_from_db()
    assert not (olena.is_staff or olena.is_superuser)


def staff_who_may_view(*models: str, username: str = "clerk") -> Client:
    staff = UserFactory(username=username, is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=[f"view_{model}" for model in models]))
    browser = Client()
    browser.force_login(staff)
    return browser


def test_staff_read_in_the_admin_only_the_audit_entries_the_api_shows_them(case_a, case_b, member_of):
    browser = staff_who_may_view("auditentry")
    clerk = UserFactory(username="clerk")
    MembershipFactory(case=case_a, user=clerk, role=Role.LEAD)
    stranger = member_of(case_b, Role.LEAD)
    mine = audit_record(actor=clerk, case=case_a, action="case.update", target="lead's own case")
    hidden = [
        audit_record(actor=stranger, case=case_b, action="case.update", target="another case"),
        audit_record(actor=stranger, case=None, action="auth.login", target="someone else's sign-in"),
    ]
    own_signin = audit_record(actor=clerk, case=None, action="auth.login", target="clerk")

    listed = browser.get("/admin/evidence/auditentry/")

    assert listed.status_code == 200
    assert {entry.pk for entry in listed.context["cl"].result_list} == {mine.pk, own_signin.pk}
    for entry in hidden:
        assert browser.get(f"/admin/evidence/auditentry/{entry.pk}/change/").status_code == 302  # "does not exist"
    assert browser.get(f"/admin/evidence/auditentry/{mine.pk}/change/").status_code == 200


def test_staff_see_in_the_admin_only_the_cases_they_are_members_of(case_a, case_b):
    browser = staff_who_may_view("case")
    MembershipFactory(case=case_a, user=UserFactory(username="clerk"), role=Role.ANALYST)

    listed = browser.get("/admin/evidence/case/")

    assert [case.reference for case in listed.context["cl"].result_list] == ["UA-2022-BUCHA"]
    assert browser.get(f"/admin/evidence/case/{case_b.pk}/change/").status_code == 302
    assert b"UA-2022-IZIUM" not in listed.content


# --- Changing one's password in the admin: the API's service, audited, other devices signed out ----------

NEW_PASSWORD = "a long passphrase of my own"  # noqa: S105


def change_password(client: Client, old: str = PASSWORD, new: str = NEW_PASSWORD, **extra):
    return client.post(
        "/admin/password_change/", {"old_password": old, "new_password1": new, "new_password2": new, **extra}
    )


def test_a_password_changed_in_the_admin_is_audited_and_signs_out_the_other_devices(root):
    this, other = Client(), Client()
    admin_login(this)
    admin_login(other)
    phone = APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Token {token_for(root)}")

    response = change_password(this)

    assert response.status_code == 302 and response["Location"] == "/admin/password_change/done/"
    root.refresh_from_db()
    assert root.check_password(NEW_PASSWORD)
    assert phone.get("/api/v1/cases/").status_code == 401
    assert other.get("/admin/").status_code == 302
    assert this.get("/admin/").status_code == 200  # this session goes on
    entry = AuditEntry.objects.get(action="auth.password_change")
    assert (entry.actor, entry.details) == (root, {"was_issued": False, "tokens_revoked": 1, "sessions_ended": 1})


def test_a_wrong_current_password_in_the_admin_counts_as_a_failed_login(root, settings):
    settings.SLID_LOGIN_MAX_FAILURES = 2
    this = Client()
    admin_login(this)

    first = change_password(this, old="a guess")
    change_password(this, old="a guess")
    locked = change_password(this)

    assert first.status_code == 200 and "That is not your current password" in first.content.decode()
    assert "Too many failed logins for this account" in locked.content.decode()
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 2
    root.refresh_from_db()
    assert root.check_password(PASSWORD)


def test_an_account_with_a_second_factor_gives_its_code_to_change_the_password_in_the_admin(root):
    enrol(root)
    this = Client()
    admin_login(this, otp=current_code(root))

    without = change_password(this)
    with_code = change_password(this, otp=current_code(root, steps_ahead=1))

    assert without.status_code == 200
    assert with_code.status_code == 302
    root.refresh_from_db()
    assert root.check_password(NEW_PASSWORD)


def test_the_admin_shows_administrative_areas_but_cannot_change_them(admin_client_logged_in):
    area = AdminArea.objects.create(
        name_uk="Бучанський район", name_en="Bucha raion", level="raion", code="UA3204",
        boundary=MultiPolygon(Polygon(((30.1, 50.4), (30.3, 50.4), (30.3, 50.6), (30.1, 50.4)))),
    )  # fmt: skip
    url = f"/admin/geo/adminarea/{area.pk}/change/"

    page = admin_client_logged_in.get(url)
    assert page.status_code == 200  # shown on its map
    assert 'name="_save"' not in page.content.decode()
    changed = {"name_uk": "змінено", "name_en": "changed", "level": "raion", "code": "X"}
    assert admin_client_logged_in.post(url, changed).status_code == 403
    assert admin_client_logged_in.post(f"/admin/geo/adminarea/{area.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client_logged_in.get("/admin/geo/adminarea/add/").status_code == 403
    area.refresh_from_db()
    assert (area.name_en, area.code) == ("Bucha raion", "UA3204")
