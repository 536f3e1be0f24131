"""Evidence items and their links to incidents."""

import uuid

import pghistory
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.models.cases import Case
from evidence.models.record import DatePrecision, Incident


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    DOCUMENT = "document", _("Document")
    TESTIMONY = "testimony", _("Testimony")
    OTHER = "other", _("Other")


class SourceType(models.TextChoices):
    WITNESS = "witness", _("Witness")
    OPEN_SOURCE = "open_source", _("Open source")
    FORENSIC = "forensic", _("Forensic")
    OFFICIAL = "official", _("Official")
    OTHER = "other", _("Other")


class KindSource(models.TextChoices):
    """Where an item's ``kind`` came from: the submitter's word always stands."""

    SUBMITTER = "submitter", _("Given by the submitter")
    FILE_NAME = "file_name", _("Guessed from the file name on upload")
    MEDIA_TYPE = "media_type", _("From the media type found in the content")


class CapturedAtSource(models.TextChoices):
    """Where an item's ``captured_at`` came from: the submitter's value always wins over the file's."""

    SUBMITTER = "submitter", _("Given by the submitter")
    EXIF = "exif", _("EXIF DateTimeOriginal with its offset (OffsetTimeOriginal)")
    EXIF_CASE_TIME_ZONE = "exif_case_time_zone", _("EXIF DateTimeOriginal without an offset, read in the case's zone")
    QUICKTIME = "quicktime", _("QuickTime creation date")
    FFPROBE = "ffprobe", _("The container's creation time, as ffprobe reads it")


class EvidenceStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSING = "processing", _("Processing")
    ARCHIVED = "archived", _("Archived")
    DUPLICATE = "duplicate", _("Duplicate")
    FAILED = "failed", _("Failed")
    CORRUPT = "corrupt", _("Corrupt")


class Confidentiality(models.TextChoices):
    PUBLIC = "public", _("Public")
    RESTRICTED = "restricted", _("Restricted")
    CONFIDENTIAL = "confidential", _("Confidential")
    IDENTIFIES_WITNESS = "identifies_witness", _("Identifies a witness")


class CourtClassification(models.TextChoices):
    """How a court registry classifies a document (ICC Regulations of the Registry, regulation 14): beside
    Slid's own need-to-know ``confidentiality``, which says who inside the team may see it."""

    PUBLIC = "public", _("Public")
    CONFIDENTIAL = "confidential", _("Confidential")
    UNDER_SEAL = "under_seal", _("Under seal")
    EX_PARTE = "ex_parte", _("Ex parte")


class ProvenanceState(models.TextChoices):
    """What reading a file's Content Credentials (C2PA) found (workers.provenance)."""

    VALID = "valid", _("Valid, from a trusted signer")
    UNTRUSTED = "untrusted", _("Intact, but the signer is not trusted")
    INVALID = "invalid", _("Does not validate")
    CERTIFICATE_INVALID = "certificate_invalid", _("Intact, but a certificate does not pass")
    NONE = "none", _("None in the file")
    ERROR = "error", _("Could not be read")


# What an item records for a court (evidence.services.court_record checks them): the document facts people give
# (beside what the worker read from the file, ``*_from_file``, which people never set), and the classification.
EVIDENCE_DOCUMENT_FACTS = (
    "document_date", "document_date_precision", "author", "recipient", "languages", "pages", "duration_seconds",
)  # fmt: skip
EVIDENCE_CLASSIFICATION_FIELDS = (
    "court_classification", "received_on_condition_of_confidentiality", "confidentiality_provider",
    "confidentiality_conditions", "exculpatory",
)  # fmt: skip


