"""API access, read from the one table in api.access."""

from datetime import UTC

from django.conf import settings
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from api.access import AUTHENTICATED, BEFORE_PASSWORD_CHANGE, PUBLIC, STAFF, rule_for
from evidence.errors import NotAllowed
from evidence.models import ApiToken, Case
from evidence.selectors.access import Action, user_may, user_may_anywhere, user_may_reveal
from evidence.selectors.accounts import issued_password, issued_password_expired, totp_enrolled

# What SLID_REQUIRE_TOTP keeps for those who signed in with a second factor.
SECOND_FACTOR_ACTIONS = frozenset({Action.REVEAL_IDENTITY, Action.EXPORT})
ENROL_FIRST = (
    "This deployment requires a second factor for this. Turn it on with POST /api/v1/auth/totp/ and "
    "POST /api/v1/auth/totp/confirm/ (a code from an authenticator app), then log in again with your code (otp)."
)
LOG_IN_WITH_CODE = (
    "This deployment requires a second factor for this, and your token was issued without one: log in again "
    "with your one-time code (otp)."
)

CHOOSE_YOUR_OWN_FIRST = (
    "Your password was issued by a staff member: choose your own before doing anything else, with POST "
    '/api/v1/auth/password/ {"current_password": "<the one you were given>", "new_password": "<yours>"}. '
    "Until then you may only do that or sign out."
)
ISSUED_ONE_EXPIRED = (
    "The one-time password you signed in with expired at {expires_at:%Y-%m-%d %H:%M} UTC: ask a staff member "
    "for a new one. Until then you may only sign out."
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
        raise NotAllowed(f"Your role in {case.reference} does not allow this ({action}).")


def ensure_second_factor(request, action: Action) -> None:
    """With SLID_REQUIRE_TOTP, revealing identities and exporting need an account with a second factor,
    signed in with it: a token issued at a login that gave the code, or a session the admin opened so."""
    if not settings.SLID_REQUIRE_TOTP or action not in SECOND_FACTOR_ACTIONS:
        return
    if not totp_enrolled(user=request.user):
        raise PermissionDenied(ENROL_FIRST)
    if isinstance(request.auth, ApiToken):
        signed_in_with_code = request.auth.second_factor
    else:
        is_verified = getattr(request.user, "is_verified", None)
        signed_in_with_code = bool(is_verified and is_verified())
    if not signed_in_with_code:
        raise PermissionDenied(LOG_IN_WITH_CODE)


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
        raise PermissionDenied(ISSUED_ONE_EXPIRED.format(expires_at=issued.expires_at.astimezone(UTC)))
    raise PermissionDenied(CHOOSE_YOUR_OWN_FIRST)


class TablePermission(BasePermission):
    """Applies the route's rule. Case actions are checked on the object (its case), or by the view
    on the case named in the body for a create; a list shows only the user's cases anyway."""

    message = "Your role does not allow this."

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
        # A create names its case in the body (its service checks the role there); objects are checked below.
        creates = rule in SECOND_FACTOR_ACTIONS and "pk" not in view.kwargs
        if creates and user_may_anywhere(user=request.user, action=rule):
            ensure_second_factor(request, rule)
        return True  # AUTHENTICATED, or a case action checked below

    def has_object_permission(self, request, view, obj) -> bool:
        rule = required_rule(request)
        if not isinstance(rule, Action):
            return True
        if rule == Action.REVEAL_IDENTITY:
            allowed = user_may_reveal(user=request.user, person=obj)
        else:
            allowed = user_may(user=request.user, case=obj if isinstance(obj, Case) else obj.case, action=rule)
        if allowed:
            ensure_second_factor(request, rule)
        return allowed
