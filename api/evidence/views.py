"""Evidence: upload, read, chain of custody, download, links and retries."""

from django.http import HttpResponse
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api.assessments.views import ChecklistMixin, ReviewActionsMixin
from api.checkpoints.serializers import InclusionProofSerializer
from api.downloads import requested_range
from api.evidence.collection import CollectionDeclarationSerializer
from api.evidence.court_record import (
    DisclosureCreateSerializer,
    DisclosuresSerializer,
    RelationCreateSerializer,
    RelationRemoveSerializer,
    RelationSerializer,
    disclosures_view,
)
from api.evidence.filters import EvidenceFilterSet
from api.evidence.serializers import (
    CustodyEntrySerializer,
    CustodyReportQuerySerializer,
    EvidenceCorrectionSerializer,
    EvidenceLinkSerializer,
    EvidenceSerializer,
    EvidenceUnlinkSerializer,
    EvidenceUploadSerializer,
    ReceivedEvidenceSerializer,
)
from api.filters import refuse_unknown_parameters
from api.parsers import SafeJSONParser
from api.permissions import ensure_allowed, ensure_second_factor, required_rule
from api.record.serializers import RevisionSerializer
from evidence.custody_report import report_html, report_pdf
from evidence.dates import resolve_moment
from evidence.selectors.access import Action, download_refusal, identified_persons
from evidence.selectors.checkpoints import ProofUnavailable, inclusion_proof
from evidence.selectors.custody import custody_entry_list
from evidence.selectors.custody_report import custody_report as custody_report_of
from evidence.selectors.items import evidence_list
from evidence.selectors.record import revision_list
from evidence.selectors.relations import disclosure_list, relation_list
from evidence.services.collection import evidence_declare_collection
from evidence.services.corrections import evidence_correct, evidence_unlink_incident
from evidence.services.court_record import evidence_record_disclosure
from evidence.services.custody import evidence_record_access
from evidence.services.downloads import evidence_file_response, evidence_serving_refusal
from evidence.services.intake import evidence_link_incident, evidence_receive
from evidence.services.processing import evidence_retry
from evidence.services.relations import evidence_relate, evidence_unrelate


# The custody report is not a representation DRF renders: it answers HTML or PDF itself, and its ``format``
# parameter says which. DRF would read ``?format=`` as its own renderer override (and answer 404 for pdf), so
# this route negotiates nothing; its errors are JSON.
class JSONOnlyNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


SHOWS_ITEMS = {"list", "retrieve", "create", "retry", "link", "unlink", "partial_update", "collection"}


