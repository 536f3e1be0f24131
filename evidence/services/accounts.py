"""Accounts: API tokens (one per device), the TOTP second factor, and the audit of signing in.
The checks of a login itself are in evidence.services.signin."""

from base64 import b32encode
from binascii import unhexlify
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from evidence.errors import DomainError
from evidence.models import ApiToken, AuditAction
from evidence.services.audit import audit_record

UserModel = get_user_model()

CODE_MISMATCH = "That code does not match; check the app's clock and try again."
# Last-use times are kept to the minute: a write on every request would cost more than it tells.
LAST_USED_PRECISION = timedelta(seconds=60)


@transaction.atomic
def user_ensure_admin(*, username: str, password: str, email: str = "") -> tuple[AbstractBaseUser, bool]:
    """Creates the superuser ``username`` unless it exists. Returns (user, created)."""
    user = UserModel.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = UserModel.objects.create_superuser(username=username, email=email, password=password)
    audit_record(actor=None, case=None, action=AuditAction.USER_CREATE_ADMIN, target=username)
    return user, True


# --- API tokens -----------------------------------------------------------------------------------


@transaction.atomic
def token_issue(*, user: AbstractBaseUser, name: str, second_factor: bool) -> tuple[ApiToken, str]:
    """A new API token for the device ``name``, and its secret (shown this once, stored only as a hash).
    The device's earlier token stops working; the user's other devices keep theirs."""
    # Logins to one account take turns: two at once for the same device would each delete nothing
    # and then both insert. The last one wins; both get a token that worked when it was issued.
    UserModel.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk").get()
    now = timezone.now()
    ApiToken.objects.filter(user=user, name=name).delete()
    ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
    token, key = ApiToken.objects.create_with_key(
        user=user,
        name=name,
        lifetime=timedelta(hours=settings.SLID_TOKEN_TTL_HOURS),
        second_factor=second_factor,
    )
    audit_record(
        actor=user,
        case=None,
        action=AuditAction.AUTH_LOGIN,
        target=user.get_username(),
        details={"via": "api", "token": token.pk, "name": name, "second_factor": second_factor},
    )
    return token, key


@transaction.atomic
def token_revoke(*, actor: AbstractBaseUser, token: ApiToken) -> None:
    """Signs one device out. ``token`` is one of the actor's (evidence.selectors.accounts.token_list)."""
    ApiToken.objects.filter(pk=token.pk, user=actor).delete()
    audit_record(
        actor=actor,
        case=None,
        action=AuditAction.AUTH_LOGOUT,
        target=actor.get_username(),
        details={"token": token.pk, "name": token.name},
    )


@transaction.atomic
def token_revoke_all(*, actor: AbstractBaseUser) -> int:
    """Signs every device of the actor out; returns how many tokens stopped working."""
    revoked, _ = ApiToken.objects.filter(user=actor).delete()
    audit_record(
        actor=actor, case=None, action=AuditAction.AUTH_LOGOUT, target=actor.get_username(), details={"tokens": revoked}
    )
    return revoked


def token_record_use(*, token: ApiToken) -> None:
    """Notes that the token was used now (to the minute; not audited: it changes nothing)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


@transaction.atomic
def session_login_record(*, user: AbstractBaseUser, second_factor: bool) -> None:
    """A signed-in session (the admin); its checks were evidence.services.signin's, as for a token."""
    audit_record(
        actor=user,
        case=None,
        action=AuditAction.AUTH_LOGIN,
        target=user.get_username(),
        details={"via": "admin", "second_factor": second_factor},
    )


def login_record_failure(*, username: str, user: AbstractBaseUser | None) -> None:
    """A refused login: a wrong password (``user`` None) or a wrong or missing one-time code."""
    action = AuditAction.AUTH_LOGIN_FAILED if user is None else AuditAction.AUTH_OTP_FAILED
    audit_record(actor=user, case=None, action=action, target=username[:200])


# --- The TOTP second factor (django-otp's TOTP devices) ------------------------------------------

TOTP_ISSUER = "Slid"


def _require_current_code(*, user: AbstractBaseUser, code: str | None, purpose: str) -> None:
    """Changing an existing second factor needs a code from it, so a stolen token cannot turn it off
    or swap it for the thief's. The check is committed on its own: django-otp's slow-down after a
    wrong code must not be rolled back with the refused change."""
    device_ids = list(TOTPDevice.objects.filter(user=user, confirmed=True).values_list("pk", flat=True))
    if not device_ids:
        return
    if not code:
        raise DomainError(f"Give a current code from your authenticator app to {purpose}.", field="code")
    with transaction.atomic():
        devices = TOTPDevice.objects.select_for_update().filter(pk__in=device_ids).order_by("pk")
        if any(device.verify_token(code) for device in devices):
            return
    raise DomainError(CODE_MISMATCH, field="code")


def totp_begin(*, user: AbstractBaseUser, code: str | None = None) -> tuple[str, str]:
    """A new, unconfirmed device (replacing any unconfirmed one); returns (base32 secret, otpauth URI).
    A user who has a second factor already gives a current ``code`` from it."""
    _require_current_code(user=user, code=code, purpose="replace it")
    return _totp_begin(user=user)


@transaction.atomic
def _totp_begin(*, user: AbstractBaseUser) -> tuple[str, str]:
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


def totp_remove(*, user: AbstractBaseUser, code: str | None) -> None:
    """Turns the second factor off, with a current ``code`` from it (a half-set-up one needs none)."""
    _require_current_code(user=user, code=code, purpose="turn it off")
    _totp_remove(user=user)


@transaction.atomic
def _totp_remove(*, user: AbstractBaseUser) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    audit_record(actor=user, case=None, action=AuditAction.AUTH_TOTP_OFF, target=user.get_username())
