"""Accounts: creating and deactivating them (staff), passwords issued by staff and changed by their
owners, API tokens (one per device), the TOTP second factor, and the audit of signing in. The checks of
a login itself are in evidence.services.signin."""

import secrets
from base64 import b32encode
from binascii import unhexlify
from datetime import UTC, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from evidence.errors import DomainError, NotAllowed
from evidence.models import ApiToken, AuditAction, IssuedPassword
from evidence.selectors.access import user_may_manage_account
from evidence.selectors.accounts import issued_password, issued_password_expired
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


# --- Accounts, for staff -------------------------------------------------------------------------

# Read aloud over a phone or typed on one: no 0/o, 1/l/i. 16 characters of 31 are 79 bits, and a login
# is throttled and locks the account after a few failures (evidence.services.signin).
ONE_TIME_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 (an alphabet)
ONE_TIME_PASSWORD_GROUPS = 4
ONE_TIME_PASSWORD_GROUP_LENGTH = 4
# Any constant: account creations take turns on it (pg_advisory_xact_lock), so that two at once cannot
# both find a username (or an address) free in a different case and both take it.
ACCOUNT_CREATION_LOCK = 0x51_1D_0C_C0


def one_time_password() -> str:
    """Like k7pm-3xqa-9hvd-2nwe."""
    return "-".join(
        "".join(secrets.choice(ONE_TIME_PASSWORD_ALPHABET) for _ in range(ONE_TIME_PASSWORD_GROUP_LENGTH))
        for _ in range(ONE_TIME_PASSWORD_GROUPS)
    )


@transaction.atomic
def user_create(
    *, actor: AbstractBaseUser, username: str, email: str, first_name: str = "", last_name: str = ""
) -> tuple[AbstractBaseUser, str]:
    """A new account, which is not staff, and its one-time password: returned this once, stored only as the
    account's hash, and to be replaced by its owner (within SLID_ONE_TIME_PASSWORD_HOURS) before anything else."""
    username = UserModel.normalize_username(username)
    email = UserModel.objects.normalize_email(email)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ACCOUNT_CREATION_LOCK])
    # Usernames differing only in case would be told apart by the login but not by the people reading
    # an audit log; e-mail addresses must name one account, since leads add members by them.
    if UserModel.objects.filter(username__iexact=username).exists():
        raise DomainError("An account with this username already exists.", field="username")
    if UserModel.objects.filter(email__iexact=email).exists():
        raise DomainError("An account with this e-mail address already exists.", field="email")
    user = UserModel(username=username, email=email, first_name=first_name, last_name=last_name)
    password = one_time_password()
    user.set_password(password)
    user.save()
    issued = _issue(actor=actor, user=user)
    audit_record(
        actor=actor,
        case=None,
        action=AuditAction.USER_CREATE,
        target=username,
        details={"user": user.pk, "email": email, "password_expires_at": issued.expires_at.isoformat()},
    )
    return user, password


@transaction.atomic
def user_password_issue(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> tuple[str, IssuedPassword]:
    """A new one-time password for an account whose owner lost theirs (or let the first one expire). Every
    device of the account is signed out: until its owner replaces the password, the account can do
    nothing but that."""
    user = _lock_managed(actor=actor, user=user)
    if not user.is_active:
        raise DomainError(f"{user.get_username()} is deactivated; reactivate the account first.")
    password = one_time_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    issued = _issue(actor=actor, user=user)
    revoked, _ = ApiToken.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        case=None,
        action=AuditAction.USER_PASSWORD_ISSUE,
        target=user.get_username(),
        details={"user": user.pk, "password_expires_at": issued.expires_at.isoformat(), "tokens_revoked": revoked},
    )
    return password, issued


@transaction.atomic
def user_deactivate(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> AbstractBaseUser:
    """The account can no longer sign in, and its tokens stop working (its sessions end: Django refuses
    inactive users). It is never deleted: custody entries and the audit log name it. Deactivating an
    inactive account changes nothing and records nothing."""
    user = _lock_managed(actor=actor, user=user)
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoked, _ = ApiToken.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        case=None,
        action=AuditAction.USER_DEACTIVATE,
        target=user.get_username(),
        details={"user": user.pk, "tokens_revoked": revoked},
    )
    return user


@transaction.atomic
def user_activate(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> AbstractBaseUser:
    """Undoes a deactivation: the account signs in again with its password (memberships were kept)."""
    user = _lock_managed(actor=actor, user=user)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor, case=None, action=AuditAction.USER_ACTIVATE, target=user.get_username(), details={"user": user.pk}
    )
    return user


def _lock_managed(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> AbstractBaseUser:
    if not user_may_manage_account(user=actor, account=user):
        raise NotAllowed(
            "Staff manage the accounts of people who are not staff, and nobody manages their own here "
            "(change your password with POST /api/v1/auth/password/)."
        )
    return UserModel.objects.select_for_update(no_key=True).get(pk=user.pk)


def _issue(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> IssuedPassword:
    now = timezone.now()
    issued, _ = IssuedPassword.objects.update_or_create(
        user=user,
        defaults={
            "issued_at": now,
            "issued_by": actor,
            "expires_at": now + timedelta(hours=settings.SLID_ONE_TIME_PASSWORD_HOURS),
        },
    )
    return issued


# --- One's own password ---------------------------------------------------------------------------


@transaction.atomic
def password_change(*, actor: AbstractBaseUser, new_password: str, keep: ApiToken | None = None) -> int:
    """Sets the actor's own password, whose current one the caller has checked (evidence.services.signin,
    with its limits), and signs out every other device: a password is changed when someone else may know
    it, and a token issued with it must not outlive it. ``keep`` is the token of the request, if one.
    Returns how many tokens were revoked. Refuses a password Django's validators refuse (naming
    ``new_password``), the current one, and the change of a one-time password that has expired."""
    user = (
        UserModel.objects.select_for_update(no_key=True, of=("self",))
        .select_related("issued_password")
        .get(pk=actor.pk)
    )
    issued = issued_password(user=user)
    if issued_password_expired(issued):
        raise DomainError(
            f"Your one-time password expired at {issued.expires_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC; "
            "ask a staff member for a new one.",
            field="current_password",
        )
    try:
        password_validation.validate_password(new_password, user=user)
    except ValidationError as error:
        raise ValidationError({"new_password": error.messages}) from None
    if user.check_password(new_password):
        raise DomainError("Choose a password different from the current one.", field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    IssuedPassword.objects.filter(user=user).delete()
    others = ApiToken.objects.filter(user=user)
    if keep is not None:
        others = others.exclude(pk=keep.pk)
    revoked, _ = others.delete()
    audit_record(
        actor=actor,
        case=None,
        action=AuditAction.AUTH_PASSWORD_CHANGE,
        target=user.get_username(),
        details={"was_issued": issued is not None, "tokens_revoked": revoked},
    )
    password_validation.password_changed(new_password, user=user)
    return revoked


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
