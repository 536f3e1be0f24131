from binascii import unhexlify

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def current_code(user, steps_ahead: int = 0) -> str:
    device = TOTPDevice.objects.filter(user=user).order_by("-id").first()
    code = totp(unhexlify(device.key), step=device.step, t0=device.t0, digits=device.digits, drift=steps_ahead)
    return f"{code:0{device.digits}d}"


def login(api, **extra):
    return api.post("/api/v1/auth/token/", {"username": "editor", "password": PASSWORD, **extra})


def test_staff_turn_on_a_second_factor_and_logins_then_need_the_code(api, client_for, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp also slows a device down after wrong codes
    staff = UserFactory(username="editor", is_staff=True)
    client = client_for(staff)

    setup = client.post("/api/v1/auth/totp/")
    assert setup.status_code == 201 and setup.json()["otpauth_uri"].startswith("otpauth://totp/")
    assert client.post("/api/v1/auth/totp/confirm/", {"code": current_code(staff)}).status_code == 200

    without = login(api)
    wrong = login(api, otp="000000" if current_code(staff) != "000000" else "111111")
    # A code whose time step was used already (to confirm) is refused; the next step's is accepted.
    replayed = login(api, otp=current_code(staff))
    right = login(api, otp=current_code(staff, steps_ahead=1))

    assert without.status_code == 400 and "otp" in without.json()
    assert wrong.status_code == 400 and wrong.json()["otp"] == ["The one-time code does not match."]
    assert replayed.status_code == 400
    assert right.status_code == 200 and right.json()["token"]


def test_a_wrong_confirmation_code_leaves_the_second_factor_off(api, client_for):
    staff = UserFactory(username="editor", is_staff=True)
    client = client_for(staff)
    client.post("/api/v1/auth/totp/")

    response = client.post("/api/v1/auth/totp/confirm/", {"code": "abc"})

    assert response.status_code == 400 and "code" in response.json()
    assert login(api).status_code == 200


def test_turning_it_off_needs_only_the_password_again(api, client_for):
    staff = UserFactory(username="editor", is_staff=True)
    client = client_for(staff)
    client.post("/api/v1/auth/totp/")
    client.post("/api/v1/auth/totp/confirm/", {"code": current_code(staff)})

    assert client.delete("/api/v1/auth/totp/").status_code == 204
    assert login(api).status_code == 200
