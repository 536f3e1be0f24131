"""Work for the Celery workers, written in the same transaction as the change that needs it (a
transactional outbox): a message is never lost while the broker is down, and it is sent as soon as
the broker answers again (workers.outbox)."""

from django.contrib.gis.db import models
from django.utils import timezone


class OutboxTask(models.Model):
    task = models.CharField(max_length=200, help_text="The Celery task's name.")
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Not sent before this moment: a retry waits here, not in the broker, so it survives both.
    due_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["due_at", "id"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
