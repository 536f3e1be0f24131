"""The browser workspace's sessions: the audit of signing in and out, and signing out everywhere. The
checks of a login are evidence.services.signin's, as for the API's tokens and the admin."""

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from evidence.models import AuditAction
from evidence.services.accounts import token_revoke_all
from evidence.services.audit import audit_record

# django.contrib.auth keeps the signed-in user's id under this key of the session (auth.SESSION_KEY).
SESSION_USER_KEY = "_auth_user_id"


@transaction.atomic
def web_signin_record(*, user: AbstractBaseUser, second_factor: bool) -> None:
    audit_record(
        actor=user,
        case=None,
        action=AuditAction.AUTH_LOGIN,
        target=user.get_username(),
        details={"via": "web", "second_factor": second_factor},
    )


@transaction.atomic
def web_signout_record(*, user: AbstractBaseUser) -> None:
    audit_record(
        actor=user, case=None, action=AuditAction.AUTH_LOGOUT, target=user.get_username(), details={"via": "web"}
    )


@transaction.atomic
def signout_everywhere(*, actor: AbstractBaseUser, keep_session: str | None = None) -> tuple[int, int]:
    """Ends every session of the actor (the workspace's and the admin's) but ``keep_session`` (a session
    key), and revokes every API token (evidence.services.accounts.token_revoke_all, audited there).
    Returns (sessions ended, tokens revoked).

    Sessions are found by reading each one that has not expired: Django stores the user inside the
    session's data, and sessions live SLID_SESSION_HOURS, so there are a few per person at most."""
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).exclude(session_key=keep_session):
        if session.get_decoded().get(SESSION_USER_KEY) == str(actor.pk):
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    tokens = token_revoke_all(actor=actor)
    audit_record(
        actor=actor,
        case=None,
        action=AuditAction.AUTH_LOGOUT,
        target=actor.get_username(),
        details={"via": "web", "everywhere": True, "sessions": len(ended)},
    )
    return len(ended), tokens
