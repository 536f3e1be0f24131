"""Evidence items, uploads and custody entries as the API shows and accepts them."""

from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from api.evidence.collection import CollectionField
from api.evidence.court_record import DOCUMENT_FACTS_HELP, CourtRecordFields, document_facts_of
from api.fields import (
    DateOrDateTimeField,
    DateTimeAsGivenField,
    StrictSerializerMixin,
    UserCaseField,
    VisibleRelatedField,
)
from evidence.models import (
    EVIDENCE_CORRECTABLE_FIELDS,
    PREMIS_EVENT_TYPES,
    ArchiveCopy,
    Confidentiality,
    CustodyEntry,
    EvidenceItem,
    EvidenceKind,
    Incident,
    ProtectedPerson,
    SourceType,
    TimestampToken,
)
from evidence.selectors.copies import evidence_copies_shown
from evidence.selectors.items import (
    captured_at_differs_from_file,
    evidence_near_duplicates,
    evidence_near_duplicates_of_many,
)
from evidence.selectors.record import incident_list
from evidence.selectors.relations import related_of_many
from evidence.selectors.timestamps import TimestampState, evidence_timestamp_state
from evidence.selectors.witnesses import protected_person_visible
from geo.safeguards import far_from_incidents

SHA256_PATTERN = r"^[0-9a-fA-F]{64}$"
MOMENT_HELP = (
    "A date-time, kept with its UTC offset; without one, or a date (that day's start), it is read in the case's "
    "time zone, named in <field>_time_zone. Not in the future; acquired_at not before captured_at."
)


class EvidenceListSerializer(serializers.ListSerializer):
    """A page of items: their near duplicates are found for the whole page in one query."""

    near_duplicates: dict[int, list[dict]] | None = None
    related: dict[int, list[dict]] | None = None

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        self.near_duplicates = evidence_near_duplicates_of_many(items=items)
        self.related = related_of_many(items=items)
        return super().to_representation(items)


class TimestampSerializer(serializers.ModelSerializer):
    """An RFC 3161 token over the item's SHA-256: the authority, the time and serial the token states, and
    whether it verified when it arrived (imprint, chain to a configured root, timeStamping usage)."""

    tsa = serializers.CharField(source="tsa_url")
    time = serializers.DateTimeField(source="gen_time")

    class Meta:
        model = TimestampToken
        fields = ["tsa", "time", "serial", "verified"]
        read_only_fields = fields


class CapturedAtDifferenceSerializer(serializers.Serializer):
    given = serializers.DateTimeField()
    file = serializers.DateTimeField()
    difference_hours = serializers.FloatField()


