"""Court submission packages and the register profiles they are built with."""

from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.downloads import requested_range
from api.filters import ALWAYS_KNOWN, refuse_unknown_parameters
from api.packages.filters import ExportFilterSet
from api.packages.serializers import ExportProfileSerializer, ExportRequestSerializer, ExportSerializer
from evidence.errors import NotAllowed
from evidence.models import ExportStatus
from evidence.package import register
from evidence.selectors.access import user_may_download_export
from evidence.selectors.packages import export_list, export_profile_list
from evidence.services.downloads import export_file_response
from evidence.services.packages import (
    IDENTITIES_FOR_LEADS,
    export_profile_create,
    export_request,
)


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Court submission packages: BagIt bags in a zip, built by a worker. Only `legal` members and leads
    export; only a lead may include witness identities."""

    serializer_class = ExportSerializer
    filterset_class = ExportFilterSet

    def get_serializer_class(self):
        # What a POST reads (the browsable API builds its form from it); everything else shows packages.
        return ExportRequestSerializer if self.action == "create" else ExportSerializer

    def get_queryset(self):
        return export_list(user=self.request.user)

    @extend_schema(request=ExportRequestSerializer, responses={202: ExportSerializer})
    def create(self, request):
        selection = ExportRequestSerializer(data=request.data, context=self.get_serializer_context())
        selection.is_valid(raise_exception=True)
        export = export_request(actor=request.user, **selection.validated_data)
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY, 206: OpenApiTypes.BINARY}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def download(self, request, pk=None):
        """The package (a zip); `Range: bytes=…` requests get 206. A package with witness and victim
        identities is for leads only, and each download reveals (audits) every identity in it. `HEAD`
        answers the same headers, sends no bytes and records nothing."""
        export = self.get_object()
        if not user_may_download_export(user=request.user, export=export):
            raise NotAllowed(gettext(IDENTITIES_FOR_LEADS))
        if export.status != ExportStatus.READY:
            detail = gettext("The package is %(status)s, not ready.") % {"status": export.status}
            return Response({"detail": detail}, status=409)
        range_header = request.headers.get("Range")
        # A range refused with 416 records nothing; one not served is ignored (the whole package, recorded as such).
        if requested_range(range_header, export.size_bytes) is None:
            range_header = None
        return export_file_response(
            actor=request.user, export=export, range_header=range_header, head=request.method == "HEAD"
        )


class ExportProfileViewSet(viewsets.ViewSet):
    """Register profiles: which columns data/register.csv has, in which order, with which date format.
    `default` is built in. A case's legal members and leads add profiles of the case (`case`), which
    its members see and its exports use; staff add profiles shared by every case (no `case`)."""

    @extend_schema(responses=ExportProfileSerializer(many=True))
    def list(self, request):
        refuse_unknown_parameters(request, set(ALWAYS_KNOWN))
        profiles = [register.DEFAULT_PROFILE, *map(register.profile_from_model, export_profile_list(user=request.user))]
        return Response(ExportProfileSerializer(profiles, many=True).data)

    @extend_schema(request=ExportProfileSerializer, responses={201: ExportProfileSerializer})
    def create(self, request):
        profile = ExportProfileSerializer(data=request.data, context={"request": request})
        profile.is_valid(raise_exception=True)
        created = export_profile_create(actor=request.user, **profile.validated_data)
        return Response(ExportProfileSerializer(register.profile_from_model(created)).data, status=201)
