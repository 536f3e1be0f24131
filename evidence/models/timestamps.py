"""RFC 3161 timestamp tokens: a Time Stamping Authority's signed word that a SHA-256 digest existed at a
time. Kept whole (DER) and never changed or deleted (migration 0026)."""

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils import timezone

from evidence.models.items import EvidenceItem


class TimestampToken(models.Model):
    """One token over ``sha256`` from ``tsa_url``. ``verified``: it verified on arrival (the imprint is the
    digest, the signature chains to a configured root, the signer may stamp time); a token that did not is
    kept with ``refusal`` saying why, and does not count as the item's timestamp."""

    # What was stamped: an evidence file (its SHA-256), or a checkpoint (its Merkle root); exactly one.
    evidence = models.ForeignKey(
        EvidenceItem, on_delete=models.PROTECT, null=True, blank=True, related_name="timestamps"
    )
    checkpoint = models.ForeignKey(
        "evidence.Checkpoint", on_delete=models.PROTECT, null=True, blank=True, related_name="timestamps"
    )
    sha256 = models.CharField(max_length=64, help_text="The digest the token stamps (its message imprint), hex.")
    tsa_url = models.CharField(max_length=500)
    token = models.BinaryField(help_text="The TimeStampToken (CMS ContentInfo) as the authority signed it, DER.")
    # A serial may be 160 bits: kept as its decimal digits (custody's JSON cannot carry such an integer).
    serial = models.CharField(max_length=50)
    gen_time = models.DateTimeField(help_text="The time the token states (genTime).")
    policy = models.CharField(max_length=200, blank=True)
    chain = models.TextField(
        blank=True,
        help_text="The certificates the token was verified with, PEM: the authority's first, the configured root "
        "last (empty when it did not verify).",
    )
    verified = models.BooleanField()
    refusal = models.TextField(blank=True, help_text="Why the token did not verify on arrival.")
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["gen_time", "id"]
        indexes = [models.Index(fields=["evidence", "gen_time"], name="timestamp_evidence")]
        constraints = [
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="timestamp_sha256_hex"),
            models.CheckConstraint(
                condition=Q(verified=True, refusal="") | Q(verified=False), name="timestamp_refusal_if_refused"
            ),
            models.CheckConstraint(
                condition=Q(evidence__isnull=False, checkpoint__isnull=True)
                | Q(evidence__isnull=True, checkpoint__isnull=False),
                name="timestamp_of_one_thing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tsa_url} #{self.serial} {self.gen_time:%Y-%m-%dT%H:%M:%SZ}"
