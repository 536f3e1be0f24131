"""Checkpoints: Merkle roots over every chain's head (evidence.merkle), timestamped and published outside
Slid, so that a chain rewritten afterwards, even by the database's owner, no longer reproduces them. Their
RFC 3161 tokens are evidence.models.TimestampToken rows whose ``checkpoint`` is set."""

from django.contrib.gis.db import models

# One leaf as a checkpoint records it: the item's id (8 bytes), its chain's head sequence (4) and the head's
# SHA-256 (32), big-endian, in ascending item id.
LEAF_RECORD = 8 + 4 + 32


class Checkpoint(models.Model):
    """One Merkle root over the audit log's head and every item's chain head, at ``created_at``. It records
    its leaves as changes to the checkpoint before it (``base``): only the items whose head moved, or that
    are new, so that hourly checkpoints of a million items do not store a million leaves each time. A
    checkpoint with no base lists every leaf. Append-only: the database refuses to change or delete one."""

    created_at = models.DateTimeField()
    tree_size = models.PositiveBigIntegerField(help_text="leaves: the audit log's, and one per evidence item")
    root = models.CharField(max_length=64, help_text="SHA-256, hex")
    audit_position = models.PositiveBigIntegerField(help_text="the audit log's last link then (0: none yet)")
    audit_head = models.CharField(max_length=64, help_text="that link's hash (64 zeros for none)")
    base = models.OneToOneField("self", on_delete=models.PROTECT, null=True, related_name="next")
    changes = models.BinaryField(help_text="LEAF_RECORD bytes per leaf that changed since the base")
    changed_leaves = models.PositiveIntegerField()
    # A time-stamping authority was configured when it was built: without a token (TimestampToken.checkpoint)
    # a day later, verify_custody reports it.
    stamp_wanted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"checkpoint {self.pk} {self.root[:16]}… ({self.tree_size} leaves)"


class CheckpointTree(models.Model):
    """A recent checkpoint's whole tree, so that an inclusion proof reads a few slices of it instead of
    rebuilding it. Derived from the chains, not evidence (the app role can write it), so older ones are
    removed; a proof read from it is checked against the checkpoint's root before it is answered. The byte
    strings are stored uncompressed (STORAGE EXTERNAL), which lets PostgreSQL read a slice without reading
    the whole value."""

    checkpoint = models.OneToOneField(Checkpoint, on_delete=models.CASCADE, primary_key=True, related_name="tree")
    item_ids = models.BinaryField(help_text="8 bytes per item leaf, ascending: leaf i + 1 is item_ids[i]")
    id_samples = models.BinaryField(help_text="every SAMPLE_EVERY-th of item_ids, to find a block quickly")
    head_sequences = models.BinaryField(help_text="4 bytes per item leaf: its chain's head sequence")
    levels = models.BinaryField(help_text="every level, leaves first, 32 bytes per node (evidence.merkle.pack)")

    SAMPLE_EVERY = 1024

    def __str__(self) -> str:
        return f"tree of checkpoint {self.checkpoint_id}"
