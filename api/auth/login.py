"""Repeated failed logins lock an account for a while, whatever the password tried next."""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


def _key(username: str) -> str:
    return f"login-failures:{username.casefold()}"


def locked_for_seconds(username: str) -> int:
    failures = cache.get(_key(username))
    if not failures or failures["count"] < settings.SLID_LOGIN_MAX_FAILURES:
        return 0
    remaining = failures["until"] - timezone.now().timestamp()
    return max(0, int(remaining) + 1)


def record_failure(username: str) -> None:
    window = settings.SLID_LOGIN_LOCKOUT_MINUTES * 60
    failures = cache.get(_key(username)) or {"count": 0}
    failures = {"count": failures["count"] + 1, "until": timezone.now().timestamp() + window}
    cache.set(_key(username), failures, timeout=window)


def record_success(username: str) -> None:
    cache.delete(_key(username))