class ReviewState(models.TextChoices):
    """Where a record stands in its review with a second pair of eyes (evidence.services.reviews)."""

    DRAFT = "draft", _("Draft")
    UNDER_REVIEW = "under_review", _("Under review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


# What a person may correct after intake (PATCH /api/v1/evidence/{id}/, evidence.services.corrections): what the
# item is said to be, never what Slid observed (bytes, hashes, status, ERN, storage keys, the file's own values).
EVIDENCE_CORRECTABLE_FIELDS = (
    "title", "description", "kind", "source_type", "source", "source_url", "captured_at", "acquired_at",
    "confidentiality", "graphic", *EVIDENCE_DOCUMENT_FACTS, *EVIDENCE_CLASSIFICATION_FIELDS,
)  # fmt: skip
# How each moment was given: its UTC offset in minutes, and the case's time zone when it had none.
EVIDENCE_MOMENT_FIELDS = (
    "captured_at_offset", "captured_at_time_zone", "acquired_at_offset", "acquired_at_time_zone",
)  # fmt: skip


@pghistory.track(
    pghistory.UpdateEvent("changed"),
    fields=[
        *EVIDENCE_CORRECTABLE_FIELDS,
        *EVIDENCE_MOMENT_FIELDS,
        "kind_source",
        "captured_at_source",
        "review_state",
        "review_reason",
        "reopened_at",
    ],
    model_name="EvidenceRevision",
    obj_field=pghistory.ObjForeignKey(related_name="events"),
    append_only=True,
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
    kind_source = models.CharField(max_length=20, choices=KindSource.choices, blank=True)
    source_type = models.CharField(max_length=12, choices=SourceType.choices, default=SourceType.OTHER)
    source = models.TextField(blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    captured_at_source = models.CharField(max_length=20, choices=CapturedAtSource.choices, blank=True)
    acquired_at = models.DateTimeField(null=True, blank=True)
    # PostgreSQL keeps a moment, not the offset it was written with: the offset is kept here (minutes east of
    # UTC), and, for a date or a time given without one, the case's time zone it was read in.
    captured_at_offset = models.SmallIntegerField(null=True, blank=True)
    captured_at_time_zone = models.CharField(max_length=64, blank=True)
    acquired_at_offset = models.SmallIntegerField(null=True, blank=True)
    acquired_at_time_zone = models.CharField(max_length=64, blank=True)
    # When the file's own metadata says it was captured (workers.capture_time), whether or not it became
    # captured_at: a person's date far from it is flagged (evidence.selectors.items.captured_at_differs_from_file).
    file_captured_at = models.DateTimeField(null=True, blank=True, editable=False)
    file_captured_at_offset = models.SmallIntegerField(null=True, blank=True, editable=False)
    confidentiality = models.CharField(
        max_length=20, choices=Confidentiality.choices, default=Confidentiality.RESTRICTED
    )
    original_filename = models.CharField(max_length=1000)
    protected_persons = models.ManyToManyField("ProtectedPerson", blank=True, related_name="evidence")
    # Violent or distressing content: the workspace blurs it until the viewer chooses to see it
    # (evidence.services.viewing.evidence_mark_graphic sets it, audited).
    graphic = models.BooleanField(default=False)
    submitted_sha256 = models.CharField(max_length=64, blank=True, help_text="The hash the submitter computed.")

    # Document facts (evidence.services.court_record): what people give, and beside it what the worker read
    # from the file (``*_from_file``); both are kept, and the given value is the one in effect.
    document_date = models.DateTimeField(null=True, blank=True)
    document_date_precision = models.CharField(max_length=12, choices=DatePrecision.choices, blank=True)
    document_date_from_file = models.DateTimeField(null=True, blank=True)
    author = models.CharField(max_length=500, blank=True)
    author_from_file = models.CharField(max_length=500, blank=True)
    recipient = models.CharField(max_length=500, blank=True)
    languages = ArrayField(models.CharField(max_length=3), default=list, blank=True, help_text="ISO 639 codes.")
    pages = models.PositiveIntegerField(null=True, blank=True)
    pages_from_file = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    duration_seconds_from_file = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    # As a court registry classifies it; "confidential" until someone decides otherwise, so that nothing is
    # public by default.
    court_classification = models.CharField(
        max_length=12, choices=CourtClassification.choices, default=CourtClassification.CONFIDENTIAL
    )
    # Rome Statute art. 54(3)(e): material received on condition of confidentiality, solely to generate new
    # evidence; it may not be disclosed without the provider's consent.
    received_on_condition_of_confidentiality = models.BooleanField(default=False)
    confidentiality_provider = models.CharField(max_length=500, blank=True)
    confidentiality_conditions = models.TextField(blank=True)
    # Rome Statute art. 67(2): may show the innocence of the accused, mitigate guilt or affect the credibility
    # of prosecution evidence. Shown by every view of the item and in every register.
    exculpatory = models.BooleanField(default=False)

    status = models.CharField(max_length=12, choices=EvidenceStatus.choices, default=EvidenceStatus.RECEIVED)
    status_reason = models.TextField(blank=True)
    # The review with a second pair of eyes, apart from processing (``status``): evidence.services.reviews.
    review_state = models.CharField(max_length=12, choices=ReviewState.choices, default=ReviewState.DRAFT)
    review_reason = models.TextField(blank=True)
    review_requested_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
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
    # The Content Credentials read at intake, as recorded in the custody entry "provenance_read"; null for a
    # file Slid does not look into (not an image, video or audio) or one processed before it did.
    provenance = models.JSONField(null=True, blank=True)
    # Custody before Slid as last declared (evidence.services.collection); every declaration is in the chain.
    collection = models.JSONField(null=True, blank=True, editable=False)

    received_at = models.DateTimeField(default=timezone.now, editable=False)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    # A claim is a lease: the worker renews it while it works; once it runs out, another worker may claim.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    fixity_failed_at = models.DateTimeField(null=True, blank=True)
    # When fixity last looked at the archived copy, whatever it found: the queue moves on either way.
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # RFC 3161 timestamps (evidence.services.timestamps): when the first verified token says the bytes
    # existed, and, until then, how the requests went and when the next is due (the sweep's queue).
    timestamped_at = models.DateTimeField(null=True, blank=True)
    timestamp_attempts = models.PositiveIntegerField(default=0)
    timestamp_error = models.TextField(blank=True)
    timestamp_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "evidence items"
        indexes = [
            models.Index(fields=["status", "claimed_at"], name="evidence_status_claimed"),
            models.Index(fields=["case", "sha256"], name="evidence_case_sha256"),
            models.Index(F("last_checked_at").asc(nulls_first=True), "id", name="evidence_fixity_queue"),
            models.Index(
                F("timestamp_due_at").asc(nulls_first=True),
                "id",
                name="evidence_timestamp_queue",
                condition=Q(timestamped_at__isnull=True) & ~Q(archive_key=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=EvidenceStatus.values), name="evidence_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=EvidenceKind.values), name="evidence_kind_valid"),
            models.CheckConstraint(condition=Q(source_type__in=SourceType.values), name="evidence_source_type_valid"),
            models.CheckConstraint(
                condition=Q(kind_source__in=["", *KindSource.values]), name="evidence_kind_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(captured_at_source__in=["", *CapturedAtSource.values]),
                name="evidence_captured_at_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidentiality__in=Confidentiality.values), name="evidence_confidentiality_valid"
            ),
            models.CheckConstraint(
                condition=Q(court_classification__in=CourtClassification.values),
                name="evidence_court_classification_valid",
            ),
            models.CheckConstraint(
                condition=Q(document_date_precision__in=["", *DatePrecision.values]),
                name="evidence_document_date_precision_valid",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0}), name=f"evidence_{name}_valid"
                )
                for name in ("duration_seconds", "duration_seconds_from_file")
            ),
            # Art. 54(3)(e) material names whoever gave it on that condition.
            models.CheckConstraint(
                condition=Q(received_on_condition_of_confidentiality=False) | ~Q(confidentiality_provider=""),
                name="evidence_confidential_condition_names_provider",
            ),
            models.CheckConstraint(
                condition=Q(review_state__in=ReviewState.values), name="evidence_review_state_valid"
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


class EvidenceSearchDocument(models.Model):
    """The words ?q= finds an item by (evidence.selectors.items.evidence_search): its title, description,
    source, file name (also split at dots, dashes and underscores) and the string values of its extracted
    metadata. A database trigger keeps it (migration 0030) whenever one of those changes. It is a table of
    its own because intake updates an item's row at every step, and a full-text index on that row would
    be rewritten each time (eight times the cost of the update)."""

    # No foreign key in the database: it is derived data, and must not stand in the way of anything done to
    # the item's row (tests/evidence/test_verify_custody.py deletes one, as an attacker would).
    item = models.OneToOneField(
        EvidenceItem, on_delete=models.DO_NOTHING, primary_key=True, related_name="search_document", db_constraint=False
    )
    document = SearchVectorField()

    class Meta:
        indexes = [GinIndex(fields=["document"], name="evidence_search")]
