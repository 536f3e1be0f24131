"""Accounts and API tokens."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from rest_framework.authtoken.models import Token

from evidence.services.audit import audit_record

UserModel = get_user_model()


@transaction.atomic
def user_ensure_admin(*, username: str, password: str, email: str = "") -> tuple[AbstractBaseUser, bool]:
    """Creates the superuser ``username`` unless it exists. Returns (user, created)."""
    user = UserModel.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = UserModel.objects.create_superuser(username=username, email=email, password=password)
    audit_record(actor=None, case=None, action="user.create_admin", target=username)
    return user, True


@transaction.atomic
def token_issue(*, user: AbstractBaseUser) -> Token:
    """A new API token for the user; any earlier one stops working (rotation on every login)."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    audit_record(actor=user, case=None, action="auth.login", target=user.get_username())
    return token


@transaction.atomic
def token_revoke(*, user: AbstractBaseUser) -> None:
    Token.objects.filter(user=user).delete()
    audit_record(actor=user, case=None, action="auth.logout", target=user.get_username())
