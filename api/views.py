from functools import partial

from django.contrib.auth import authenticate
from django.core.files.storage import storages
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination

from api import filters, login, totp
from api.authentication import token_expires_at
from api.case_scoped import CaseScopedViewSet
from api.downloads import file_download
from api.parsers import SafeJSONParser
from api.permissions import ensure_allowed, required_rule
from api.serializers import (
    AdminAreaFeatureSerializer,
    AdminAreaSerializer,
    AllegationSerializer,
    AuditEntrySerializer,
    CaseMembershipSerializer,
    CaseSerializer,
    CrimeSerializer,
    CustodyEntrySerializer,
    EvidenceLinkSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    ExportProfileSerializer,
    ExportRequestSerializer,
    ExportSerializer,
    IdentitySerializer,
    IncidentRevisionSerializer,
    IncidentSerializer,
    PersonSerializer,
    ProtectedPersonCreateSerializer,
    ProtectedPersonSerializer,
    ProtectedPersonUpdateSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    TotpCodeSerializer,
    TotpSetupSerializer,
    UnitDetailSerializer,
    UnitSerializer,
)
from evidence import register, selectors, services, storage
from evidence.agents import Agent
from evidence.crimes import crimes
from evidence.models import CaseMembership, ExportStatus, ProtectedKind
from geo.models import AdminArea


