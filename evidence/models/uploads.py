"""Uploads from the browser that arrive in pieces and may be resumed (the tus protocol): what is known
about one before its last byte is in. The bytes wait in a folder of their own (SLID_PARTIAL_UPLOADS_DIR),
never served; the evidence item exists only once all of them are in (evidence.services.resumable)."""

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.models.cases import Case
from evidence.models.items import EvidenceItem


class UploadState(models.TextChoices):
    RECEIVING = "receiving", _("Receiving")
    COMPLETE = "complete", _("Complete")  # every byte in, and the evidence item recorded
    FAILED = "failed", _("Failed")  # refused once complete, with the reason; its bytes are removed
    TERMINATED = "terminated", _("Cancelled")  # by its owner
    EXPIRED = "expired", _("Expired")  # abandoned for longer than SLID_UPLOAD_EXPIRY_HOURS


class ResumableUpload(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="resumable_uploads")
    # Only its owner may see, resume or cancel it: nobody else has received anything yet.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=1000)
    length = models.BigIntegerField(help_text="Upload-Length: the size the client declared.")
    offset = models.BigIntegerField(default=0, help_text="Bytes received, written and flushed to disk.")
    submitted_sha256 = models.CharField(max_length=64, blank=True, help_text="The hash the browser computed.")
    # The intake fields as checked at creation (dates in UTC ISO 8601), with the ids of the incidents and
    # protected persons; they are given to evidence_receive once the last byte is in.
    fields = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=12, choices=UploadState.choices, default=UploadState.RECEIVING)
    reason = models.TextField(blank=True)
    item = models.OneToOneField(
        EvidenceItem, on_delete=models.PROTECT, null=True, blank=True, related_name="resumable_upload"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "last_written_at"], name="upload_state_written")]
        constraints = [
            models.CheckConstraint(condition=Q(length__gt=0), name="upload_length_positive"),
            models.CheckConstraint(
                condition=Q(offset__gte=0, offset__lte=models.F("length")), name="upload_offset_in_length"
            ),
            models.CheckConstraint(condition=Q(state__in=UploadState.values), name="upload_state_valid"),
            models.CheckConstraint(
                condition=Q(state=UploadState.COMPLETE, item__isnull=False, offset=models.F("length"))
                | (~Q(state=UploadState.COMPLETE) & Q(item__isnull=True)),
                name="upload_item_when_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.offset}/{self.length})"
