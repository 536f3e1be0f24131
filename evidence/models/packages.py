"""Court submission packages and the register profiles they are built with."""

import uuid

import pghistory
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.models.cases import Case


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


@pghistory.track(
    pghistory.InsertEvent("created"),
    pghistory.UpdateEvent("changed"),
    model_name="ExportProfileRevision",
    obj_field=pghistory.ObjForeignKey(related_name="events"),
    append_only=True,
)
class ExportProfile(models.Model):
    """The columns of a package's evidence register, as one chamber's e-Court protocol wants them.
    The built-in profiles ("default", "e-court") live in evidence.package.register; these are the ones
    teams add.

    A profile belongs to one case (its leads and legal members define it, its members see it, its
    exports use it), or, with no case, is shared by every case: those are defined by staff and carry
    no case information (evidence.selectors.access.user_may_define_export_profile).

    Its description and columns may be edited, and it may be retired: every state is kept as a revision
    (pghistory), each export names the revision it was built with, and a retired profile is chosen by no
    new export but keeps its name, so old exports still name it and nothing else takes the name."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="export_profiles")
    name = models.SlugField(max_length=64)
    description = models.TextField(blank=True)
    # [{"column": "Evidence number", "field": "ern", "date_format": "%d/%m/%Y"}, …] in order.
    columns = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retired_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "name"], condition=Q(case__isnull=False), name="export_profile_name_once_per_case"
            ),
            models.UniqueConstraint(
                fields=["name"], condition=Q(case__isnull=True), name="export_profile_shared_name_once"
            ),
            models.CheckConstraint(
                condition=Q(retired_at__isnull=True) | ~Q(retired_reason=""), name="export_profile_retired_with_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Export(models.Model):
    """A request for a submission package and, once built, the package itself."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    incident_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    evidence_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    profile = models.CharField(max_length=64, default="default")
    # The revision of the profile the export was requested with (none for a built-in profile): the builder
    # uses it, so an edit or a retirement after the request does not change the package.
    profile_revision = models.ForeignKey(
        "evidence.ExportProfileRevision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    include_identities = models.BooleanField(default=False)
    # data/analysis-chart.csv: the elements of the package's crimes and modes of liability, the assessments that
    # prove them and the gaps (evidence.selectors.analysis_chart).
    include_analysis_chart = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    status_reason = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    item_count = models.PositiveIntegerField(default=0)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    # The package's layout in the exports store: the package is read back from it (evidence.package.layout).
    package_key = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    # The builder's claim, a lease it renews while it works (like an evidence item's).
    claim_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_at_most_100"),
            models.CheckConstraint(condition=Q(status__in=ExportStatus.values), name="export_status_valid"),
        ]

    def __str__(self) -> str:
        return f"export {self.public_id}"
