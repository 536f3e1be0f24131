"""The copies of each archived file: one row per item and store (the primary archive, each replica), saying
whether the bytes there were last found good, and where they are read from (a repair key once repaired)."""

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.models.items import EvidenceItem

# The Django storage of the primary archive; replicas are "archive-replica-<name>" (config.settings.base).
PRIMARY_STORE = "archive"


class CopyState(models.TextChoices):
    PENDING = "pending", _("Waiting to be copied")
    VERIFIED = "verified", _("Verified")
    REPAIRED = "repaired", _("Repaired")
    MISSING = "missing", _("Missing from its store")
    DAMAGED = "damaged", _("Damaged")
    UNREADABLE = "unreadable", _("Could not be read")


# A copy in these states holds the item's bytes at its key, as last read back.
GOOD_COPY_STATES = (CopyState.VERIFIED, CopyState.REPAIRED)
# A copy in these states failed its last check: it is repaired from a good copy.
BAD_COPY_STATES = (CopyState.MISSING, CopyState.DAMAGED, CopyState.UNREADABLE)


class ArchiveCopy(models.Model):
    """The item's bytes in one store. ``key`` is where they are read: the archive key, or, once bytes found
    there were damaged, the repair key the good bytes were written to (the damaged ones are never touched)."""

    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="copies")
    store = models.CharField(max_length=100, help_text='The Django storage: "archive" or "archive-replica-<name>".')
    key = models.CharField(max_length=300)
    state = models.CharField(max_length=12, choices=CopyState.choices, default=CopyState.PENDING)
    # When the bytes at ``key`` last had the item's SHA-256 (written and read back, or re-hashed by fixity).
    verified_at = models.DateTimeField(null=True, blank=True)
    # When fixity last looked at this copy, whatever it found.
    checked_at = models.DateTimeField(null=True, blank=True)
    # Copying (or repairing) tries that failed since the last success, the last one's reason, and when the
    # next is due (the sweep's queue; also set while a task is on its way, so the sweep leaves it alone).
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    # How many times good bytes were written again, and from which store the last time.
    repairs = models.PositiveIntegerField(default=0)
    repaired_from = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["evidence", "id"]
        verbose_name_plural = "archive copies"
        indexes = [
            models.Index("due_at", "id", name="copy_repair_queue", condition=~Q(state__in=["verified", "repaired"])),
        ]
        constraints = [
            models.UniqueConstraint(fields=["evidence", "store"], name="copy_once_per_store"),
            models.CheckConstraint(condition=Q(state__in=CopyState.values), name="copy_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} in {self.store}: {self.state}"

    @property
    def good(self) -> bool:
        return self.state in GOOD_COPY_STATES
