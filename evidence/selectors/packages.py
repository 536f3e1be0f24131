"""Reads of court submission packages and their register profiles."""

from django.apps import apps
from django.db.models import Model, QuerySet

from evidence.models import (
    Export,
    ExportProfile,
)
from evidence.package import register
from evidence.selectors.access import User, restrict_export_profiles, restrict_to_user_cases
from evidence.selectors.record import revision_list


def export_list(*, user: User) -> QuerySet[Export]:
    return restrict_to_user_cases(Export.objects.select_related("requested_by"), user=user)


def export_profile_list(*, user: User) -> QuerySet[ExportProfile]:
    """The register profiles the user sees (the built-in ones are not rows), retired ones too: shared ones
    and those of the user's cases."""
    return restrict_export_profiles(ExportProfile.objects.all(), user=user)


def _revisions() -> type[Model]:
    return apps.get_model("evidence", "ExportProfileRevision")


def export_profile_latest_revision(*, profile_id: int) -> Model:
    """The profile's newest revision (every save writes one: evidence.models.packages)."""
    return _revisions().objects.filter(pgh_obj_id=profile_id).latest("pgh_id")


def export_profile_revision_list(*, profile: ExportProfile) -> list[dict]:
    """Every revision of the profile, oldest first: when, by whom, which fields changed."""
    return revision_list(profile.events.all())


def export_profile_of(export: Export) -> register.Profile | None:
    """The profile the export's package is built with: the revision it was requested with (a built-in
    profile, or one requested before revisions were kept, by name, retired or not)."""
    revision = export.profile_revision
    if revision is None:
        return register.profile_named(export.profile, case=export.case, retired_too=True)
    number = _revisions().objects.filter(pgh_obj_id=revision.pgh_obj_id, pgh_id__lte=revision.pgh_id)
    return register.Profile(
        name=revision.name,
        description=revision.description,
        columns=tuple(
            register.Column(c["column"], c["field"], c.get("date_format") or register.ISO_DATE)
            for c in revision.columns
        ),
        case_id=revision.case_id,
        id=revision.pgh_obj_id,
        retired_at=revision.retired_at,
        revision=number.count(),
    )
