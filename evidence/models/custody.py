"""The chain of custody: one hash-linked entry per event in an evidence item's life (PREMIS events)."""

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from evidence.models.items import EvidenceItem


class CustodyEvent(models.TextChoices):
    RECEIVED = "received", _("Received")
    HASHED = "hashed", _("Hashed")
    IDENTIFIED = "identified", _("Identified")
    DESCRIBED = "described", _("Described")
    DUPLICATE_FOUND = "duplicate_found", _("Duplicate found")
    ARCHIVED = "archived", _("Archived")
    VERIFIED = "verified", _("Verified")
    ACCESSED = "accessed", _("Accessed")
    LINKED = "linked", _("Linked to an incident")
    EXPORTED = "exported", _("Exported")
    FIXITY_CHECK = "fixity_check", _("Fixity check")
    FAILED = "failed", _("Processing failed")
    CORRUPT = "corrupt", _("Found corrupt")
    RETRIED = "retried", _("Retry requested")
    TIMESTAMPED = "timestamped", _("Timestamped")
    PROVENANCE_READ = "provenance_read", _("Provenance read")
    UNLINKED = "unlinked", _("Unlinked from an incident")
    CORRECTED = "corrected", _("Description corrected")
    REPLICATED = "replicated", _("Replicated")
    REPAIRED = "repaired", _("Copy repaired")
    # Custody before Slid, as a person declares it (evidence.services.collection): not observed by Slid.
    COLLECTED = "collected", _("Collected (declared)")
    HANDED_OVER = "handed_over", _("Handed over (declared)")
    REVIEWED = "reviewed", _("Reviewed")


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
    CustodyEvent.CORRUPT: "fixity check",
    CustodyEvent.RETRIED: "ingestion start",
    # A Time Stamping Authority signed the file's SHA-256 with the time (RFC 3161).
    CustodyEvent.TIMESTAMPED: "digital signature generation",
    CustodyEvent.PROVENANCE_READ: "validation",
    # A person changed what the item is linked to or said to be; the bytes are untouched.
    CustodyEvent.UNLINKED: "metadata modification",
    CustodyEvent.CORRECTED: "metadata modification",
    # A copy written to a replica store and read back.
    CustodyEvent.REPLICATED: "replication",
    # A missing or damaged copy made good again from a good one.
    CustodyEvent.REPAIRED: "recovery",
    # Declared by a person: the item was obtained in the field, then passed from one custodian to another.
    CustodyEvent.COLLECTED: "capture",
    CustodyEvent.HANDED_OVER: "transfer",
    # A reviewer's verdict on the item (verified or rejected, with the checklist): an appraisal of it.
    CustodyEvent.REVIEWED: "appraisal",
}


class Outcome(models.TextChoices):
    SUCCESS = "success", _("Success")
    WARNING = "warning", _("Warning")
    FAILURE = "failure", _("Failure")


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
    # How entry_hash is computed (evidence.custody): 1, Python's JSON; 2, RFC 8785 (JCS). Old entries keep theirs.
    version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["evidence", "sequence"]
        verbose_name_plural = "custody entries"
        constraints = [
            models.UniqueConstraint(fields=["evidence", "sequence"], name="custody_sequence_once"),
            models.CheckConstraint(condition=models.Q(event_type__in=CustodyEvent.values), name="custody_event_valid"),
            models.CheckConstraint(condition=models.Q(outcome__in=Outcome.values), name="custody_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id}#{self.sequence} {self.event_type}"
