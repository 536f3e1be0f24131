"""Uploads from the browser that can be resumed (tus): one row per upload until its last byte is in,
with its owner, case, declared length and the offset received. Going back drops the table."""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0019_units_found_across_scripts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ResumableUpload",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("filename", models.CharField(max_length=1000)),
                ("length", models.BigIntegerField(help_text="Upload-Length: the size the client declared.")),
                ("offset", models.BigIntegerField(default=0, help_text="Bytes received, written and flushed to disk.")),
                (
                    "submitted_sha256",
                    models.CharField(blank=True, help_text="The hash the browser computed.", max_length=64),
                ),
                ("fields", models.JSONField(blank=True, default=dict)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("receiving", "Receiving"),
                            ("complete", "Complete"),
                            ("failed", "Failed"),
                            ("terminated", "Cancelled"),
                            ("expired", "Expired"),
                        ],
                        default="receiving",
                        max_length=12,
                    ),
                ),
                ("reason", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("last_written_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="resumable_uploads",
                        to="evidence.case",
                    ),
                ),
                (
                    "item",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="resumable_upload",
                        to="evidence.evidenceitem",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "indexes": [models.Index(fields=["state", "last_written_at"], name="upload_state_written")],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("length__gt", 0)), name="upload_length_positive"),
                    models.CheckConstraint(
                        condition=models.Q(("offset__gte", 0), ("offset__lte", models.F("length"))),
                        name="upload_offset_in_length",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("state__in", ["receiving", "complete", "failed", "terminated", "expired"])),
                        name="upload_state_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("item__isnull", False), ("offset", models.F("length")), ("state", "complete")),
                            models.Q(models.Q(("state", "complete"), _negated=True), ("item__isnull", True)),
                            _connector="OR",
                        ),
                        name="upload_item_when_complete",
                    ),
                ],
            },
        ),
    ]
