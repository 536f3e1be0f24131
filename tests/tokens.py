"""API tokens for tests, made as a login makes them but without the login's audit entry."""

import uuid
from datetime import timedelta

from evidence.models import ApiToken


def token_for(user, name: str | None = None, *, second_factor: bool = False) -> str:
    """The secret of a new token of ``user``: for a device of its own unless ``name`` is given (a given
    name replaces that device's earlier token, as a login does)."""
    if name is None:
        name = f"tests-{uuid.uuid4().hex[:12]}"
    ApiToken.objects.filter(user=user, name=name).delete()
    _, key = ApiToken.objects.create_with_key(
        user=user, name=name, lifetime=timedelta(hours=12), second_factor=second_factor
    )
    return key
