import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from evidence.models import AuditEntry, Role
from evidence.services.witnesses import protected_person_create
from tests.factories import UserFactory
from tests.otp import PASSWORD, current_code, enrol, wrong_code
from tests.tokens import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_device_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp also slows a device down after wrong codes


def login(api, username="editor", **extra):
    return api.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD, **extra})


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_staff_turn_on_a_second_factor_and_logins_then_need_the_code(api, client_for):
    staff = UserFactory(username="editor", is_staff=True)
    client = client_for(staff)

    setup = client.post("/api/v1/auth/totp/", {"current_password": PASSWORD})
    assert setup.status_code == 201 and setup.json()["otpauth_uri"].startswith("otpauth://totp/")
    assert client.post("/api/v1/auth/totp/confirm/", {"code": current_code(staff)}).status_code == 200

    without = login(api)
    wrong = login(api, otp=wrong_code(staff))
    # A code whose time step was used already (to confirm) is refused; the next step's is accepted.
    replayed = login(api, otp=current_code(staff))
    right = login(api, otp=current_code(staff, steps_ahead=1))

    assert [without.status_code, wrong.status_code, replayed.status_code] == [400, 400, 400]
    assert right.status_code == 200 and right.json()["token"]


@pytest.mark.parametrize("role", [Role.LEAD, Role.LEGAL, Role.INVESTIGATOR, Role.ANALYST])
def test_every_member_may_turn_on_a_second_factor(client_for, case_a, member_of, role):
    user = member_of(case_a, role)
    client = client_for(user)

    assert client.post("/api/v1/auth/totp/", {"current_password": PASSWORD}).status_code == 201
    assert client.post("/api/v1/auth/totp/confirm/", {"code": current_code(user)}).status_code == 200
    assert TOTPDevice.objects.get(user=user).confirmed


def test_a_named_reader_may_turn_on_a_second_factor(client_for, case_a, member_of):
    lead, reader = member_of(case_a, Role.LEAD), member_of(case_a, Role.ANALYST)
    protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "X"}, readers=[reader])

    assert client_for(reader).post("/api/v1/auth/totp/", {"current_password": PASSWORD}).status_code == 201


def test_a_wrong_confirmation_code_leaves_the_second_factor_off(api, client_for):
    staff = UserFactory(username="editor", is_staff=True)
    client = client_for(staff)
    client.post("/api/v1/auth/totp/", {"current_password": PASSWORD})

    response = client.post("/api/v1/auth/totp/confirm/", {"code": "abc"})

    assert response.status_code == 400 and "code" in response.json()
    assert login(api).status_code == 200


def test_turning_it_off_needs_a_current_code(api):
    user = UserFactory(username="editor")
    enrol(user)
    client = client_with(token_for(user, second_factor=True))

    without = client.delete("/api/v1/auth/totp/")
    wrong = client.delete("/api/v1/auth/totp/", {"code": wrong_code(user)})

    assert without.status_code == 400
    assert without.json() == {"code": ["Give a current code from your authenticator app to turn it off."]}
    assert wrong.status_code == 400
    assert wrong.json() == {"code": ["That code does not match; check the app's clock and try again."]}
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert not AuditEntry.objects.filter(action="auth.totp_off").exists()

    assert client.delete("/api/v1/auth/totp/", {"code": current_code(user)}).status_code == 204
    assert login(api).status_code == 200
    assert AuditEntry.objects.filter(action="auth.totp_off", actor=user).count() == 1


def test_a_half_set_up_second_factor_is_dropped_without_a_code(client_for):
    user = UserFactory(username="editor")
    client = client_for(user)
    client.post("/api/v1/auth/totp/", {"current_password": PASSWORD})

    assert client.delete("/api/v1/auth/totp/").status_code == 204
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_replacing_the_second_factor_needs_a_code_from_the_current_one():
    """Else a stolen token could swap the victim's authenticator for the thief's."""
    user = UserFactory(username="editor")
    enrol(user)
    client = client_with(token_for(user, second_factor=True))

    without = client.post("/api/v1/auth/totp/", {"current_password": PASSWORD})
    with_code = client.post("/api/v1/auth/totp/", {"current_password": PASSWORD, "code": current_code(user)})

    assert without.status_code == 400
    assert without.json() == {"code": ["Give a current code from your authenticator app to replace it."]}
    assert with_code.status_code == 201
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1


# --- A deployment may require the second factor of those who reveal identities or export -----------


@pytest.fixture
def required(settings):
    settings.SLID_REQUIRE_TOTP = True


@pytest.fixture
def witness(case_a, member_of):
    lead = member_of(case_a, Role.LEAD, username="lead")
    return protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "Olena K."})


def reveal(client, witness):
    return client.get(f"/api/v1/witnesses/{witness.pk}/identity/")


def test_without_the_requirement_a_lead_without_totp_reveals(client_for, witness):
    lead = witness.case.memberships.get(role=Role.LEAD).user

    assert reveal(client_for(lead), witness).status_code == 200