class ArchiveCopySerializer(serializers.ModelSerializer):
    """A copy of the archived file in one store: the primary archive ("archive") or a replica
    ("archive-replica-<name>"), its state, and when its bytes last had the item's SHA-256."""

    class Meta:
        model = ArchiveCopy
        fields = ["store", "verified_at", "state"]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer):
    """An evidence item as Slid knows it: what was submitted, and what the workers found."""

    incidents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    captured_location = GeometryField(read_only=True)
    received_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    near_duplicates = serializers.SerializerMethodField()
    duplicate_of = serializers.PrimaryKeyRelatedField(read_only=True)
    pseudonyms = serializers.SerializerMethodField(help_text="The witnesses and victims it refers to.")
    far_from_incidents = serializers.SerializerMethodField(
        help_text="Linked incidents (ids) the file says it was captured farther from than "
        "SLID_EVIDENCE_FAR_FROM_INCIDENT_M (1 km unless set); the distances are in incident_distances_m."
    )
    captured_at = DateTimeAsGivenField(read_only=True, help_text="In the UTC offset it was given in.")
    acquired_at = DateTimeAsGivenField(read_only=True, help_text="In the UTC offset it was given in.")
    file_captured_at = DateTimeAsGivenField(
        read_only=True, help_text="When the file's own metadata (EXIF, QuickTime, the container) says it was captured."
    )
    captured_at_differs_from_file = serializers.SerializerMethodField(
        help_text="{given, file, difference_hours} when captured_at and the file's own date differ by more than a "
        "day; null otherwise."
    )
    timestamps = TimestampSerializer(many=True, read_only=True)
    timestamp_state = serializers.SerializerMethodField(
        help_text="timestamped: a verified RFC 3161 token says the bytes existed at its time; waiting: archived, "
        "asked for and not yet had; not_configured: no time-stamping authority is configured; not_archived."
    )
    timestamp_reason = serializers.SerializerMethodField(help_text="Why the item is not timestamped (empty if it is).")
    copies = serializers.SerializerMethodField(
        help_text="The archived file's copies, the primary's first: store, verified_at (when its bytes last had "
        "the item's SHA-256) and state: pending (a replica not copied yet), verified, repaired (made good again "
        "from a good copy), missing, damaged or unreadable."
    )
    provenance = serializers.JSONField(
        read_only=True,
        help_text="The file's Content Credentials (C2PA) as read at intake: state (valid, untrusted, invalid, "
        "none, error), validation_state, claim_generator, signer, actions, ingredients, failures; null if the "
        "file is not an image, video or audio, or was processed before Slid read them.",
    )
    document_facts = serializers.SerializerMethodField(help_text=DOCUMENT_FACTS_HELP)
    related = serializers.SerializerMethodField(
        help_text="Current links to other items of the case, both ways: {relation, id, ern} (relation as read from "
        "this item: transcript_of, has_transcript…; redaction_codes for a redaction); history at relations/."
    )
    collection = serializers.JSONField(
        read_only=True,
        help_text="Custody before Slid as last declared (null: none): the record given, declared_by, declared_at, "
        "declared_after_intake and custody_sequences, its entries in the chain (`custody/`).",
    )

    class Meta:
        model = EvidenceItem
        fields = [
            "id", "public_id", "ern", "case", "incidents", "title", "description", "kind", "kind_source",
            "source_type", "source", "source_url", "captured_at", "captured_at_source", "captured_at_time_zone",
            "file_captured_at", "captured_at_differs_from_file", "acquired_at", "acquired_at_time_zone",
            "confidentiality", "graphic", "original_filename", "submitted_sha256", "status", "status_reason", "sha256",
            "md5", "size_bytes", "digests", "media_type", "media_type_mismatch", "metadata", "metadata_error",
            "captured_location", "incident_distances_m", "far_from_incidents", "duplicate_of", "near_duplicates",
            "archive_key", "last_verified_at", "fixity_failed_at", "received_at", "received_by", "archived_at",
            "pseudonyms", "timestamps", "timestamp_state", "timestamp_reason", "provenance", "copies", "collection",
            "document_facts", "court_classification", "received_on_condition_of_confidentiality",
            "confidentiality_provider", "confidentiality_conditions", "exculpatory", "related",
            "review_state", "review_reason", "review_requested_of", "reviewed_by", "reviewed_at", "reopened_at",
        ]  # fmt: skip
        read_only_fields = fields
        list_serializer_class = EvidenceListSerializer

    def get_pseudonyms(self, item: EvidenceItem) -> list[str]:
        return sorted(person.pseudonym for person in item.protected_persons.all())

    @extend_schema_field(serializers.ChoiceField(choices=[state.value for state in TimestampState]))
    def get_timestamp_state(self, item: EvidenceItem) -> str:
        return evidence_timestamp_state(item=item)[0].value

    def get_timestamp_reason(self, item: EvidenceItem) -> str:
        return evidence_timestamp_state(item=item)[1]

    @extend_schema_field(CapturedAtDifferenceSerializer(allow_null=True))
    def get_captured_at_differs_from_file(self, item: EvidenceItem) -> dict | None:
        return captured_at_differs_from_file(item)

    @extend_schema_field(ArchiveCopySerializer(many=True))
    def get_copies(self, item: EvidenceItem) -> list[dict]:
        return ArchiveCopySerializer(evidence_copies_shown(item=item), many=True).data

    def get_far_from_incidents(self, item: EvidenceItem) -> list[int]:
        return far_from_incidents(item.incident_distances_m)

    def get_near_duplicates(self, item: EvidenceItem) -> list[dict]:
        page = getattr(self.parent, "near_duplicates", None)
        return page[item.pk] if page is not None else evidence_near_duplicates(item=item)

    def get_document_facts(self, item: EvidenceItem) -> dict:
        return document_facts_of(item)

    def get_related(self, item: EvidenceItem) -> list[dict]:
        page = getattr(self.parent, "related", None)
        return page[item.pk] if page is not None else related_of_many(items=[item])[item.pk]


class ReceivedEvidenceSerializer(EvidenceSerializer):
    """The answer to an upload: the item as just received. A timestamp, a copy or a link to another item exists
    only once a worker has archived it, so those are shown empty, not read back (bulk intake answers thousands)."""

    timestamps = serializers.SerializerMethodField()

    @extend_schema_field(TimestampSerializer(many=True))
    def get_timestamps(self, item: EvidenceItem) -> list[dict]:
        return []

    def get_copies(self, item: EvidenceItem) -> list[dict]:
        return []

    def get_related(self, item: EvidenceItem) -> list[dict]:
        return []


