"""Signing in: the one path every login takes, the API's tokens and the admin's sessions alike, with
the same limits, the same second factor and the same audit entries.

The limits live in the cache every web worker shares (Redis in production):
- each client address may try SLID_LOGIN_RATE logins (client_address: proxies are believed only when
  named in SLID_TRUSTED_PROXIES);
- each account locks for SLID_LOGIN_LOCKOUT_MINUTES after SLID_LOGIN_MAX_FAILURES failures. Attempts on
  one account take turns (a lock taken with Redis's atomic SET NX): each reads the count of failures,
  checks the password and records the outcome before the next one starts, so twenty guesses sent at
  once get five checks. Counting without taking turns lets every guess in flight through.
"""

import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from evidence.services.accounts import login_record_failure

TOO_MANY_FAILURES = "Too many failed logins for this account; try again later."
TOO_MANY_LOGINS = "Too many logins from your address; try again later."
BUSY = "Other logins to this account are being checked; try again in a moment."
# A turn ends when its attempt does; one whose process died ends by itself after TURN_SECONDS.
TURN_SECONDS = 30
TURN_WAIT_SECONDS = 10
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class LoginRefused(Exception):
    """A wrong username, password or one-time code: one answer for all, so none can be told apart."""


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
    """Checks a login. Raises LoginThrottled (the client or the account is over its limit) or
    LoginRefused (audited, and counted towards the account's lockout)."""
    _count_client_attempt(client)
    with _account_turn(username):
        _ensure_not_locked(username)
        user = authenticate(None, username=username, password=password)
        # Looked up whatever the password, so a right password costs what a wrong one does.
        devices = list(TOTPDevice.objects.filter(user__username=username, confirmed=True).values_list("pk", flat=True))
        if user is None:
            _refuse(username, user=None)
        device = _verified_device(devices, otp) if devices else None
        if devices and device is None:
            _refuse(username, user=user)
        cache.delete_many([_failures_key(username), _locked_until_key(username)])
        return SignedIn(user=user, device=device)


def _verified_device(device_ids: list[int], otp: str | None) -> TOTPDevice | None:
    if not otp:
        return None
    # Locked, so the same code sent twice at once is accepted once (django-otp records the code's step).
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(pk__in=device_ids).order_by("pk"):
            if device.verify_token(otp):
                return device
    return None


def _refuse(username: str, *, user: AbstractBaseUser | None) -> NoReturn:
    lockout = settings.SLID_LOGIN_LOCKOUT_MINUTES * 60
    _count(_failures_key(username), lockout)
    cache.touch(_failures_key(username), lockout)  # the lock lasts from the last failure
    cache.set(_locked_until_key(username), time.time() + lockout, lockout)
    login_record_failure(username=username, user=user)
    raise LoginRefused


# --- Counters -------------------------------------------------------------------------------------


def _count(key: str, timeout: int) -> int:
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
            raise LoginThrottled(BUSY, wait=1)
        time.sleep(0.02)
    try:
        yield
    finally:
        if cache.get(key) == mine:
            cache.delete(key)


def _ensure_not_locked(username: str) -> None:
    if (cache.get(_failures_key(username)) or 0) >= settings.SLID_LOGIN_MAX_FAILURES:
        until = cache.get(_locked_until_key(username)) or time.time()
        raise LoginThrottled(TOO_MANY_FAILURES, wait=max(1, int(until - time.time()) + 1))


def login_rate() -> tuple[int, int]:
    """SLID_LOGIN_RATE as (attempts, seconds): "20/min" is (20, 60); the period's first letter counts,
    as in Django REST framework's throttles (s, m, h, d)."""
    number, _, period = settings.SLID_LOGIN_RATE.partition("/")
    seconds = PERIODS.get(period.strip()[:1])
    if not number.strip().isdigit() or seconds is None:
        raise ImproperlyConfigured(f"SLID_LOGIN_RATE={settings.SLID_LOGIN_RATE!r}: use <number>/<s|min|h|day>")
    return int(number), seconds


def _count_client_attempt(client: str | None) -> None:
    attempts, seconds = login_rate()
    now = time.time()
    window = int(now // seconds)
    if _count(f"login-rate:{client or 'unknown'}:{window}", seconds) > attempts:
        raise LoginThrottled(TOO_MANY_LOGINS, wait=int(seconds - now % seconds) + 1)