def test_a_required_second_factor_refuses_a_lead_who_has_none_and_says_how_to_enrol(required, client_for, witness):
    lead = witness.case.memberships.get(role=Role.LEAD).user

    response = reveal(client_for(lead), witness)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This deployment requires a second factor for this. Turn it on with POST /api/v1/auth/totp/ "
        "and POST /api/v1/auth/totp/confirm/ (a code from an authenticator app), then log in again with "
        "your code (otp)."
    }
    assert not AuditEntry.objects.filter(action="witness.identity_reveal").exists()


@pytest.mark.parametrize("requirement", [True, False], ids=["required", "not required"])
def test_a_token_issued_without_a_code_is_refused_once_the_account_has_a_second_factor(
    settings, client_for, witness, requirement
):
    """Whether or not the deployment requires a second factor: the token is not the owner of the account
    as it now stands."""
    settings.SLID_REQUIRE_TOTP = requirement
    lead = witness.case.memberships.get(role=Role.LEAD).user
    client = client_for(lead)
    assert client.get("/api/v1/cases/").status_code == 200
    enrol(lead)

    response = reveal(client, witness)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "This token was issued without the account's one-time code, which the account now has: "
        "log in again with your code (otp)."
    }
    assert client.get("/api/v1/cases/").status_code == 401
    assert not AuditEntry.objects.filter(action="witness.identity_reveal").exists()


def test_a_required_second_factor_lets_a_token_issued_with_a_code_reveal(required, witness):
    lead = witness.case.memberships.get(role=Role.LEAD).user
    enrol(lead)
    api = APIClient()
    token = login(api, username="lead", otp=current_code(lead)).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert reveal(api, witness).status_code == 200


def test_a_required_second_factor_still_hides_other_cases(required, client_for, witness, case_b, member_of):
    outsider = member_of(case_b, Role.LEAD)

    assert reveal(client_for(outsider), witness).status_code == 404


def test_a_required_second_factor_does_not_touch_reading(required, client_for, witness):
    lead = witness.case.memberships.get(role=Role.LEAD).user

    assert client_for(lead).get(f"/api/v1/witnesses/{witness.pk}/").status_code == 200


def test_a_required_second_factor_refuses_an_export_without_it(required, client_for, case_a, member_of):
    legal = member_of(case_a, Role.LEGAL)

    response = client_for(legal).post("/api/v1/exports/", {"case": case_a.pk, "title": "x"}, format="json")

    assert response.status_code == 403
    assert "POST /api/v1/auth/totp/" in response.json()["detail"]


def test_a_required_second_factor_keeps_the_admin_from_staff_without_one(required):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()

    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD, "next": "/admin/"})

    assert response.status_code == 200
    assert "This deployment requires a second factor" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_required_second_factor_guards_the_package_download(required, client_for, case_a, member_of):
    from evidence.services.packages import export_request
    from tests.workers.helpers import archived_item
    from workers import common, exports

    legal = member_of(case_a, Role.LEGAL)
    export = export_request(actor=legal, case=case_a, evidence=[archived_item(case_a, legal, b"statement")])
    exports.build_export(export.pk, agent=common.worker_agent("test"))
    url = f"/api/v1/exports/{export.pk}/download/"

    without = client_for(legal).get(url)
    enrol(legal)
    with_code = client_with(token_for(legal, second_factor=True))

    assert without.status_code == 403 and "POST /api/v1/auth/totp/" in without.json()["detail"]
    assert with_code.get(url).status_code == 200


def test_a_required_second_factor_applies_to_a_named_reader(required, client_for, witness, member_of):
    reader = member_of(witness.case, Role.ANALYST)
    witness.readers.add(reader)

    refused = reveal(client_for(reader), witness)
    enrol(reader)
    api = client_with(token_for(reader, second_factor=True))

    assert refused.status_code == 403 and "POST /api/v1/auth/totp/" in refused.json()["detail"]
    assert reveal(api, witness).status_code == 200


def test_turning_the_second_factor_off_withdraws_what_it_allowed(required, witness):
    lead = witness.case.memberships.get(role=Role.LEAD).user
    enrol(lead)
    api = APIClient()
    token = login(api, username="lead", otp=current_code(lead)).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.delete("/api/v1/auth/totp/", {"code": current_code(lead, steps_ahead=1)}).status_code == 204

    assert reveal(api, witness).status_code == 403


# --- A stolen token can neither put the thief's authenticator on the account nor outlive the owner's ---


def test_turning_it_on_needs_the_current_password(client_for):
    """A thief with a token alone would otherwise turn on their own second factor and lock the owner out."""
    user = UserFactory(username="editor")
    client = client_for(user)

    missing = client.post("/api/v1/auth/totp/")
    wrong = client.post("/api/v1/auth/totp/", {"current_password": "a guess"})

    assert missing.status_code == 400 and list(missing.json()) == ["current_password"]
    assert wrong.status_code == 400
    assert wrong.json() == {
        "current_password": [
            "That is not your current password, or (if your account has a second factor) not a current code from "
            "your authenticator app."
        ]
    }
    assert not TOTPDevice.objects.exists()
    assert list(AuditEntry.objects.values_list("action", "target")) == [("auth.login_failed", "editor")]


