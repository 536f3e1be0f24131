"""Accounts: creating and deactivating them (staff), passwords issued by staff and changed by their
owners, API tokens (one per device), sessions, the TOTP second factor, and the audit of signing in. The
checks of a login itself, and of a one-time code, are in evidence.services.signin.

One function per act, for the API, the admin and the workspace alike: signing out everywhere
(``signout_everywhere``), ending a user's other sessions (``sessions_end``, part of the acts that need
it), changing one's password (``password_change``), turning the second factor on (``totp_begin``, then
``totp_confirm``) or off (``totp_remove``), and an operator's reset of it (``totp_reset``)."""

import secrets
from base64 import b32encode
from binascii import unhexlify
from datetime import UTC, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django_otp.plugins.otp_totp.models import TOTPDevice

from evidence.errors import DomainError, NotAllowed
from evidence.models import ApiToken, AuditAction, IssuedPassword
from evidence.selectors.access import user_may_manage_account, user_may_reset_second_factor
from evidence.selectors.accounts import issued_password, issued_password_expired, totp_enrolled
from evidence.services.audit import audit_record
from evidence.services.signin import LoginRefused, code_verify, signin_verify

UserModel = get_user_model()

CODE_MISMATCH = gettext_noop("That code does not match; check the app's clock and try again.")
# One answer whether the password or the code was wrong, as at the login: a thief holding a token must not
# learn that a guessed password was right.
NOT_THE_CURRENT_ONES = gettext_noop(
    "That is not your current password, or (if your account has a second factor) not a current code from "
    "your authenticator app."
)
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
    _check_username(username)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ACCOUNT_CREATION_LOCK])
    # Usernames differing only in case would be told apart by the login but not by the people reading
    # an audit log; e-mail addresses must name one account, since leads add members by them.
    if UserModel.objects.filter(username__iexact=username).exists():
        raise DomainError(gettext("An account with this username already exists."), field="username")
    if UserModel.objects.filter(email__iexact=email).exists():
        raise DomainError(gettext("An account with this e-mail address already exists."), field="email")
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


def _check_username(username: str) -> None:
    """The model's rules (length, characters), checked on the username as it will be stored: normalising
    can lengthen it and put spaces in it."""
    field = UserModel._meta.get_field(UserModel.USERNAME_FIELD)
    try:
        field.run_validators(username)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="username") from None


