"""Checkpoints and inclusion proofs as the API shows them."""

import base64

from rest_framework import serializers

from api.evidence.serializers import TimestampSerializer
from evidence.models import Checkpoint, TimestampToken
from evidence.selectors.checkpoints import timestamp_absence


class CheckpointTokenSerializer(TimestampSerializer):
    """An item's token as the item shows it, and the token itself: anyone can check it against the root."""

    token = serializers.SerializerMethodField(help_text="The RFC 3161 TimeStampToken, DER, in base64.")

    class Meta(TimestampSerializer.Meta):
        fields = [*TimestampSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, timestamp: TimestampToken) -> str:
        return base64.b64encode(bytes(timestamp.token)).decode("ascii")


class CheckpointSerializer(serializers.ModelSerializer):
    time = serializers.DateTimeField(source="created_at", help_text="When the chains' heads were read.")
    size = serializers.IntegerField(source="tree_size", help_text="Leaves: the audit log's, and one per item.")
    root = serializers.CharField(help_text="The Merkle root (RFC 6962), SHA-256 in hex.")
    tokens = CheckpointTokenSerializer(source="timestamps", many=True)
    not_timestamped = serializers.SerializerMethodField(help_text="Why there is no token; null when there is one.")

    class Meta:
        model = Checkpoint
        fields = ["id", "time", "root", "size", "tokens", "not_timestamped", "audit_position", "audit_head"]

    def get_not_timestamped(self, checkpoint: Checkpoint) -> str | None:
        return timestamp_absence(checkpoint)


class CheckpointReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    time = serializers.DateTimeField(source="created_at")
    root = serializers.CharField()


class InclusionProofSerializer(serializers.Serializer):
    """RFC 9162 §2.1.3: hash the leaf up the audit path and compare with the root."""

    checkpoint = CheckpointReferenceSerializer()
    leaf_index = serializers.IntegerField(help_text="0 is the audit log's leaf; items follow in the order received.")
    tree_size = serializers.IntegerField()
    leaf_hash = serializers.CharField(help_text="SHA-256(0x00 || item public id, 16 bytes || head_hash)")
    head_sequence = serializers.IntegerField(help_text="The custody entry that was the chain's head at the checkpoint.")
    head_hash = serializers.CharField(help_text="That entry's hash as custody holds it today.")
    holds = serializers.BooleanField(
        help_text="Whether leaf_hash is H(0x00 || label || head_hash) today; false: the chain changed after the "
        "checkpoint (or the entry is gone), and the proof shows what the checkpoint recorded, not today's chain."
    )
    audit_path = serializers.ListField(child=serializers.CharField(), help_text="Sibling hashes, from the leaf up.")
    root = serializers.CharField()
    algorithm = serializers.SerializerMethodField()

    def get_algorithm(self, proof) -> str:
        return "RFC 6962 Merkle tree, SHA-256; leaf = H(0x00 || label || head), node = H(0x01 || left || right)"