def test_guessing_the_password_to_turn_it_on_locks_the_account_like_logging_in(client_for, settings, api):
    settings.SLID_LOGIN_MAX_FAILURES = 3
    user = UserFactory(username="editor")
    client = client_for(user)

    answers = [client.post("/api/v1/auth/totp/", {"current_password": "a guess"}).status_code for _ in range(4)]

    assert answers == [400, 400, 400, 429]
    assert login(api).status_code == 429
    assert client.post("/api/v1/auth/totp/", {"current_password": PASSWORD}).status_code == 429


def test_turning_it_on_signs_out_every_device_that_signed_in_without_a_code(api):
    """Without SLID_REQUIRE_TOTP too: a token from before the second factor must not keep its power."""
    user = UserFactory(username="editor")
    phone = login(api, name="phone").json()["token"]
    laptop = login(api, name="laptop").json()["token"]
    client = client_with(laptop)
    client.post("/api/v1/auth/totp/", {"current_password": PASSWORD})

    confirmed = client.post("/api/v1/auth/totp/confirm/", {"code": current_code(user)})

    assert confirmed.status_code == 200
    assert "log in again with your code" in confirmed.json()["detail"]
    assert client_with(phone).get("/api/v1/cases/").status_code == 401
    assert client.get("/api/v1/cases/").status_code == 401
    entry = AuditEntry.objects.get(action="auth.totp_on")
    assert entry.details == {"tokens_revoked": 2, "sessions_ended": 0}
    fresh = login(api, otp=current_code(user, steps_ahead=1)).json()["token"]
    assert client_with(fresh).get("/api/v1/cases/").status_code == 200


def test_turning_it_on_from_a_session_keeps_that_session_and_ends_the_others():
    user = UserFactory(username="editor")
    this, other = Client(), Client()
    this.force_login(user)
    other.force_login(user)
    this.post("/api/v1/auth/totp/", {"current_password": PASSWORD}, content_type="application/json")

    confirmed = this.post("/api/v1/auth/totp/confirm/", {"code": current_code(user)}, content_type="application/json")

    assert confirmed.status_code == 200
    assert this.get("/api/v1/cases/").status_code == 200  # it gave the code: it counts as signed in with it
    assert other.get("/api/v1/cases/").status_code == 401
    assert AuditEntry.objects.get(action="auth.totp_on").details == {"tokens_revoked": 0, "sessions_ended": 1}


def wrong_code_at(route: str, user) -> int:
    """Sends a wrong code to one of the routes that take one, as the holder of a token of ``user``."""
    client = client_with(token_for(user, second_factor=TOTPDevice.objects.filter(user=user, confirmed=True).exists()))
    if route == "confirm":
        return client.post("/api/v1/auth/totp/confirm/", {"code": wrong_code(user)}).status_code
    if route == "off":
        return client.delete("/api/v1/auth/totp/", {"code": wrong_code(user)}).status_code
    body = {"current_password": PASSWORD, "code": wrong_code(user)}
    return client.post("/api/v1/auth/totp/", body).status_code


@pytest.mark.parametrize("route", ["confirm", "off", "replace"])
def test_wrong_codes_are_audited_and_count_towards_the_lockout(api, client_for, settings, route):
    """Else a stolen token could try every code (10^6) until one turned the second factor off."""
    settings.SLID_LOGIN_MAX_FAILURES = 3
    user = UserFactory(username="editor")
    if route == "confirm":
        client_for(user).post("/api/v1/auth/totp/", {"current_password": PASSWORD})
    else:
        enrol(user)

    answers = [wrong_code_at(route, user) for _ in range(4)]

    assert answers == [400, 400, 400, 429]
    assert AuditEntry.objects.filter(action="auth.otp_failed", actor=user, target="editor").count() == 3
    assert login(api, otp=current_code(user)).status_code == 429
    assert TOTPDevice.objects.filter(user=user, confirmed=route != "confirm").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_password": "x" * 4097}, "current_password"),
        ({"current_password": ["a", "list"]}, "current_password"),
        ({"current_password": None}, "current_password"),
        ({"current_password": PASSWORD, "code": "1" * 11}, "code"),
        ({"current_password": PASSWORD, "secret": "mine"}, "secret"),
    ],
)
def test_hostile_bodies_to_turn_it_on_are_refused_naming_the_field_and_count_nothing(client_for, body, field):
    client = client_for(UserFactory(username="editor"))

    response = client.post("/api/v1/auth/totp/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not TOTPDevice.objects.exists()
    assert not AuditEntry.objects.exists()