class EvidenceViewSet(
    ReviewActionsMixin, ChecklistMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Evidence files. Upload with multipart POST; workers hash, describe and archive each one, and every
    step is written in the item's chain of custody (`custody/`). `download/` streams the archived original."""

    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilterSet
    parser_classes = [MultiPartParser, SafeJSONParser]
    ordering_fields = ["received_at", "ern"]

    def get_serializer_class(self):
        # What a POST or PATCH reads (the browsable API builds its forms from it); everything else shows items.
        reads = {
            "create": EvidenceUploadSerializer, "link": EvidenceLinkSerializer, "unlink": EvidenceUnlinkSerializer,
            "partial_update": EvidenceCorrectionSerializer, "relations": RelationCreateSerializer,
            "relation": RelationRemoveSerializer, "disclosures": DisclosureCreateSerializer,
            "collection": CollectionDeclarationSerializer,
        }  # fmt: skip
        return reads.get(self.action, EvidenceSerializer)

    def get_queryset(self):
        items = evidence_list(user=self.request.user)
        # Only the actions that answer with items need their incidents and witnesses.
        return items if self.action in SHOWS_ITEMS else items.prefetch_related(None)

    @extend_schema(request={"multipart/form-data": EvidenceUploadSerializer}, responses={201: EvidenceSerializer})
    def create(self, request):
        upload = EvidenceUploadSerializer(data=request.data, context=self.get_serializer_context())
        upload.is_valid(raise_exception=True)
        data = dict(upload.validated_data)
        case, file = data.pop("case"), data.pop("file")
        ensure_allowed(request.user, case, required_rule(request))
        item = evidence_receive(
            actor=request.user,
            case=case,
            upload=file,
            original_filename=file.name,
            receipt=getattr(file, "receipt", None),
            incidents=data.pop("incidents", []),
            submitted_sha256=data.pop("sha256", "").lower(),
            **data,
        )
        return Response(ReceivedEvidenceSerializer(item, context=self.get_serializer_context()).data, status=201)

    @extend_schema(request=EvidenceCorrectionSerializer, responses=EvidenceSerializer)
    def partial_update(self, request, pk=None):
        """Corrects what the item is said to be — title, description, kind, source_type, source, source_url,
        captured_at, acquired_at, confidentiality, graphic; the document facts (document_date with its
        precision, author, recipient, languages, pages, duration_seconds: the values read from the file stay
        beside them); the court classification, the art. 54(3)(e) condition and the exculpatory mark — with
        an optional `reason` (needed to take the exculpatory mark off, which is for the case's lawyers and
        leads). One request is one correction, all or nothing: a revision (`revisions/`), a `corrected` entry
        in the chain of custody and the audit entries. The bytes, hashes, status, ERN, storage keys and the
        values read from the file are never changed (naming one is a 400). The case's lawyers, who do not write the
        record, correct the court classification, the condition and the exculpatory mark alone."""
        item = self.get_object()
        context = {**self.get_serializer_context(), "item": item}
        correction = EvidenceCorrectionSerializer(data=request.data, context=context)
        correction.is_valid(raise_exception=True)
        evidence_correct(actor=request.user, item=item, **correction.validated_data)
        return Response(EvidenceSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(responses=RevisionSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def revisions(self, request, pk=None):
        """Every revision of what the item is said to be: when, by whom, which fields changed from what to
        what. Changes the workers make (a capture time or kind read from the file) have no user."""
        return Response(RevisionSerializer(revision_list(self.get_object().events.all()), many=True).data)

    @extend_schema(request=EvidenceUnlinkSerializer, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def unlink(self, request, pk=None):
        """Takes the item off an incident, with the reason (written in its chain of custody as `unlinked`)."""
        item = self.get_object()
        unlink = EvidenceUnlinkSerializer(data=request.data, context=self.get_serializer_context())
        unlink.is_valid(raise_exception=True)
        evidence_unlink_incident(actor=request.user, item=item, **unlink.validated_data)
        return Response(EvidenceSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(request=CollectionDeclarationSerializer, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def collection(self, request, pk=None):
        """Declares custody before Slid after intake, or corrects it (with a `reason`): its uploader or a lead.
        The entries are appended to the chain, marked declared after intake; a chain is never rewritten."""
        item = self.get_object()
        declaration = CollectionDeclarationSerializer(data=request.data, context=self.get_serializer_context())
        declaration.is_valid(raise_exception=True)
        evidence_declare_collection(actor=request.user, item=item, **declaration.validated_data)
        return Response(EvidenceSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(responses=CustodyEntrySerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def custody(self, request, pk=None):
        """The item's chain of custody, first entry first, each with the hash of the one before."""
        entries = custody_entry_list(item=self.get_object())
        return Response(CustodyEntrySerializer(entries, many=True).data)

    @extend_schema(
        parameters=[CustodyReportQuerySerializer],
        responses={(200, "text/html"): OpenApiTypes.STR, (200, "application/pdf"): OpenApiTypes.BINARY},
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="custody/report",
        url_name="custody-report",
        filterset_class=None,
        pagination_class=None,
        content_negotiation_class=JSONOnlyNegotiation,
    )
    def custody_report(self, request, pk=None):
        """The chain of custody for a person to read (`?language=en|uk&format=html|pdf`): each event in words,
        people by name and role, times in UTC and in the case's time zone, the hashes, the timestamps, the
        provenance and the verdict of verification (the chain recomputed, the last fixity check)."""
        refuse_unknown_parameters(request, {"language", "format"})
        query = CustodyReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        item = self.get_object()
        language = query.validated_data.get("language") or ("uk" if get_language().startswith("uk") else "en")
        report = custody_report_of(item=item, language=language)
        name = f"{item.ern}-custody-{language}"
        if query.validated_data["format"] == "pdf":
            response = HttpResponse(report_pdf(report), content_type="application/pdf")
            response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        else:
            response = HttpResponse(report_html(report), content_type="text/html; charset=utf-8")
            response["Content-Disposition"] = f'inline; filename="{name}.html"'
            # A page with its own style and no script: nothing else may load or run.
            response["Content-Security-Policy"] = (
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
                "frame-ancestors 'none'"
            )
        response["Content-Language"] = language
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(responses=InclusionProofSerializer, filters=False)
    @action(
        detail=True,
        methods=["get"],
        url_path="custody/proof",
        url_name="custody-proof",
        filterset_class=None,
        pagination_class=None,
    )
    def custody_proof(self, request, pk=None):
        """The inclusion proof of the item's chain head in the latest checkpoint (RFC 9162 §2.1.3): hash
        `leaf_hash` up `audit_path` and compare with `root`, which the checkpoint's tokens timestamp. 404 when
        the item came after the latest checkpoint, or there is none yet."""
        item = self.get_object()
        try:
            proof = inclusion_proof(item=item)
        except ProofUnavailable as unavailable:
            raise NotFound(str(unavailable)) from unavailable
        return Response(InclusionProofSerializer(proof).data)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 206: OpenApiTypes.BINARY},
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def download(self, request, pk=None):
        """The archived original, as an attachment; `Range: bytes=…` requests get 206. Each download is recorded
        (`HEAD` answers the same headers, sends no bytes and records nothing).

        A whole-file download is checked on the way against the SHA-256 recorded at intake: its last chunk
        is held back until the hash is known, and a copy that no longer matches breaks the download off
        before the file is complete and is written in the item's custody as a failed fixity check. A range
        shorter than the file cannot be checked this way (the hash is of the whole file), so it is served
        as stored. An item whose fixity check failed is refused (409), ranges included."""
        item = self.get_object()
        identified = identified_persons(item=item)
        refusal = download_refusal(user=request.user, item=item, persons=identified)
        if refusal:
            self.permission_denied(request, message=refusal)
        if identified is not None:  # bytes that identify a witness: a reveal, HEAD included
            ensure_second_factor(request, Action.REVEAL_IDENTITY)
        not_served = evidence_serving_refusal(item=item)  # not archived yet, or its fixity check failed
        if not_served:
            return Response({"detail": not_served}, status=409)
        range_header = request.headers.get("Range")
        # A range refused with 416 records no access; one not served is ignored (the whole file, recorded as such).
        if requested_range(range_header, item.size_bytes) is None:
            range_header = None
        head = request.method == "HEAD"  # the same headers, no bytes: not a download, so not recorded
        if not head:
            evidence_record_access(actor=request.user, item=item, byte_range=range_header)
        return evidence_file_response(actor=request.user, item=item, range_header=range_header, head=head)

    @extend_schema(request=None, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def retry(self, request, pk=None):
        """Processes a failed item again."""
        item = evidence_retry(actor=request.user, item=self.get_object())
        return Response(EvidenceSerializer(item, context=self.get_serializer_context()).data)

    @extend_schema(request=EvidenceLinkSerializer, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"], url_path="incidents", filterset_class=None)
    def link(self, request, pk=None):
        """Links the item to another incident of its case (written in its chain of custody)."""
        item = self.get_object()
        link = EvidenceLinkSerializer(data=request.data, context=self.get_serializer_context())
        link.is_valid(raise_exception=True)
        evidence_link_incident(actor=request.user, item=item, incident=link.validated_data["incident"])
        return Response(EvidenceSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(
        methods=["GET"], responses=RelationSerializer(many=True), filters=False, description="Every link, removed too."
    )
    @extend_schema(methods=["POST"], request=RelationCreateSerializer, responses={201: RelationSerializer})
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def relations(self, request, pk=None):
        """The item's links to other items of its case, both ways (a transcript of it shows here as
        has_transcript), removed ones with who removed them and why. POST links it: `{"kind": "transcript_of",
        "target": id}`; a redacted_version_of names the `redaction_codes` used."""
        item = self.get_object()
        context = {**self.get_serializer_context(), "item": item}
        if request.method == "GET":
            return Response(RelationSerializer(relation_list(item=item), many=True, context=context).data)
        given = RelationCreateSerializer(data=request.data, context=context)
        given.is_valid(raise_exception=True)
        relation = evidence_relate(actor=request.user, item=item, **given.validated_data)
        return Response(RelationSerializer(relation, context=context).data, status=201)

    @extend_schema(request=RelationRemoveSerializer, responses=RelationSerializer, filters=False)
    @action(detail=True, methods=["delete"], url_path=r"relations/(?P<relation_id>\d+)", filterset_class=None)
    def relation(self, request, pk=None, relation_id=None):
        """Removes a link, with a `reason` (in the body, or `?reason=`): it stays in the item's relations,
        marked removed, with who removed it, when and why."""
        item = self.get_object()
        relation = relation_list(item=item).filter(pk=relation_id).first()
        if relation is None:
            raise NotFound()
        given = RelationRemoveSerializer(
            data=request.data or request.query_params, context=self.get_serializer_context()
        )
        given.is_valid(raise_exception=True)
        removed = evidence_unrelate(actor=request.user, relation=relation, reason=given.validated_data["reason"])
        return Response(RelationSerializer(removed, context={**self.get_serializer_context(), "item": item}).data)

    @extend_schema(methods=["GET"], responses=DisclosuresSerializer, filters=False)
    @extend_schema(methods=["POST"], request=DisclosureCreateSerializer, responses={201: DisclosuresSerializer})
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def disclosures(self, request, pk=None):
        """To whom the item was disclosed (defence, chamber, national prosecutor), when, in which package and
        under which rule, and whether it is exculpatory (art. 67(2)), which every answer shows. POST records a
        decision (`"disclosed": false` too); the latest for a recipient is `current`."""
        item = self.get_object()
        if request.method == "POST":
            given = DisclosureCreateSerializer(data=request.data, context=self.get_serializer_context())
            given.is_valid(raise_exception=True)
            data = dict(given.validated_data)
            if data.get("disclosed_at") is not None:
                data["disclosed_at"] = resolve_moment(data["disclosed_at"], time_zone=item.case.time_zone)
            evidence_record_disclosure(actor=request.user, item=item, **data)
        body = DisclosuresSerializer(disclosures_view(item, list(disclosure_list(item=item)))).data
        return Response(body, status=201 if request.method == "POST" else 200)
