"""Signing in: the one path every login takes, the API's tokens and the admin's sessions alike, with
the same limits, the same second factor and the same audit entries; and the checks of a one-time code
alone (turning a second factor on, off or replacing it), under the same limits.

The limits live in the cache every web worker shares (Redis in production):
- each client may try SLID_LOGIN_RATE logins (client_address: proxies are believed only when named in
  SLID_TRUSTED_PROXIES). An IPv4 client is its address; an IPv6 client is its /64, the block one
  subscriber is given, or it would get a fresh allowance from each of its 2^64 addresses;
- each account locks for SLID_LOGIN_LOCKOUT_MINUTES after SLID_LOGIN_MAX_FAILURES failures (wrong
  passwords and wrong codes alike). Attempts on one account take turns (a lock taken with Redis's atomic
  SET NX): each reads the count of failures, checks the password and records the outcome before the next
  one starts, so twenty guesses sent at once get five checks. Counting without taking turns lets every
  guess in flight through.
"""

import hashlib
import ipaddress
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NoReturn

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext, gettext_noop
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.env import parse_rate
from evidence.models import AuditAction
from evidence.request_context import canonical_address
from evidence.selectors.accounts import issued_password, issued_password_expired
from evidence.services.audit import audit_record

TOO_MANY_FAILURES = gettext_noop("Too many failed logins for this account; try again later.")
TOO_MANY_LOGINS = gettext_noop("Too many logins from your address; try again later.")
BUSY = gettext_noop("Other logins to this account are being checked; try again in a moment.")
ISSUED_ONE_EXPIRED = gettext_noop(
    "Your one-time password expired at %(expires_at)s UTC; ask a staff member for a new one."
)
# A turn ends when its attempt does; one whose process died ends by itself after TURN_SECONDS.
TURN_SECONDS = 30
TURN_WAIT_SECONDS = 10
IPV6_CLIENT_PREFIX = 64


class LoginRefused(Exception):
    """A wrong username, password or one-time code: one answer for all, so none can be told apart."""


class IssuedPasswordExpired(LoginRefused):
    """The right password (and code), but one a staff member issued and that has expired. Telling it apart
    from a wrong one reveals only that the password was right, and only to someone who also gave the code
    of an account with a second factor; what they hold no longer opens anything, and what they need to
    hear is to ask for a new one. A caller that does not tell it apart refuses it as a wrong password."""

    def __init__(self, *, expires_at: datetime) -> None:
        super().__init__()
        self.expires_at = expires_at

    @property
    def message(self) -> str:
        expired_at = self.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        return gettext(ISSUED_ONE_EXPIRED) % {"expires_at": expired_at}


class LoginThrottled(Exception):
    def __init__(self, message: str, *, wait: int) -> None:
        super().__init__(message)
        self.message = message
        self.wait = wait


@dataclass(frozen=True)
class SignedIn:
    user: AbstractBaseUser
    device: TOTPDevice | None  # the device whose code was given; None for an account without one

    @property
    def second_factor(self) -> bool:
        return self.device is not None


def signin_verify(*, username: str, password: str, otp: str | None, client: str | None) -> SignedIn:
    """Checks a login. Raises LoginThrottled (the client or the account is over its limit), LoginRefused
    (audited, and counted towards the account's lockout), or its kind IssuedPasswordExpired (the right
    password and code, but a password a staff member issued that has expired; audited, not counted)."""
    _count_client_attempt(client)
    with _account_turn(username):
        _ensure_not_locked(username)
        user = authenticate(None, username=username, password=password)
        # The account's devices are looked up, and a code given checked against them, whatever the
        # password: a right password with a wrong code must cost what a wrong password does (the same
        # queries, the same writes), or the time of the answer would tell that the password was right.
        devices = list(TOTPDevice.objects.filter(user__username=username, confirmed=True).values_list("pk", flat=True))
        device = _verified_device(devices, otp) if devices else None
        if user is None:
            _refuse(username, user=None)
        if devices and device is None:
            _refuse(username, user=user)
        _ensure_issued_password_current(user)
        cache.delete_many([_failures_key(username), _locked_until_key(username)])
        return SignedIn(user=user, device=device)


def _ensure_issued_password_current(user: AbstractBaseUser) -> None:
    """An issued password works until it expires (SLID_ONE_TIME_PASSWORD_HOURS). Its owner gave everything
    right, so the refusal is audited but not counted towards the lockout: what is refused is not a guess."""
    issued = issued_password(user=user)
    if issued_password_expired(issued):
        details = {"reason": "one_time_password_expired"}
        audit_record(
            actor=user, case=None, action=AuditAction.AUTH_LOGIN_FAILED, target=user.get_username(), details=details
        )
        raise IssuedPasswordExpired(expires_at=issued.expires_at)


