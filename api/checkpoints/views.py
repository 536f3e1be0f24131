"""Checkpoints: the Merkle roots over every chain's head that Slid builds and has timestamped."""

from rest_framework import mixins, viewsets

from api.checkpoints.serializers import CheckpointSerializer
from evidence.selectors.checkpoints import checkpoint_list


class CheckpointViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every checkpoint, newest first: its root, when, the number of leaves and the time-stamping tokens. For
    staff and members of any case (api.access: ANY_CASE_MEMBER); publish a root outside Slid with
    `manage.py checkpoint_root`."""

    serializer_class = CheckpointSerializer
    filterset_class = None
    ordering_fields = ["id"]

    def get_queryset(self):
        return checkpoint_list()
