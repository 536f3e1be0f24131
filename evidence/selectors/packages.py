"""Reads of court submission packages."""

from django.db.models import QuerySet

from evidence.models import (
    Export,
)
from evidence.selectors.access import User, restrict_to_user_cases


def export_list(*, user: User) -> QuerySet[Export]:
    return restrict_to_user_cases(Export.objects.select_related("requested_by"), user=user)