def code_verify(*, user: AbstractBaseUser, code: str, client: str | None, being_set_up: bool = False) -> TOTPDevice:
    """Checks a one-time code of the user's second factor (with ``being_set_up``, of the one being set up)
    as a login checks one: within the client's rate and the account's lockout, and a wrong code refused
    with an audit entry (auth.otp_failed) and counted towards the lockout, so that a stolen token cannot
    guess codes at leisure. Returns the device; raises LoginThrottled or LoginRefused."""
    _count_client_attempt(client)
    username = user.get_username()
    with _account_turn(username):
        _ensure_not_locked(username)
        devices = TOTPDevice.objects.filter(user=user, confirmed=not being_set_up).order_by("-id")
        device_ids = list(devices.values_list("pk", flat=True)[: 1 if being_set_up else None])
        device = _verified_device(device_ids, code)
        if device is None:
            _refuse(username, user=user, details={"setting_up": True} if being_set_up else None)
        return device


def _verified_device(device_ids: list[int], otp: str | None) -> TOTPDevice | None:
    if not otp:
        return None
    # Locked, so the same code sent twice at once is accepted once (django-otp records the code's step).
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(pk__in=device_ids).order_by("pk"):
            if device.verify_token(otp):
                return device
    return None


def _refuse(username: str, *, user: AbstractBaseUser | None, details: dict | None = None) -> NoReturn:
    lockout = settings.SLID_LOGIN_LOCKOUT_MINUTES * 60
    counter_add(_failures_key(username), lockout)
    cache.touch(_failures_key(username), lockout)  # the lock lasts from the last failure
    cache.set(_locked_until_key(username), time.time() + lockout, lockout)
    login_record_failure(username=username, user=user, details=details)
    raise LoginRefused


def login_record_failure(*, username: str, user: AbstractBaseUser | None, details: dict | None = None) -> None:
    """A refused login: a wrong password (``user`` None) or a wrong or missing one-time code."""
    action = AuditAction.AUTH_LOGIN_FAILED if user is None else AuditAction.AUTH_OTP_FAILED
    audit_record(actor=user, case=None, action=action, target=username[:200], details=details)


# --- Counters -------------------------------------------------------------------------------------


def counter_add(key: str, timeout: int) -> int:
    """Adds one to the counter ``key`` (created to live ``timeout`` seconds) and returns the new value.
    Redis's INCR is atomic: attempts at the same moment each get a number of their own."""
    while True:
        cache.add(key, 0, timeout)
        try:
            return cache.incr(key)
        except ValueError:  # the counter expired between the two calls
            continue


def _account(username: str) -> str:
    return hashlib.sha256(username.casefold().encode()).hexdigest()[:32]


def _failures_key(username: str) -> str:
    return f"login-failures:{_account(username)}"


def _locked_until_key(username: str) -> str:
    return f"login-locked-until:{_account(username)}"


@contextmanager
def _account_turn(username: str) -> Iterator[None]:
    """Waits until no other login to the account is being checked, and holds the account meanwhile."""
    key, mine = f"login-turn:{_account(username)}", secrets.token_hex(8)
    deadline = time.monotonic() + TURN_WAIT_SECONDS
    while not cache.add(key, mine, TURN_SECONDS):
        if time.monotonic() > deadline:
            raise LoginThrottled(gettext(BUSY), wait=1)
        time.sleep(0.02)
    try:
        yield
    finally:
        if cache.get(key) == mine:
            cache.delete(key)


def _ensure_not_locked(username: str) -> None:
    if (cache.get(_failures_key(username)) or 0) >= settings.SLID_LOGIN_MAX_FAILURES:
        until = cache.get(_locked_until_key(username)) or time.time()
        raise LoginThrottled(gettext(TOO_MANY_FAILURES), wait=max(1, int(until - time.time()) + 1))


def login_rate() -> tuple[int, int]:
    """SLID_LOGIN_RATE as (attempts, seconds): "20/min" is (20, 60) (checked when the settings load)."""
    return parse_rate("SLID_LOGIN_RATE", settings.SLID_LOGIN_RATE)


def client_block(client: str | None) -> str:
    """What the per-client limit counts: an IPv4 address (also when written ::ffff:a.b.c.d), or the /64
    of an IPv6 one."""
    address = canonical_address(client)
    if address is None:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


def _count_client_attempt(client: str | None) -> None:
    attempts, seconds = login_rate()
    now = time.time()
    window = int(now // seconds)
    if counter_add(f"login-rate:{client_block(client)}:{window}", seconds) > attempts:
        raise LoginThrottled(gettext(TOO_MANY_LOGINS), wait=int(seconds - now % seconds) + 1)
