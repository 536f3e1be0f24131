"""API access: which case action each view action needs, checked against evidence.access."""

from rest_framework.permissions import BasePermission

from evidence.access import Action
from evidence.errors import NotAllowed
from evidence.models import Case
from evidence.selectors import user_may

# By default reading needs READ and every change WRITE; a view may name other actions.
DEFAULT_ACTIONS = {
    "list": Action.READ,
    "retrieve": Action.READ,
    "create": Action.WRITE,
    "update": Action.WRITE,
    "partial_update": Action.WRITE,
    "destroy": Action.WRITE,
}


def required_action(view) -> Action:
    actions = {**DEFAULT_ACTIONS, **getattr(view, "case_actions", {})}
    return actions[view.action]


def ensure_allowed(user, case: Case, action: Action) -> None:
    """For actions whose case is only known from the request body (create)."""
    if not user_may(user=user, case=case, action=action):
        raise NotAllowed(f"Your role in {case.reference} does not allow this ({action}).")


class CaseRolePermission(BasePermission):
    """Object-level check of the user's role in the object's case.

    The queryset is already restricted to the user's cases, so an object of another case never
    gets here: it is a 404.
    """

    def has_object_permission(self, request, view, obj) -> bool:
        case = obj if isinstance(obj, Case) else obj.case
        return user_may(user=request.user, case=case, action=required_action(view))
