"""Court submission packages and the register profiles they are built with."""

import re

from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api.downloads import requested_range
from api.filters import ALWAYS_KNOWN, refuse_unknown_parameters
from api.packages.filters import ExportFilterSet
from api.packages.serializers import (
    ExportProfileRetireSerializer,
    ExportProfileSerializer,
    ExportProfileUpdateSerializer,
    ExportRequestSerializer,
    ExportSerializer,
)
from api.record.serializers import RevisionSerializer
from evidence.errors import NotAllowed
from evidence.models import ExportProfile, ExportStatus
from evidence.package import register
from evidence.selectors.access import user_may_download_export
from evidence.selectors.packages import export_list, export_profile_list, export_profile_revision_list
from evidence.services.downloads import export_file_response
from evidence.services.export_profiles import export_profile_create, export_profile_retire, export_profile_update
from evidence.services.packages import IDENTITIES_FOR_LEADS, export_request


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


PROFILE_ID = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="The profile's id (built-in ones have none)."
)


class ExportProfileViewSet(viewsets.ViewSet):
    """Register profiles: which columns data/register.csv (and register.xlsx) have, in which order, with which
    date format. `default` and `e-court` are built in. A case's legal members and leads add profiles of the
    case (`case`), which its members see and its exports use; staff add profiles shared by every case (no
    `case`). Whoever may define a profile edits its description and columns (`PATCH`) and retires it
    (`retire/`, with a reason): a retired profile is chosen by no new export, and old exports still name it.
    `revisions/`: every state it had."""

    def get_object(self, pk) -> ExportProfile:
        if not re.fullmatch(r"[0-9]{1,18}", str(pk)):
            raise NotFound()
        profile = export_profile_list(user=self.request.user).select_related("case").filter(pk=pk).first()
        if profile is None:
            raise NotFound()
        if profile.case_id is not None:
            self.check_object_permissions(self.request, profile)
        return profile

    @extend_schema(responses=ExportProfileSerializer(many=True))
    def list(self, request):
        refuse_unknown_parameters(request, set(ALWAYS_KNOWN))
        rows = map(register.profile_from_model, export_profile_list(user=request.user))
        profiles = [*register.BUILTIN_PROFILES.values(), *rows]
        return Response(ExportProfileSerializer(profiles, many=True).data)

    @extend_schema(request=ExportProfileSerializer, responses={201: ExportProfileSerializer})
    def create(self, request):
        profile = ExportProfileSerializer(data=request.data, context={"request": request})
        profile.is_valid(raise_exception=True)
        created = export_profile_create(actor=request.user, **profile.validated_data)
        return Response(ExportProfileSerializer(register.profile_from_model(created)).data, status=201)

    @extend_schema(responses=ExportProfileSerializer, parameters=[PROFILE_ID])
    def retrieve(self, request, pk=None):
        refuse_unknown_parameters(request, set(ALWAYS_KNOWN))
        return Response(ExportProfileSerializer(register.profile_from_model(self.get_object(pk))).data)

    @extend_schema(request=ExportProfileUpdateSerializer, responses=ExportProfileSerializer, parameters=[PROFILE_ID])
    def partial_update(self, request, pk=None):
        profile = self.get_object(pk)
        changes = ExportProfileUpdateSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        updated = export_profile_update(actor=request.user, profile=profile, **changes.validated_data)
        return Response(ExportProfileSerializer(register.profile_from_model(updated)).data)

    @extend_schema(request=ExportProfileRetireSerializer, responses=ExportProfileSerializer, parameters=[PROFILE_ID])
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Retires the profile: no new export may choose it; exports made with it still name it."""
        profile = self.get_object(pk)
        retirement = ExportProfileRetireSerializer(data=request.data)
        retirement.is_valid(raise_exception=True)
        retired = export_profile_retire(actor=request.user, profile=profile, **retirement.validated_data)
        return Response(ExportProfileSerializer(register.profile_from_model(retired)).data)

    @extend_schema(responses=RevisionSerializer(many=True), parameters=[PROFILE_ID])
    @action(detail=True, methods=["get"])
    def revisions(self, request, pk=None):
        """Every revision of the profile: when, by whom, which fields changed from what to what."""
        refuse_unknown_parameters(request, set(ALWAYS_KNOWN))
        revisions = export_profile_revision_list(profile=self.get_object(pk))
        return Response(RevisionSerializer(revisions, many=True).data)
