"""Reads of court submission packages."""

from django.db.models import QuerySet

from evidence.models import (
    Export,
    ExportProfile,
)
from evidence.selectors.access import User, restrict_export_profiles, restrict_to_user_cases


def export_list(*, user: User) -> QuerySet[Export]:
    return restrict_to_user_cases(Export.objects.select_related("requested_by"), user=user)


def export_profile_list(*, user: User) -> QuerySet[ExportProfile]:
    """The register profiles the user sees (the built-in default is not a row): shared ones and those
    of the user's cases."""
    return restrict_export_profiles(ExportProfile.objects.all(), user=user)