class EvidenceUploadSerializer(StrictSerializerMixin, CourtRecordFields, serializers.Serializer):
    """multipart/form-data: the file and what the submitter knows about it."""

    file = serializers.FileField(allow_empty_file=False, use_url=False)
    case = UserCaseField()
    incidents = VisibleRelatedField(selector=incident_list, model=Incident, many=True, required=False)
    protected_persons = VisibleRelatedField(
        selector=protected_person_visible, model=ProtectedPerson, many=True, required=False
    )
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=EvidenceKind.choices, required=False)
    source_type = serializers.ChoiceField(choices=SourceType.choices, required=False)
    source = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    source_url = serializers.URLField(required=False, allow_blank=True, max_length=2000)
    captured_at = DateOrDateTimeField(required=False, allow_null=True, help_text=MOMENT_HELP)
    acquired_at = DateOrDateTimeField(required=False, allow_null=True, help_text=MOMENT_HELP)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)
    graphic = serializers.BooleanField(
        required=False, help_text="Violent or distressing content: shown blurred in the workspace until chosen."
    )
    sha256 = serializers.RegexField(
        SHA256_PATTERN,
        required=False,
        allow_blank=True,
        help_text="The SHA-256 you computed; a file whose hash differs is marked corrupt.",
        error_messages={"invalid": gettext_lazy("Expected 64 hexadecimal characters.")},
    )
    collection = CollectionField(
        required=False,
        help_text="Custody before Slid (JSON): collected_by, collected_from, collected_at, location (a Point), "
        "place_name, device, method, tool, tool_version, note, and handovers [{from, to, at, location, place_name, "
        "seals, note}], in order. They become the chain's first entries, marked declared.",
    )

    def validate(self, attrs):
        incidents = attrs.get("incidents", [])
        for incident in incidents:
            if incident.case_id != attrs["case"].pk:
                message = gettext("Incident %(id)s belongs to another case.") % {"id": incident.pk}
                raise serializers.ValidationError({"incidents": [message]})
        # A bare date or a time without an offset is read in the case's time zone by the service, which keeps
        # the offset each was given with (evidence.services.corrections.evidence_moments).
        return self.court_record_attrs(attrs, time_zone=attrs["case"].time_zone)


class CustodyEntrySerializer(serializers.ModelSerializer):
    premis_event_type = serializers.SerializerMethodField()

    class Meta:
        model = CustodyEntry
        fields = [
            "sequence", "event_type", "premis_event_type", "outcome", "detail", "details", "agent", "agent_details",
            "occurred_at", "previous_hash", "entry_hash", "version",
        ]  # fmt: skip

    def get_premis_event_type(self, entry: CustodyEntry) -> str:
        return PREMIS_EVENT_TYPES[entry.event_type]


class EvidenceLinkSerializer(StrictSerializerMixin, serializers.Serializer):
    incident = VisibleRelatedField(selector=incident_list, model=Incident)


class EvidenceUnlinkSerializer(StrictSerializerMixin, serializers.Serializer):
    incident = VisibleRelatedField(selector=incident_list, model=Incident)
    reason = serializers.CharField(max_length=2000, help_text="Why the item no longer belongs to the incident.")


class EvidenceCorrectionSerializer(StrictSerializerMixin, CourtRecordFields, serializers.Serializer):
    """What a person may correct after intake (evidence.models.items.EVIDENCE_CORRECTABLE_FIELDS): the description,
    the dates, the document facts and the court classification, checked as an upload's are. Anything Slid
    observed (the bytes, hashes, status, ERN, storage keys, the values read from the file) is refused by name.
    The context names the ``item`` corrected (its case's time zone places a bare date)."""

    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=EvidenceKind.choices, required=False)
    source_type = serializers.ChoiceField(choices=SourceType.choices, required=False)
    source = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    source_url = serializers.URLField(required=False, allow_blank=True, max_length=2000)
    captured_at = DateOrDateTimeField(required=False, allow_null=True, help_text=MOMENT_HELP)
    acquired_at = DateOrDateTimeField(required=False, allow_null=True, help_text=MOMENT_HELP)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)
    graphic = serializers.BooleanField(required=False)
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Why: kept in the chain of custody and the audit log; needed to take the exculpatory mark off.",
    )

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            fixed = sorted(set(data.keys()) & NOT_CORRECTABLE)
            if fixed:
                message = gettext("Cannot be corrected: only %(fields)s can.") % {
                    "fields": ", ".join(EVIDENCE_CORRECTABLE_FIELDS)
                }
                raise serializers.ValidationError({name: [message] for name in fixed})
        return super().to_internal_value(data)

    def validate(self, attrs):
        return self.court_record_attrs(attrs, time_zone=self.context["item"].case.time_zone)


# What an item shows or stores that no one corrects: what Slid observed, derived or read from the file.
NOT_CORRECTABLE = frozenset(
    {*EvidenceSerializer.Meta.fields, *(field.name for field in EvidenceItem._meta.concrete_fields)}
) - set(EVIDENCE_CORRECTABLE_FIELDS)


class CustodyReportQuerySerializer(serializers.Serializer):
    """The query of GET …/custody/report/: the report's language and whether HTML or PDF."""

    language = serializers.ChoiceField(
        choices=["en", "uk"], required=False, help_text="en or uk; by default the language the request asks for."
    )
    format = serializers.ChoiceField(choices=["html", "pdf"], default="html")