@transaction.atomic
def user_password_issue(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> tuple[str, IssuedPassword]:
    """A new one-time password for an account whose owner lost theirs (or let the first one expire). Every
    device of the account is signed out: until its owner replaces the password, the account can do
    nothing but that."""
    user = _lock_managed(actor=actor, user=user)
    if not user.is_active:
        message = gettext("%(username)s is deactivated; reactivate the account first.")
        raise DomainError(message % {"username": user.get_username()})
    password = one_time_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    issued = _issue(actor=actor, user=user)
    revoked, _ = ApiToken.objects.filter(user=user).delete()
    ended = sessions_end(user=user)
    audit_record(
        actor=actor,
        case=None,
        action=AuditAction.USER_PASSWORD_ISSUE,
        target=user.get_username(),
        details={
            "user": user.pk,
            "password_expires_at": issued.expires_at.isoformat(),
            "tokens_revoked": revoked,
            "sessions_ended": ended,
        },
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
    ended = sessions_end(user=user)
    audit_record(
        actor=actor,
        case=None,
        action=AuditAction.USER_DEACTIVATE,
        target=user.get_username(),
        details={"user": user.pk, "tokens_revoked": revoked, "sessions_ended": ended},
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
            gettext(
                "Staff manage the accounts of people who are not staff, and nobody manages their own here "
                "(change your password with POST /api/v1/auth/password/)."
            )
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
def password_change(
    *, actor: AbstractBaseUser, new_password: str, keep: ApiToken | None = None, keep_session: str | None = None
) -> int:
    """Sets the actor's own password, whose current one the caller has checked (evidence.services.signin,
    with its limits), and signs out every other device, tokens and sessions: a password is changed when
    someone else may know it, and a sign-in made with it must not outlive it. ``keep`` is the token of the
    request, ``keep_session`` the key of its session, if one. Returns how many tokens were revoked. Refuses
    a password Django's validators refuse (naming ``new_password``), the current one, and the change of a
    one-time password that has expired."""
    user = (
        UserModel.objects.select_for_update(no_key=True, of=("self",))
        .select_related("issued_password")
        .get(pk=actor.pk)
    )
    issued = issued_password(user=user)
    if issued_password_expired(issued):
        message = gettext("Your one-time password expired at %(expires_at)s UTC; ask a staff member for a new one.")
        expired_at = issued.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        raise DomainError(message % {"expires_at": expired_at}, field="current_password")
    try:
        password_validation.validate_password(new_password, user=user)
    except ValidationError as error:
        raise ValidationError({"new_password": error.messages}) from None
    if user.check_password(new_password):
        raise DomainError(gettext("Choose a password different from the current one."), field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    IssuedPassword.objects.filter(user=user).delete()
    others = ApiToken.objects.filter(user=user)
    if keep is not None:
        others = others.exclude(pk=keep.pk)
    revoked, _ = others.delete()
    ended = sessions_end(user=user, keep_session=keep_session)
    audit_record(
        actor=actor,
        case=None,
        action=AuditAction.AUTH_PASSWORD_CHANGE,
        target=user.get_username(),
        details={"was_issued": issued is not None, "tokens_revoked": revoked, "sessions_ended": ended},
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
def signout_everywhere(
    *, actor: AbstractBaseUser, keep_session: str | None = None, via: str | None = None
) -> tuple[int, int]:
    """Signs the actor out of every device: every API token revoked, every session ended (the admin's and
    the workspace's) but ``keep_session`` if given; ``via`` names where it was asked (the workspace).
    Returns (sessions ended, tokens revoked)."""
    revoked, _ = ApiToken.objects.filter(user=actor).delete()
    ended = sessions_end(user=actor, keep_session=keep_session)
    audit_record(
        actor=actor,
        case=None,
        action=AuditAction.AUTH_LOGOUT,
        target=actor.get_username(),
        details={**({"via": via} if via else {}), "everywhere": True, "tokens": revoked, "sessions": ended},
    )
    return ended, revoked


def sessions_end(*, user: AbstractBaseUser, keep_session: str | None = None) -> int:
    """Ends every session of the user but ``keep_session`` (a session key); returns how many. Not audited
    by itself: it is part of the act that calls it (signing out everywhere, a new password, a second
    factor turned on), inside that act's transaction.

    Django keeps the user inside each session's data, so every session that has not expired is read:
    sessions live SLID_SESSION_HOURS, so there are a few per person at most."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = store.get_model_class().objects.filter(expire_date__gt=timezone.now())
    if keep_session:
        sessions = sessions.exclude(session_key=keep_session)
    ended = [
        session.session_key
        for session in sessions.only("session_key", "session_data").iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    for key in ended:
        store().delete(key)  # the engine's own delete: a cached_db engine forgets its cached copy too
    return len(ended)


def token_record_use(*, token: ApiToken) -> None:
    """Notes that the token was used now (to the minute; not audited: it changes nothing)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


@transaction.atomic
def session_login_record(*, user: AbstractBaseUser, second_factor: bool, via: str = "admin") -> None:
    """A signed-in session (``via`` the admin or the workspace); its checks were evidence.services.signin's,
    as for a token."""
    audit_record(
        actor=user,
        case=None,
        action=AuditAction.AUTH_LOGIN,
        target=user.get_username(),
        details={"via": via, "second_factor": second_factor},
    )


@transaction.atomic
def session_logout_record(*, user: AbstractBaseUser, via: str) -> None:
    """A session signed out (``via`` the workspace); the caller ends it."""
    audit_record(
        actor=user, case=None, action=AuditAction.AUTH_LOGOUT, target=user.get_username(), details={"via": via}
    )


# --- The TOTP second factor (django-otp's TOTP devices) ------------------------------------------

TOTP_ISSUER = "Slid"


def totp_begin(
    *, user: AbstractBaseUser, current_password: str, code: str | None = None, client: str | None = None
) -> tuple[str, str]:
    """A new, unconfirmed device (replacing any unconfirmed one); returns (base32 secret, otpauth URI).
    Needs the current password, and, from a user who has a second factor already, a current ``code`` from
    it: a stolen token alone must not put the thief's authenticator on the account (and lock its owner
    out). Both are checked as a login checks them (evidence.services.signin: the same limits, a failure
    audited and counted towards the lockout). ``client`` is the request's address. Raises DomainError
    (naming ``code`` or ``current_password``) or LoginThrottled."""
    if totp_enrolled(user=user) and not code:
        raise DomainError(gettext("Give a current code from your authenticator app to replace it."), field="code")
    try:
        signin_verify(username=user.get_username(), password=current_password, otp=code, client=client)
    except LoginRefused:
        raise DomainError(gettext(NOT_THE_CURRENT_ONES), field="current_password") from None
    return _totp_begin(user=user)


@transaction.atomic
def _totp_begin(*, user: AbstractBaseUser) -> tuple[str, str]:
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=TOTP_ISSUER, confirmed=False)
    audit_record(actor=user, case=None, action=AuditAction.AUTH_TOTP_BEGIN, target=user.get_username())
    return b32encode(unhexlify(device.key)).decode(), device.config_url


def totp_confirm(
    *, user: AbstractBaseUser, code: str, client: str | None = None, keep_session: str | None = None
) -> TOTPDevice:
    """Turns on the device ``totp_begin`` made, with a ``code`` from it (a wrong one is audited and counted
    towards the lockout), replacing any earlier one. Every sign-in made without a code ends: the tokens
    issued without one (the one confirming included) and every session but ``keep_session``, which the
    caller marks as signed in with the returned device (``django_otp.login``): it has just given the code.
    Raises DomainError (naming ``code``) or LoginThrottled."""
    if not TOTPDevice.objects.filter(user=user, confirmed=False).exists():
        message = gettext("No second factor is being set up: start with POST /api/v1/auth/totp/.")
        raise DomainError(message, field="code")
    try:
        device = code_verify(user=user, code=code, client=client, being_set_up=True)
    except LoginRefused:
        raise DomainError(gettext(CODE_MISMATCH), field="code") from None
    return _totp_confirm(user=user, device=device, keep_session=keep_session)


@transaction.atomic
def _totp_confirm(*, user: AbstractBaseUser, device: TOTPDevice, keep_session: str | None) -> TOTPDevice:
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    revoked, _ = ApiToken.objects.filter(user=user, second_factor=False).delete()
    ended = sessions_end(user=user, keep_session=keep_session)
    audit_record(
        actor=user,
        case=None,
        action=AuditAction.AUTH_TOTP_ON,
        target=user.get_username(),
        details={"tokens_revoked": revoked, "sessions_ended": ended},
    )
    return device


def totp_remove(*, user: AbstractBaseUser, code: str | None, client: str | None = None) -> None:
    """Turns the second factor off, with a current ``code`` from it (checked as a login checks one, a wrong
    one audited and counted towards the lockout); a half-set-up one needs none. Raises DomainError (naming
    ``code``) or LoginThrottled."""
    if totp_enrolled(user=user):
        if not code:
            message = gettext("Give a current code from your authenticator app to turn it off.")
            raise DomainError(message, field="code")
        try:
            code_verify(user=user, code=code, client=client)
        except LoginRefused:
            raise DomainError(gettext(CODE_MISMATCH), field="code") from None
    _totp_remove(user=user)


@transaction.atomic
def _totp_remove(*, user: AbstractBaseUser) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    audit_record(actor=user, case=None, action=AuditAction.AUTH_TOTP_OFF, target=user.get_username())


@transaction.atomic
def totp_reset(*, actor: AbstractBaseUser, user: AbstractBaseUser, reason: str = "") -> tuple[int, int, int]:
    """An operator takes the second factor off an account whose owner lost it (``manage.py reset_totp``),
    and signs the account out everywhere: what was signed in with the lost device ends with it. Staff reset
    accounts that are not staff, superusers any (evidence.selectors.access.user_may_reset_second_factor).
    Returns (devices removed, tokens revoked, sessions ended)."""
    if not user_may_reset_second_factor(user=actor, account=user):
        message = gettext(
            "%(actor)s may not reset the second factor of %(username)s: staff reset accounts that are not staff, "
            "superusers any."
        )
        raise NotAllowed(message % {"actor": actor.get_username(), "username": user.get_username()})
    user = UserModel.objects.select_for_update(no_key=True).get(pk=user.pk)
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    revoked, _ = ApiToken.objects.filter(user=user).delete()
    ended = sessions_end(user=user)
    audit_record(
        actor=actor,
        case=None,
        action=AuditAction.AUTH_TOTP_OFF,
        target=user.get_username(),
        details={
            "via": "manage.py reset_totp",
            "user": user.pk,
            "reason": reason,
            "devices_removed": removed,
            "tokens_revoked": revoked,
            "sessions_ended": ended,
        },
    )
    return removed, revoked, ended