class TokenView(APIView):
    """Exchange a username and password for a new API token (POST; the old one is revoked), or revoke
    your token (DELETE). Logins are throttled, and repeated failures lock the account for a while."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def get_authenticators(self):
        # Logging in must not fail because an old, revoked token is still in the headers.
        is_login = getattr(self.request, "method", None) == "POST"
        return [] if is_login else super().get_authenticators()

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        credentials = TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        username = credentials.validated_data["username"]
        locked = login.locked_for_seconds(username)
        if locked:
            raise Throttled(wait=locked, detail="Too many failed logins for this account; try again later.")
        otp = credentials.validated_data.pop("otp", None)
        user = authenticate(request, **credentials.validated_data)
        if user is not None and not totp.login_code_ok(user, otp):
            login.record_failure(username)
            services.audit_record(actor=user, case=None, action="auth.otp_failed", target=username[:200])
            message = "The one-time code does not match." if otp else "This account needs a one-time code (otp)."
            raise ValidationError({"otp": [message]})
        if user is None:
            login.record_failure(username)
            services.audit_record(actor=None, case=None, action="auth.login_failed", target=username[:200])
            raise ValidationError({"non_field_errors": ["Unable to log in with the given username and password."]})
        login.record_success(username)
        token = services.token_issue(user=user)
        return Response({"token": token.key, "expires_at": token_expires_at(token)})

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Token revoked")})
    def delete(self, request):
        services.token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Cases, the unit of need-to-know. Staff create them; a case's leads edit it and manage its members."""

    serializer_class = CaseSerializer
    filterset_class = filters.CaseFilterSet
    ordering_fields = ["reference", "created_at"]

    def get_queryset(self):
        return selectors.case_list(user=self.request.user)

    def perform_create(self, serializer):
        case = services.case_create(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=case.pk)

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "reference"}
        services.case_update(actor=self.request.user, case=serializer.instance, **data)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(methods=["GET"], responses=CaseMembershipSerializer(many=True))
    @extend_schema(methods=["POST"], request=CaseMembershipSerializer, responses=CaseMembershipSerializer)
    @action(detail=True, methods=["get", "post"], serializer_class=CaseMembershipSerializer, filterset_class=None)
    def members(self, request, pk=None):
        """List the case's members; a lead adds a member, or changes a member's role, with POST."""
        case = self.get_object()  # the table's rule: read to list, manage the case to add
        if request.method == "GET":
            page = self.paginate_queryset(selectors.case_member_list(case=case))
            return self.get_paginated_response(CaseMembershipSerializer(page, many=True).data)
        serializer = CaseMembershipSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership, created = services.case_member_add(actor=request.user, case=case, **serializer.validated_data)
        return Response(
            CaseMembershipSerializer(membership).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(responses=AuditEntrySerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=AuditEntrySerializer, filterset_class=None)
    def audit(self, request, pk=None):
        """The case's audit log, newest first: who did what, when and from where (leads only)."""
        page = self.paginate_queryset(selectors.audit_entry_list(case=self.get_object()))
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Member removed")})
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<user_id>\d+)", filterset_class=None)
    def member(self, request, pk=None, user_id=None):
        """A lead removes a member from the case."""
        case = self.get_object()
        membership = get_object_or_404(CaseMembership.objects.select_related("user"), case=case, user_id=user_id)
        services.case_member_remove(actor=request.user, case=case, user=membership.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IncidentPagination(GeoJsonPagination):
    page_size = 50
    max_page_size = 500

    def get_paginated_response_schema(self, schema):
        # The list serializer is already documented as a FeatureCollection; a page is that, plus counts.
        # (drf-gis's own version nests the collection in "features" and still requires "results".)
        link = {"type": "string", "format": "uri", "nullable": True}
        counts = {
            "type": "object",
            "required": ["count"],
            "properties": {"count": {"type": "integer"}, "next": link, "previous": link},
        }
        return {"allOf": [schema, counts]}


class IncidentViewSet(CaseScopedViewSet):
    """Incidents as GeoJSON: a FeatureCollection to list, a Feature to read or create.

    Filters combine: bbox, near + radius_m (metres), admin_area, occurred_after / occurred_before (periods
    overlapping the window), crime (repeatable: any of), suspect, unit (+ include_subordinates), status, case, q.
    """

    serializer_class = IncidentSerializer
    filterset_class = filters.IncidentFilterSet
    filter_backends = [DjangoFilterBackend]  # the FilterSet orders too (by distance needs `near`)
    pagination_class = IncidentPagination
    selector = staticmethod(selectors.incident_list)
    create_service = staticmethod(services.incident_create)
    update_service = staticmethod(services.incident_update)
    update_target = "incident"

    @extend_schema(responses=IncidentRevisionSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def revisions(self, request, pk=None):
        """Every revision of the incident: when, by whom, and which fields changed from what to what."""
        revisions = selectors.incident_revision_list(incident=self.get_object())
        return Response(IncidentRevisionSerializer(revisions, many=True).data)


class UnitViewSet(CaseScopedViewSet):
    """Units and their command hierarchy; a unit's page shows its chain up and its subordinates down."""

    serializer_class = UnitSerializer
    filterset_class = filters.UnitFilterSet
    selector = staticmethod(selectors.unit_list)
    create_service = staticmethod(services.unit_create)
    update_service = staticmethod(services.unit_update)
    update_target = "unit"
    ordering_fields = ["name", "designation"]

    def get_serializer_class(self):
        return UnitDetailSerializer if self.action == "retrieve" else UnitSerializer


class PersonViewSet(CaseScopedViewSet):
    """Suspects. `q` finds a name in any script ("Omurbekov" finds "Омурбеков") despite small misspellings."""

    serializer_class = PersonSerializer
    filterset_class = filters.PersonFilterSet
    selector = staticmethod(selectors.person_list)
    create_service = staticmethod(services.person_create)
    update_service = staticmethod(services.person_update)
    update_target = "person"
    ordering_fields = ["full_name"]


class AllegationViewSet(CaseScopedViewSet):
    """Who is alleged to have done what in which incident. The case is the incident's."""

    serializer_class = AllegationSerializer
    filterset_class = filters.AllegationFilterSet
    selector = staticmethod(selectors.allegation_list)
    create_service = staticmethod(services.allegation_create)
    update_service = staticmethod(services.allegation_update)
    update_target = "allegation"

    def case_for_create(self, validated_data: dict):
        return validated_data["incident"].case


class AdminAreaViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative areas (shared by all cases). The list leaves boundaries out; one area is a GeoJSON Feature."""

    queryset = AdminArea.objects.all()
    filterset_class = filters.AdminAreaFilterSet

    def get_serializer_class(self):
        return AdminAreaFeatureSerializer if self.action == "retrieve" else AdminAreaSerializer


class CrimeViewSet(viewsets.GenericViewSet):
    """The crimes of Rome Statute articles 6, 7 and 8, as the Elements of Crimes number them."""

    lookup_value_regex = r"[^/]+"
    serializer_class = CrimeSerializer
    filter_backends: list = []

    @extend_schema(parameters=[OpenApiParameter("article", str, enum=["6", "7", "8"])])
    def list(self, request):
        article = request.query_params.get("article")
        rows = [crime for crime in crimes().values() if article is None or crime.article == article]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(CrimeSerializer(page, many=True).data)

    @extend_schema(responses=CrimeSerializer)
    def retrieve(self, request, pk=None):
        crime = crimes().get(pk)
        if crime is None:
            raise NotFound(f"No crime with code {pk!r}.")
        return Response(CrimeSerializer(crime).data)


class EvidenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evidence files. Upload with multipart POST; workers hash, describe and archive each one, and every
    step is written in the item's chain of custody (`custody/`). `download/` streams the archived original."""

    serializer_class = EvidenceSerializer
    filterset_class = filters.EvidenceFilterSet
    parser_classes = [MultiPartParser, SafeJSONParser]
    ordering_fields = ["received_at", "ern"]

    def get_queryset(self):
        return selectors.evidence_list(user=self.request.user)

    @extend_schema(request={"multipart/form-data": EvidenceUploadSerializer}, responses={201: EvidenceSerializer})
    def create(self, request):
        upload = EvidenceUploadSerializer(data=request.data, context=self.get_serializer_context())
        upload.is_valid(raise_exception=True)
        data = dict(upload.validated_data)
        case, file = data.pop("case"), data.pop("file")
        ensure_allowed(request.user, case, required_rule(request))
        item = services.evidence_receive(
            actor=request.user,
            case=case,
            upload=file,
            original_filename=file.name,
            incidents=data.pop("incidents", []),
            submitted_sha256=data.pop("sha256", "").lower(),
            **data,
        )
        return Response(EvidenceSerializer(item, context=self.get_serializer_context()).data, status=201)

    @extend_schema(responses=CustodyEntrySerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def custody(self, request, pk=None):
        """The item's chain of custody, first entry first, each with the hash of the one before."""
        entries = selectors.custody_entry_list(item=self.get_object())
        return Response(CustodyEntrySerializer(entries, many=True).data)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 206: OpenApiTypes.BINARY},
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def download(self, request, pk=None):
        """The archived original, as an attachment; `Range: bytes=…` requests get 206. Each download is recorded."""
        item = self.get_object()
        if not selectors.user_may_download(user=request.user, item=item):
            self.permission_denied(request, message=f"Your role may not download {item.confidentiality} evidence.")
        if not item.archive_key:
            return Response({"detail": f"{item.ern} is {item.status}; it is not archived yet."}, status=409)
        range_header = request.headers.get("Range")
        services.evidence_record_access(actor=request.user, item=item, byte_range=range_header)
        return file_download(
            partial(storage.read_range, storages["archive"], item.archive_key),
            size=item.size_bytes,
            filename=item.original_filename,
            content_type=item.media_type,
            range_header=range_header,
        )

    @extend_schema(request=None, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def retry(self, request, pk=None):
        """Processes a failed item again."""
        item = services.evidence_retry(actor=request.user, item=self.get_object())
        return Response(EvidenceSerializer(item, context=self.get_serializer_context()).data)

    @extend_schema(request=EvidenceLinkSerializer, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"], url_path="incidents", filterset_class=None)
    def link(self, request, pk=None):
        """Links the item to another incident of its case (written in its chain of custody)."""
        item = self.get_object()
        link = EvidenceLinkSerializer(data=request.data, context=self.get_serializer_context())
        link.is_valid(raise_exception=True)
        services.evidence_link_incident(actor=request.user, item=item, incident=link.validated_data["incident"])
        return Response(EvidenceSerializer(self.get_object(), context=self.get_serializer_context()).data)


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Court submission packages: BagIt bags in a zip, built by a worker. Only `legal` members and leads
    export; only a lead may include witness identities."""

    serializer_class = ExportSerializer
    filterset_class = filters.ExportFilterSet

    def get_queryset(self):
        return selectors.export_list(user=self.request.user)

    @extend_schema(request=ExportRequestSerializer, responses={202: ExportSerializer})
    def create(self, request):
        selection = ExportRequestSerializer(data=request.data, context=self.get_serializer_context())
        selection.is_valid(raise_exception=True)
        export = services.export_request(actor=request.user, **selection.validated_data)
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY, 206: OpenApiTypes.BINARY}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def download(self, request, pk=None):
        """The package (a zip); `Range: bytes=…` requests get 206."""
        export = self.get_object()
        if export.status != ExportStatus.READY:
            return Response({"detail": f"The package is {export.status}, not ready."}, status=409)
        services.audit_record(
            actor=request.user,
            case=export.case,
            action="export.download",
            target=export.public_id,
            details={"range": request.headers.get("Range")},
        )
        layout = storage.stored_layout(export.package_key)

        def on_mismatch(segment: storage.Segment, actual: str) -> None:
            services.export_record_damaged_original(
                export=export, archive_key=segment.archive_key, sha256=actual, agent=Agent.for_user(request.user)
            )

        return file_download(
            partial(storage.package_chunks, layout, on_mismatch=on_mismatch),
            size=export.size_bytes,
            filename=f"slid-export-{export.public_id}.zip",
            content_type="application/zip",
            range_header=request.headers.get("Range"),
        )


class ExportProfileViewSet(viewsets.ViewSet):
    """Register profiles: which columns data/register.csv has, in which order, with which date format.
    `default` is built in; legal members and leads add others."""

    @extend_schema(responses=ExportProfileSerializer(many=True))
    def list(self, request):
        return Response(ExportProfileSerializer(register.profiles(), many=True).data)

    @extend_schema(request=ExportProfileSerializer, responses={201: ExportProfileSerializer})
    def create(self, request):
        profile = ExportProfileSerializer(data=request.data)
        profile.is_valid(raise_exception=True)
        created = services.export_profile_create(actor=request.user, **profile.validated_data)
        return Response(ExportProfileSerializer(register.profile_from_model(created)).data, status=201)


class AuditViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The whole audit log, for staff; filter with `case` (a reference) and `action`."""

    serializer_class = AuditEntrySerializer
    filterset_class = filters.AuditEntryFilterSet

    def get_queryset(self):
        return selectors.audit_entry_list_all()


class ProtectedPersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Witnesses or victims of a case, known by pseudonym. Investigators record them; leads change
    them and name who else may reveal an identity; every reveal is in the audit log."""

    kind: str
    serializer_class = ProtectedPersonSerializer
    filterset_class = filters.ProtectedPersonFilterSet

    def get_queryset(self):
        return selectors.protected_person_list(user=self.request.user, kind=self.kind)

    @extend_schema(request=ProtectedPersonCreateSerializer, responses={201: ProtectedPersonSerializer})
    def create(self, request):
        data = ProtectedPersonCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        case, readers = fields.pop("case"), fields.pop("readers", [])
        ensure_allowed(request.user, case, required_rule(request))
        person = services.protected_person_create(
            actor=request.user, case=case, kind=self.kind, identity=fields, readers=readers
        )
        return Response(ProtectedPersonSerializer(person).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProtectedPersonUpdateSerializer, responses=ProtectedPersonSerializer)
    def partial_update(self, request, pk=None):
        person = self.get_object()
        data = ProtectedPersonUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        readers = fields.pop("readers", None)
        services.protected_person_update(actor=request.user, person=person, identity=fields, readers=readers)
        return Response(ProtectedPersonSerializer(self.get_object()).data)

    @extend_schema(responses=IdentitySerializer, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def identity(self, request, pk=None):
        """Who this person is: for leads, and for members a lead named. The reveal is audited."""
        person = self.get_object()
        identity = services.protected_identity_reveal(actor=request.user, person=person)
        return Response(IdentitySerializer({**identity, "pseudonym": person.pseudonym}).data)


class WitnessViewSet(ProtectedPersonViewSet):
    kind = ProtectedKind.WITNESS


class VictimViewSet(ProtectedPersonViewSet):
    kind = ProtectedKind.VICTIM


class TotpView(APIView):
    """Staff: start using a TOTP second factor (POST: a new secret, to be confirmed), or stop (DELETE)."""

    @extend_schema(request=None, responses={201: TotpSetupSerializer})
    def post(self, request):
        secret, uri = totp.totp_begin(user=request.user)
        return Response({"secret": secret, "otpauth_uri": uri}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Second factor removed")})
    def delete(self, request):
        totp.totp_remove(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpConfirmView(APIView):
    """Staff: confirm the new secret with a code from the app; from then on logins need a code."""

    @extend_schema(request=TotpCodeSerializer, responses={200: OpenApiResponse(description="Second factor on")})
    def post(self, request):
        code = TotpCodeSerializer(data=request.data)
        code.is_valid(raise_exception=True)
        if not totp.totp_confirm(user=request.user, code=code.validated_data["code"]):
            raise ValidationError({"code": ["That code does not match; check the app's clock and try again."]})
        return Response({"detail": "From now on, logging in needs a one-time code."})
