import uuid

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.validators import RegexValidator
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from evidence.access import Role
from geo.fields import BoxField
from geo.models import AdminArea
from geo.querysets import FootprintQuerySet
from geo.selectors import as_geography

CASE_REFERENCE_VALIDATOR = RegexValidator(
    r"^[A-Z0-9]+(-[A-Z0-9]+)*$",
    "Use capital letters, digits and single hyphens, e.g. UA-2022-BUCHA.",
)


class Case(models.Model):
    """The unit of need-to-know: people see what belongs to the cases they are members of."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=64, unique=True, validators=[CASE_REFERENCE_VALIDATOR])
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CaseMembership", through_fields=("case", "user"), related_name="cases"
    )
    # The number of the case's last evidence item, for its ERN (reference-000123).
    evidence_counter = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference


class CaseMembership(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    added_at = models.DateTimeField(default=timezone.now, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["case", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="membership_one_per_user_and_case"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} in {self.case}"


class AuditEntry(models.Model):
    """An append-only record of who did what, written in the same transaction as the change."""

    at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, related_name="audit_entries")
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True, help_text="Where the request came from.")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        triggers = [pgtrigger.Protect(name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"


class DatePrecision(models.TextChoices):
    EXACT = "exact", "Exact"
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"
    APPROXIMATE = "approximate", "Approximate"


class IncidentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    UNDER_REVIEW = "under_review", "Under review"
    VERIFIED = "verified", "Verified"


@pghistory.track(
    pghistory.InsertEvent("created"),
    pghistory.UpdateEvent("changed"),
    exclude=["search", "period", "footprint"],
    model_name="IncidentRevision",
    append_only=True,
)
class Incident(models.Model):
    """Something that happened, where and when, and which crimes it may amount to."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    occurred_from = models.DateTimeField()
    occurred_to = models.DateTimeField(null=True, blank=True)
    date_precision = models.CharField(max_length=12, choices=DatePrecision.choices, default=DatePrecision.DAY)
    # Indexed together with the case below (nearly every query is restricted to the user's cases).
    location = models.GeometryField(srid=4326, spatial_index=False)
    location_uncertainty_m = models.PositiveIntegerField(null=True, blank=True)
    place_name = models.CharField(max_length=300, blank=True)
    admin_area = models.ForeignKey(AdminArea, on_delete=models.SET_NULL, null=True, blank=True, editable=False)
    crimes = ArrayField(models.CharField(max_length=24), default=list, blank=True)
    # None means "not known", which is not the same as zero.
    killed = models.PositiveIntegerField(null=True, blank=True)
    injured = models.PositiveIntegerField(null=True, blank=True)
    missing = models.PositiveIntegerField(null=True, blank=True)
    detained = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.DRAFT)
    # Witnesses and victims, referred to by their pseudonyms only.
    protected_persons = models.ManyToManyField("ProtectedPerson", blank=True, related_name="incidents")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    # Derived columns the database keeps, each for one indexed filter: the period for date-window
    # overlaps, the text for full-text search, the footprint (the location's bounding box) for
    # counting bbox matches from the index alone (geo.querysets).
    period = models.GeneratedField(
        expression=Func(
            F("occurred_from"),
            Coalesce(F("occurred_to"), F("occurred_from")),
            Value("[]"),
            function="tstzrange",
            output_field=DateTimeRangeField(),
        ),
        output_field=DateTimeRangeField(),
        db_persist=True,
    )
    search = models.GeneratedField(
        expression=SearchVector("title", "description", "place_name", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    footprint = models.GeneratedField(
        expression=Func(F("location"), function="box", output_field=BoxField()),
        output_field=BoxField(),
        db_persist=True,
    )

    objects = FootprintQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_from", "-id"]
        indexes = [
            GistIndex(as_geography("location"), name="incident_location_geography"),
            GistIndex(fields=["case", "location"], name="incident_case_location"),
            GistIndex(fields=["case", "period"], name="incident_case_period"),
            GistIndex(fields=["case", "footprint"], name="incident_case_footprint"),
            GinIndex(fields=["crimes"], name="incident_crimes"),
            GinIndex(fields=["search"], name="incident_search"),
            models.Index(fields=["occurred_from", "id"], name="incident_occurred_from"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(occurred_to__isnull=True) | Q(occurred_to__gte=F("occurred_from")),
                name="incident_period_in_order",
                violation_error_message="The end (occurred_to) is before the start (occurred_from).",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Unit(models.Model):
    """A military or other unit; units form a command hierarchy within a case."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="units")
    name = models.CharField(max_length=300)
    designation = models.CharField(max_length=300, blank=True, help_text='e.g. "military unit 51460"')
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="subordinates")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A suspect: someone an allegation may name."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="persons")
    full_name = models.CharField(max_length=300)
    other_names = ArrayField(models.CharField(max_length=300), default=list, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    rank = models.CharField(max_length=100, blank=True)
    position = models.CharField(max_length=300, blank=True)
    nationality = models.CharField(max_length=100, blank=True)
    identifiers = models.JSONField(default=dict, blank=True, help_text='e.g. {"service_number": "…"}')
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="persons")
    # Every name in Latin letters, lower case, for search across scripts (kept by services).
    search_names = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["full_name"]
        verbose_name_plural = "persons"
        indexes = [GinIndex(fields=["search_names"], opclasses=["gin_trgm_ops"], name="person_search_names_trgm")]

    def __str__(self) -> str:
        return self.full_name


class AllegationRole(models.TextChoices):
    DIRECT_PERPETRATOR = "direct_perpetrator", "Direct perpetrator"
    COMMANDER = "commander", "Commander"
    ORDERED = "ordered", "Ordered"
    AIDED_ABETTED = "aided_abetted", "Aided and abetted"
    PRESENT = "present", "Present"
    UNIT_IN_CONTROL = "unit_in_control", "Unit in control"


class Confidence(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class AllegationStatus(models.TextChoices):
    ALLEGED = "alleged", "Alleged"
    CORROBORATED = "corroborated", "Corroborated"
    DISPUTED = "disputed", "Disputed"


class Allegation(models.Model):
    """Links a person or a unit to an incident, with the role it is alleged to have played."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="allegations")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="allegations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="allegations")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="allegations")
    role = models.CharField(max_length=20, choices=AllegationRole.choices)
    basis = models.TextField(blank=True)
    confidence = models.CharField(max_length=6, choices=Confidence.choices, default=Confidence.LOW)
    status = models.CharField(max_length=12, choices=AllegationStatus.choices, default=AllegationStatus.ALLEGED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["incident", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, unit__isnull=True) | Q(person__isnull=True, unit__isnull=False),
                name="allegation_names_a_person_or_a_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person or self.unit} — {self.get_role_display()} — {self.incident}"


# --- Evidence and its chain of custody ----------------------------------------------------------


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", "Photo"
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"
    DOCUMENT = "document", "Document"
    TESTIMONY = "testimony", "Testimony"
    OTHER = "other", "Other"


class SourceType(models.TextChoices):
    WITNESS = "witness", "Witness"
    OPEN_SOURCE = "open_source", "Open source"
    FORENSIC = "forensic", "Forensic"
    OFFICIAL = "official", "Official"
    OTHER = "other", "Other"


class EvidenceStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    ARCHIVED = "archived", "Archived"
    DUPLICATE = "duplicate", "Duplicate"
    FAILED = "failed", "Failed"
    CORRUPT = "corrupt", "Corrupt"


class Confidentiality(models.TextChoices):
    PUBLIC = "public", "Public"
    RESTRICTED = "restricted", "Restricted"
    CONFIDENTIAL = "confidential", "Confidential"
    IDENTIFIES_WITNESS = "identifies_witness", "Identifies a witness"


HASHES_SET = pgtrigger.Q(old__sha256__isnull=False)
HASHES_CHANGED = (
    pgtrigger.Q(old__sha256__df=pgtrigger.F("new__sha256"))
    | pgtrigger.Q(old__md5__df=pgtrigger.F("new__md5"))
    | pgtrigger.Q(old__size_bytes__df=pgtrigger.F("new__size_bytes"))
)


class EvidenceItem(models.Model):
    """One file as it was submitted, and everything learnt about it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence")
    ern = models.CharField("evidence reference number", max_length=80, unique=True, editable=False)
    incidents = models.ManyToManyField(Incident, through="EvidenceIncidentLink", related_name="evidence", blank=True)
    title = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=EvidenceKind.choices, default=EvidenceKind.OTHER)
    source_type = models.CharField(max_length=12, choices=SourceType.choices, default=SourceType.OTHER)
    source = models.TextField(blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    acquired_at = models.DateTimeField(null=True, blank=True)
    confidentiality = models.CharField(
        max_length=20, choices=Confidentiality.choices, default=Confidentiality.RESTRICTED
    )
    original_filename = models.CharField(max_length=1000)
    protected_persons = models.ManyToManyField("ProtectedPerson", blank=True, related_name="evidence")
    submitted_sha256 = models.CharField(max_length=64, blank=True, help_text="The hash the submitter computed.")

    status = models.CharField(max_length=12, choices=EvidenceStatus.choices, default=EvidenceStatus.RECEIVED)
    status_reason = models.TextField(blank=True)
    intake_key = models.CharField(max_length=500, blank=True)
    archive_key = models.CharField(max_length=200, blank=True)
    # Set once by the worker; the database refuses to change them afterwards.
    sha256 = models.CharField(max_length=64, blank=True, null=True, db_index=True)
    md5 = models.CharField(max_length=32, blank=True, null=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    digests = models.JSONField(default=dict, blank=True, help_text="Every digest computed, by algorithm.")
    media_type = models.CharField(max_length=200, blank=True)
    media_type_mismatch = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    metadata_error = models.TextField(blank=True)
    captured_location = models.PointField(srid=4326, null=True, blank=True)
    incident_distances_m = models.JSONField(default=dict, blank=True)
    duplicate_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    perceptual_hash = models.CharField(max_length=16, blank=True)

    received_at = models.DateTimeField(default=timezone.now, editable=False)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    fixity_failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "evidence items"
        indexes = [
            models.Index(fields=["status", "claimed_at"], name="evidence_status_claimed"),
            models.Index(fields=["case", "sha256"], name="evidence_case_sha256"),
        ]
        triggers = [
            pgtrigger.Protect(name="evidence_never_deleted", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="evidence_hashes_set_once", operation=pgtrigger.Update, condition=HASHES_SET & HASHES_CHANGED
            ),
        ]

    def __str__(self) -> str:
        return self.ern


class EvidenceIncidentLink(models.Model):
    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="incident_links")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence_links")
    linked_at = models.DateTimeField(default=timezone.now, editable=False)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["evidence", "incident"], name="evidence_link_once")]


class CustodyEvent(models.TextChoices):
    RECEIVED = "received", "Received"
    HASHED = "hashed", "Hashed"
    IDENTIFIED = "identified", "Identified"
    DESCRIBED = "described", "Described"
    DUPLICATE_FOUND = "duplicate_found", "Duplicate found"
    ARCHIVED = "archived", "Archived"
    VERIFIED = "verified", "Verified"
    ACCESSED = "accessed", "Accessed"
    LINKED = "linked", "Linked to an incident"
    EXPORTED = "exported", "Exported"
    FIXITY_CHECK = "fixity_check", "Fixity check"
    FAILED = "failed", "Processing failed"


# The PREMIS 3 event type (id.loc.gov/vocabulary/preservation/eventType) of each custody event.
PREMIS_EVENT_TYPES = {
    CustodyEvent.RECEIVED: "ingestion start",
    CustodyEvent.HASHED: "message digest calculation",
    CustodyEvent.IDENTIFIED: "format identification",
    CustodyEvent.DESCRIBED: "metadata extraction",
    CustodyEvent.DUPLICATE_FOUND: "validation",
    CustodyEvent.ARCHIVED: "replication",
    CustodyEvent.VERIFIED: "fixity check",
    CustodyEvent.ACCESSED: "dissemination",
    CustodyEvent.LINKED: "metadata modification",
    CustodyEvent.EXPORTED: "dissemination",
    CustodyEvent.FIXITY_CHECK: "fixity check",
    CustodyEvent.FAILED: "ingestion end",
}


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    WARNING = "warning", "Warning"
    FAILURE = "failure", "Failure"


class CustodyEntry(models.Model):
    """One event in an evidence item's life. Entries chain by hash; the database refuses to change them."""

    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="custody")
    sequence = models.PositiveIntegerField()
    event_type = models.CharField(max_length=20, choices=CustodyEvent.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    agent = models.CharField(max_length=300, help_text="user:<username> or worker:<name>@<host>")
    agent_details = models.JSONField(default=dict, blank=True, help_text="host, tool versions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    occurred_at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["evidence", "sequence"]
        verbose_name_plural = "custody entries"
        constraints = [models.UniqueConstraint(fields=["evidence", "sequence"], name="custody_sequence_once")]
        triggers = [pgtrigger.Protect(name="custody_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.evidence_id}#{self.sequence} {self.event_type}"


# --- Court submission packages ------------------------------------------------------------------


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    BUILDING = "building", "Building"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ExportProfile(models.Model):
    """The columns of a package's evidence register, as one chamber's e-Court protocol wants them.
    The built-in "default" profile lives in evidence.register; these are the ones teams add."""

    name = models.SlugField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    # [{"column": "Evidence number", "field": "ern", "date_format": "%d/%m/%Y"}, …] in order.
    columns = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

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
    include_identities = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    status_reason = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    item_count = models.PositiveIntegerField(default=0)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    # The package's layout in the exports store: the package is read back from it (evidence.storage).
    package_key = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_at_most_100")]

    def __str__(self) -> str:
        return f"export {self.public_id}"


# --- Witnesses and victims ----------------------------------------------------------------------


class ProtectedKind(models.TextChoices):
    WITNESS = "witness", "Witness"
    VICTIM = "victim", "Victim"


PSEUDONYM_PREFIX = {ProtectedKind.WITNESS: "W", ProtectedKind.VICTIM: "V"}
IDENTITY_FIELDS = ("full_name", "date_of_birth", "contact", "address", "protective_measures", "consent")


class ProtectedPerson(models.Model):
    """A witness or victim, known everywhere by a pseudonym (W-0042). Who they are is encrypted;
    the database holds only ciphertext and the id of the key (evidence.identity_crypto)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="protected_persons")
    kind = models.CharField(max_length=8, choices=ProtectedKind.choices)
    pseudonym = models.CharField(max_length=16)
    identity_key_id = models.CharField(max_length=64)
    identity_sealed = models.BinaryField()
    readers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["case", "pseudonym"]
        constraints = [models.UniqueConstraint(fields=["case", "pseudonym"], name="pseudonym_once_per_case")]

    def __str__(self) -> str:
        return self.pseudonym
