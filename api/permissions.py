"""API access, read from the one table in api.access."""

from rest_framework.permissions import BasePermission

from api.access import AUTHENTICATED, EXPORTER, PUBLIC, STAFF, rule_for
from evidence.errors import NotAllowed
from evidence.models import Case
from evidence.selectors.access import Action, user_may, user_may_anywhere, user_may_reveal


def required_rule(request, view=None) -> object:
    method = "GET" if request.method == "HEAD" else request.method
    if method == "OPTIONS":
        return AUTHENTICATED  # describes the route, shows no data
    return rule_for(request.resolver_match.url_name, method)


def ensure_allowed(user, case: Case, action: Action) -> None:
    """For actions whose case is only known from the request body (create)."""
    if not user_may(user=user, case=case, action=action):
        raise NotAllowed(f"Your role in {case.reference} does not allow this ({action}).")


class TablePermission(BasePermission):
    """Applies the route's rule. Case actions are checked on the object (its case), or by the view
    on the case named in the body for a create; a list shows only the user's cases anyway."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        if request.method.upper() not in view.allowed_methods:
            return True  # the view answers 405
        rule = required_rule(request)
        if rule is None:
            return False
        if rule == PUBLIC:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        if rule == STAFF:
            return request.user.is_staff
        if rule == EXPORTER:
            return user_may_anywhere(user=request.user, action=Action.EXPORT)
        return True  # AUTHENTICATED, or a case action checked below

    def has_object_permission(self, request, view, obj) -> bool:
        rule = required_rule(request)
        if not isinstance(rule, Action):
            return True
        if rule == Action.REVEAL_IDENTITY:
            return user_may_reveal(user=request.user, person=obj)
        case = obj if isinstance(obj, Case) else obj.case
        return user_may(user=request.user, case=case, action=rule)
