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


def test_staff_turn_on_a_second_factor_and_logins_then_need_the_code(api, client_for):
    staff = UserFactory(username="editor", is_staff=True)
    client = client_for(staff)

    setup = client.post("/api/v1/auth/totp/")
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

    assert client.post("/api/v1/auth/totp/").status_code == 201
    assert client.post("/api/v1/auth/totp/confirm/", {"code": current_code(user)}).status_code == 200
    assert TOTPDevice.objects.get(user=user).confirmed


def test_a_named_reader_may_turn_on_a_second_factor(client_for, case_a, member_of):
    lead, reader = member_of(case_a, Role.LEAD), member_of(case_a, Role.ANALYST)
    protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "X"}, readers=[reader])

    assert client_for(reader).post("/api/v1/auth/totp/").status_code == 201


def test_a_wrong_confirmation_code_leaves_the_second_factor_off(api, client_for):
    staff = UserFactory(username="editor", is_staff=True)
    client = client_for(staff)
    client.post("/api/v1/auth/totp/")

    response = client.post("/api/v1/auth/totp/confirm/", {"code": "abc"})

    assert response.status_code == 400 and "code" in response.json()
    assert login(api).status_code == 200


def test_turning_it_off_needs_a_current_code(api, client_for):
    user = UserFactory(username="editor")
    enrol(user)
    client = client_for(user)

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
    client.post("/api/v1/auth/totp/")

    assert client.delete("/api/v1/auth/totp/").status_code == 204
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_replacing_the_second_factor_needs_a_code_from_the_current_one(client_for):
    """Else a stolen token could swap the victim's authenticator for the thief's."""
    user = UserFactory(username="editor")
    enrol(user)
    client = client_for(user)

    without = client.post("/api/v1/auth/totp/")
    with_code = client.post("/api/v1/auth/totp/", {"code": current_code(user)})

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


def test_a_required_second_factor_refuses_a_token_issued_without_a_code(required, client_for, witness):
    lead = witness.case.memberships.get(role=Role.LEAD).user
    enrol(lead)

    response = reveal(client_for(lead), witness)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This deployment requires a second factor for this, and your token was issued without one: "
        "log in again with your one-time code (otp)."
    }


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
    enrol(legal)
    url = f"/api/v1/exports/{export.pk}/download/"

    without = client_for(legal).get(url)
    with_code = APIClient()
    with_code.credentials(HTTP_AUTHORIZATION=f"Token {token_for(legal, second_factor=True)}")

    assert without.status_code == 403 and "log in again with your one-time code" in without.json()["detail"]
    assert with_code.get(url).status_code == 200


def test_a_required_second_factor_applies_to_a_named_reader(required, client_for, witness, member_of):
    reader = member_of(witness.case, Role.ANALYST)
    witness.readers.add(reader)

    refused = reveal(client_for(reader), witness)
    enrol(reader)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(reader, second_factor=True)}")

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
