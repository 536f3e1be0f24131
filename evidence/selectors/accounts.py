"""Reads about accounts: the accounts themselves (for staff), finding one to add to a case, a user's API
tokens, second factor and issued password."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from evidence.models import ApiToken, IssuedPassword
from evidence.models.accounts import token_hash

UserModel = get_user_model()


def user_list() -> QuerySet:
    """Every account, active or not, with its issued password if one is pending (for staff only: api.access)."""
    return UserModel.objects.select_related("issued_password").order_by("username", "pk")


def user_find_active(*, user_id: int | None = None, username: str | None = None, email: str | None = None):
    """The one active account with this id, this exact username, or this e-mail address (in any case), or
    None: no account, a deactivated one, or more than one with that address all look alike to the caller."""
    accounts = UserModel.objects.filter(is_active=True)
    if user_id is not None:
        accounts = accounts.filter(pk=user_id)
    elif username is not None:
        accounts = accounts.filter(username=username)
    elif email is not None:
        accounts = accounts.filter(email__iexact=email)
    else:
        return None
    found = list(accounts[:2])
    return found[0] if len(found) == 1 else None


def issued_password(*, user: AbstractBaseUser) -> IssuedPassword | None:
    """The password a staff member issued to the user and the user has not replaced yet, if any. Free when
    the user was loaded with it (token_find, user_list); one query otherwise."""
    try:
        return user.issued_password
    except IssuedPassword.DoesNotExist:
        return None


def issued_password_expired(issued: IssuedPassword | None) -> bool:
    return issued is not None and issued.expires_at <= timezone.now()


def token_list(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The user's tokens that still work, newest first. Nobody sees another user's tokens."""
    return ApiToken.objects.filter(user=user, expires_at__gt=timezone.now()).order_by("-created_at", "-id")


def token_find(*, key: str) -> ApiToken | None:
    """The token whose secret is ``key`` (expired or not), with its user, and, as ``owner_enrolled``,
    whether the user has a second factor now (in the same query: it is asked on every request)."""
    enrolled = Exists(TOTPDevice.objects.filter(user=OuterRef("user_id"), confirmed=True))
    tokens = ApiToken.objects.select_related("user", "user__issued_password").annotate(owner_enrolled=enrolled)
    return tokens.filter(key_hash=token_hash(key)).first()


def totp_enrolled(*, user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
