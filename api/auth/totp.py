"""The optional second factor for staff: TOTP devices of django-otp."""

from base64 import b32encode
from binascii import unhexlify

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from evidence.services.audit import audit_record

ISSUER = "Slid"


@transaction.atomic
def totp_begin(*, user) -> tuple[str, str]:
    """A new, unconfirmed device (replacing any unconfirmed one); returns (base32 secret, otpauth URI)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=ISSUER, confirmed=False)
    audit_record(actor=user, case=None, action="auth.totp_begin", target=user.get_username())
    return b32encode(unhexlify(device.key)).decode(), device.config_url


@transaction.atomic
def totp_confirm(*, user, code: str) -> bool:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None or not device.verify_token(code):
        return False
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, case=None, action="auth.totp_on", target=user.get_username())
    return True


@transaction.atomic
def totp_remove(*, user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    audit_record(actor=user, case=None, action="auth.totp_off", target=user.get_username())


def login_code_ok(user, code: str | None) -> bool:
    """True when the user has no confirmed device, or the code is right for it."""
    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if not devices:
        return True
    return bool(code) and any(device.verify_token(code) for device in devices)
