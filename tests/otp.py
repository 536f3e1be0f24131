"""The second factor in tests: a confirmed TOTP device, and the code its authenticator app shows."""

from binascii import unhexlify

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def enrol(user) -> TOTPDevice:
    """A confirmed device, as if the user had set it up through /api/v1/auth/totp/."""
    return TOTPDevice.objects.create(user=user, name="Slid", confirmed=True)


def current_code(user, steps_ahead: int = 0) -> str:
    """The code of the user's newest device now (or ``steps_ahead`` 30-second steps later: django-otp
    refuses a step used before, and accepts the next one)."""
    device = TOTPDevice.objects.filter(user=user).order_by("-id").first()
    code = totp(unhexlify(device.key), step=device.step, t0=device.t0, digits=device.digits, drift=steps_ahead)
    return f"{code:0{device.digits}d}"


def wrong_code(user) -> str:
    return "000000" if current_code(user) != "000000" else "111111"
