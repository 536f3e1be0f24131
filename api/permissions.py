"""API access, read from the one table in api.access."""

from datetime import UTC

from django.utils.translation import gettext, gettext_lazy, gettext_noop
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from api.access import ANY_CASE_MEMBER, AUTHENTICATED, BEFORE_PASSWORD_CHANGE, PUBLIC, STAFF, rule_for
from evidence.errors import NotAllowed
from evidence.models import ApiToken, Case
from evidence.selectors.access import (
    SECOND_FACTOR_ACTIONS,
    Action,
    second_factor_refusal,
    user_may,
    user_may_anywhere,
    user_may_reveal,
    user_may_see_checkpoints,
)
from evidence.selectors.accounts import issued_password, issued_password_expired

CHOOSE_YOUR_OWN_FIRST = gettext_noop(
    "Your password was issued by a staff member: choose your own before doing anything else, with POST "
    '/api/v1/auth/password/ {"current_password": "<the one you were given>", "new_password": "<yours>"}. '
    "Until then you may only do that or sign out."
)
ISSUED_ONE_EXPIRED = gettext_noop(
    "The one-time password you signed in with expired at %(expires_at)s UTC: ask a staff member for a new one. "
    "Until then you may only sign out."
)


def _method(request) -> str:
    return "GET" if request.method == "HEAD" else request.method.upper()


def required_rule(request, view=None) -> object:
    method = _method(request)
    if method == "OPTIONS":
        return AUTHENTICATED  # describes the route, shows no data
    return rule_for(request.resolver_match.url_name, method)


def ensure_allowed(user, case: Case, action: Action) -> None:
    """For actions whose case is only known from the request body (create)."""
    if not user_may(user=user, case=case, action=action):
        message = gettext("Your role in %(case)s does not allow this (%(action)s).")
        raise NotAllowed(message % {"case": case.reference, "action": action})


def signed_in_with_code(request) -> bool:
    """Whether the request's credential came from a sign-in that gave the one-time code: a token issued at
    such a login, or a session django-otp marked verified."""
    if isinstance(request.auth, ApiToken):
        return request.auth.second_factor
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def ensure_second_factor(request, action: Action) -> None:
    """With SLID_REQUIRE_TOTP, revealing identities and exporting need an account with a second factor,
    signed in with it (evidence.selectors.access.second_factor_refusal)."""
    refusal = second_factor_refusal(user=request.user, with_code=signed_in_with_code(request), action=action)
    if refusal:
        raise PermissionDenied(refusal)


def ensure_password_chosen(request) -> None:
    """An account whose password a staff member issued may only change it (before it expires) or sign
    out; whatever else it calls answers 403 saying what to do, public routes included."""
    issued = issued_password(user=request.user)
    if issued is None:
        return
    route = (request.resolver_match.url_name, _method(request))
    expired = issued_password_expired(issued)
    if route in BEFORE_PASSWORD_CHANGE and not (expired and route == ("auth-password", "POST")):
        return
    if expired:
        expires_at = issued.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        raise PermissionDenied(gettext(ISSUED_ONE_EXPIRED) % {"expires_at": expires_at})
    raise PermissionDenied(gettext(CHOOSE_YOUR_OWN_FIRST))


class TablePermission(BasePermission):
    """Applies the route's rule. Case actions are checked on the object (its case), or by the view
    on the case named in the body for a create; a list shows only the user's cases anyway."""

    message = gettext_lazy("Your role does not allow this.")

    def has_permission(self, request, view) -> bool:
        if request.method.upper() not in view.allowed_methods:
            return True  # the view answers 405
        if request.user and request.user.is_authenticated:
            ensure_password_chosen(request)
        rule = required_rule(request)
        if rule is None:
            return False
        if rule == PUBLIC:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        if rule == STAFF:
            return request.user.is_staff
        if rule == ANY_CASE_MEMBER:
            return user_may_see_checkpoints(user=request.user)
        # A create names its case in the body (its service checks the role there); objects are checked below.
        creates = rule in SECOND_FACTOR_ACTIONS and "pk" not in view.kwargs
        if creates and user_may_anywhere(user=request.user, action=rule):
            ensure_second_factor(request, rule)
        return True  # AUTHENTICATED, or a case action checked below

    def has_object_permission(self, request, view, obj) -> bool:
        rule = required_rule(request)
        if not isinstance(rule, Action | frozenset):
            return True
        if rule == Action.REVEAL_IDENTITY:
            allowed = user_may_reveal(user=request.user, person=obj)
        else:
            allowed = user_may(user=request.user, case=obj if isinstance(obj, Case) else obj.case, action=rule)
        if allowed and isinstance(rule, Action):
            ensure_second_factor(request, rule)
        return allowed
