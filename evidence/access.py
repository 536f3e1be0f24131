"""Who may do what in a case: the one table every permission check reads."""

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    LEAD = "lead", "Lead"
    INVESTIGATOR = "investigator", "Investigator"
    ANALYST = "analyst", "Analyst"
    LEGAL = "legal", "Legal"


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    MANAGE_CASE = "manage_case"
    DOWNLOAD = "download"
    EXPORT = "export"
    REVEAL_IDENTITY = "reveal_identity"  # leads; and any member a lead names for that person


ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.LEAD: frozenset(Action),
    Role.INVESTIGATOR: frozenset({Action.READ, Action.WRITE, Action.DOWNLOAD}),
    Role.ANALYST: frozenset({Action.READ, Action.DOWNLOAD}),
    Role.LEGAL: frozenset({Action.READ, Action.DOWNLOAD, Action.EXPORT}),
}


def role_allows(role: str | None, action: Action) -> bool:
    return role is not None and action in ROLE_ACTIONS[role]
