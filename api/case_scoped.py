"""The shape every case-scoped resource shares: list and read what your cases hold, create in a
case where your role allows writing, change what you may write. Nothing here is ever deleted."""

from collections.abc import Callable

from rest_framework import mixins, viewsets

from api.permissions import ensure_allowed, required_rule


class CaseScopedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    # Set by each resource: the selector that lists what a user may see, and the write services.
    selector: Callable
    create_service: Callable
    update_service: Callable
    update_target: str

    def get_queryset(self):
        return type(self).selector(user=self.request.user)

    def case_for_create(self, validated_data: dict):
        return validated_data.pop("case")

    def perform_create(self, serializer) -> None:
        data = dict(serializer.validated_data)
        case = self.case_for_create(data)
        ensure_allowed(self.request.user, case, required_rule(self.request))
        serializer.instance = type(self).create_service(actor=self.request.user, case=case, **data)

    def perform_update(self, serializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("case", None)
        target = {self.update_target: serializer.instance}
        serializer.instance = type(self).update_service(actor=self.request.user, **target, **data)
