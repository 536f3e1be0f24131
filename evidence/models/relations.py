"""Typed links between evidence items of one case: a transcript, a translation, a redacted version, an
attachment, the same event. Removing one keeps it, with who removed it, when and why."""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.models.items import EvidenceItem


class RelationKind(models.TextChoices):
    """What the item (``source``) is to the other (``target``)."""

    TRANSCRIPT_OF = "transcript_of", _("Transcript of")
    TRANSLATION_OF = "translation_of", _("Translation of")
    REDACTED_VERSION_OF = "redacted_version_of", _("Redacted version of")
    ATTACHMENT_OF = "attachment_of", _("Attachment of")
    SAME_EVENT_AS = "same_event_as", _("Same event as")


# The same link read from the other item: X is a transcript of Y, so Y has the transcript X.
INVERSE: dict[str, str] = {
    RelationKind.TRANSCRIPT_OF: "has_transcript",
    RelationKind.TRANSLATION_OF: "has_translation",
    RelationKind.REDACTED_VERSION_OF: "has_redacted_version",
    RelationKind.ATTACHMENT_OF: "has_attachment",
    RelationKind.SAME_EVENT_AS: "same_event_as",
}
SYMMETRIC = frozenset({RelationKind.SAME_EVENT_AS})


class EvidenceRelation(models.Model):
    """``source`` is ``kind`` ``target`` (a redacted version names its original as the target, with the
    redaction codes used). Never deleted: a removed link keeps its history."""

    source = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="relations_out")
    target = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="relations_in")
    kind = models.CharField(max_length=24, choices=RelationKind.choices)
    redaction_codes = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RelationKind.values), name="evidence_relation_kind_valid"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="evidence_relation_not_to_itself"),
            models.CheckConstraint(
                condition=Q(kind=RelationKind.REDACTED_VERSION_OF) | Q(redaction_codes=[]),
                name="evidence_relation_codes_only_for_redactions",
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | ~Q(removal_reason=""),
                name="evidence_relation_removed_with_a_reason",
            ),
            models.UniqueConstraint(
                fields=["source", "target", "kind"],
                condition=Q(removed_at__isnull=True),
                name="evidence_relation_once",
            ),
            # A redacted version has one original.
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(removed_at__isnull=True, kind=RelationKind.REDACTED_VERSION_OF),
                name="evidence_relation_one_original",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"
