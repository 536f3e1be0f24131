"""The audit log: who did what, when and from where."""

import pgtrigger
from django.conf import settings
from django.contrib.gis.db import models
from django.utils import timezone

from evidence.models.cases import Case


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
