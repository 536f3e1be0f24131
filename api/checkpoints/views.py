"""Checkpoints: the Merkle roots over every chain's head that Slid builds and has timestamped."""

from django.utils.translation import gettext
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied

from api.checkpoints.serializers import CheckpointSerializer
from evidence.selectors.access import user_may_see_checkpoints
from evidence.selectors.checkpoints import checkpoint_list


class CheckpointViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every checkpoint, newest first: its root, when, the number of leaves and the time-stamping tokens. For
    staff and members of any case; publish a root outside Slid with `manage.py checkpoint_root`."""

    serializer_class = CheckpointSerializer
    filterset_class = None
    ordering_fields = ["id"]

    def get_queryset(self):
        return checkpoint_list()

    def list(self, request, *args, **kwargs):
        if not user_may_see_checkpoints(user=request.user):
            raise PermissionDenied(gettext("Checkpoints are for staff and the members of a case."))
        return super().list(request, *args, **kwargs)
