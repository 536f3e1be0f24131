"""Accounts: API tokens, the TOTP second factor, and the audit of signing in."""

from base64 import b32encode
from binascii import unhexlify

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from evidence.models import AuditAction
from evidence.services.audit import audit_record

UserModel = get_user_model()


@transaction.atomic
def user_ensure_admin(*, username: str, password: str, email: str = "") -> tuple[AbstractBaseUser, bool]:
    """Creates the superuser ``username`` unless it exists. Returns (user, created)."""
    user = UserModel.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = UserModel.objects.create_superuser(username=username, email=email, password=password)
    audit_record(actor=None, case=None, action=AuditAction.USER_CREATE_ADMIN, target=username)
    return user, True


@transaction.atomic
def token_issue(*, user: AbstractBaseUser) -> Token:
    """A new API token for the user; any earlier one stops working (rotation on every login)."""
    # Logins to one account take turns: two at once would each delete nothing and then both insert
    # the user's one token. The last one wins; both get a token that worked when it was issued.
    UserModel.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk").get()
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    audit_record(actor=user, case=None, action=AuditAction.AUTH_LOGIN, target=user.get_username())
    return token


@transaction.atomic
def token_revoke(*, user: AbstractBaseUser) -> None:
    Token.objects.filter(user=user).delete()
    audit_record(actor=user, case=None, action=AuditAction.AUTH_LOGOUT, target=user.get_username())


def login_record_failure(*, username: str, user: AbstractBaseUser | None) -> None:
    """A refused login: a wrong password (``user`` None) or a wrong or missing one-time code."""
    action = AuditAction.AUTH_LOGIN_FAILED if user is None else AuditAction.AUTH_OTP_FAILED
    audit_record(actor=user, case=None, action=action, target=username[:200])


# --- The TOTP second factor (django-otp's TOTP devices) ------------------------------------------

TOTP_ISSUER = "Slid"


@transaction.atomic
def totp_begin(*, user: AbstractBaseUser) -> tuple[str, str]:
    """A new, unconfirmed device (replacing any unconfirmed one); returns (base32 secret, otpauth URI)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=TOTP_ISSUER, confirmed=False)
    audit_record(actor=user, case=None, action=AuditAction.AUTH_TOTP_BEGIN, target=user.get_username())
    return b32encode(unhexlify(device.key)).decode(), device.config_url


@transaction.atomic
def totp_confirm(*, user: AbstractBaseUser, code: str) -> bool:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None or not device.verify_token(code):
        return False
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, case=None, action=AuditAction.AUTH_TOTP_ON, target=user.get_username())
    return True


@transaction.atomic
def totp_remove(*, user: AbstractBaseUser) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    audit_record(actor=user, case=None, action=AuditAction.AUTH_TOTP_OFF, target=user.get_username())


def totp_login_code_ok(*, user: AbstractBaseUser, code: str | None) -> bool:
    """True when the user has no confirmed device, or the code is right for one (django-otp refuses
    a code used before, and slows down after wrong ones: both are writes to the device)."""
    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if not devices:
        return True
    return bool(code) and any(device.verify_token(code) for device in devices)
