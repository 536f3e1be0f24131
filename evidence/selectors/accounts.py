"""Reads about accounts: a user's API tokens and second factor."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from evidence.models import ApiToken
from evidence.models.accounts import token_hash


def token_list(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The user's tokens that still work, newest first. Nobody sees another user's tokens."""
    return ApiToken.objects.filter(user=user, expires_at__gt=timezone.now()).order_by("-created_at", "-id")


def token_find(*, key: str) -> ApiToken | None:
    """The token whose secret is ``key`` (expired or not), with its user."""
    return ApiToken.objects.select_related("user").filter(key_hash=token_hash(key)).first()


def totp_enrolled(*, user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
