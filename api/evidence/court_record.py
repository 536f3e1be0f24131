"""What an evidence item records for a court, as the API shows and accepts it: document facts (each with
the value given, the value read from the file and which is in effect), the court's classification and the
art. 54(3)(e) condition, disclosures, and typed relations to other items of the case."""

from datetime import date, datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import DateOrDateTimeField, StrictSerializerMixin, VisibleRelatedField
from evidence.dates import resolve_moment
from evidence.languages import language_codes
from evidence.models import (
    CourtClassification,
    DatePrecision,
    Disclosure,
    DisclosureRule,
    EvidenceItem,
    EvidenceRelation,
    Export,
    RecipientKind,
    RelationKind,
)
from evidence.selectors.exculpatory import evidence_is_exculpatory
from evidence.selectors.items import evidence_list
from evidence.selectors.packages import export_list
from evidence.selectors.relations import relation_seen_from

DATE_TIME = serializers.DateTimeField()
DOCUMENT_FACTS_HELP = (
    "Each fact as {given, file, value, in_effect}: the value people gave, the value the worker read from the "
    "file (pages, duration_seconds, author, document_date; null for the others), the one in effect (the given "
    "one, else the file's) and which that is (given, file or null). document_date also has its precision."
)


def _fact(given: Any, from_file: Any) -> dict[str, Any]:
    given_set = given not in (None, "", [])
    file_set = from_file not in (None, "", [])
    in_effect = "given" if given_set else "file" if file_set else None
    return {
        "given": given,
        "file": from_file,
        "value": given if given_set else from_file if file_set else None,
        "in_effect": in_effect,
    }


def _moment(value: datetime | None) -> str | None:
    return DATE_TIME.to_representation(value) if value is not None else None


def _seconds(value) -> float | None:
    return float(value) if value is not None else None


def document_facts_of(item: EvidenceItem) -> dict[str, dict[str, Any]]:
    document_date = _fact(_moment(item.document_date), _moment(item.document_date_from_file))
    # The file's date is a moment the file wrote: exact, as far as it goes.
    precision = {"given": item.document_date_precision or None, "file": "exact"}
    document_date["precision"] = precision.get(document_date["in_effect"] or "", None)
    return {
        "document_date": document_date,
        "author": _fact(item.author, item.author_from_file),
        "recipient": _fact(item.recipient, None),
        "languages": _fact(list(item.languages), None),
        "pages": _fact(item.pages, item.pages_from_file),
        "duration_seconds": _fact(_seconds(item.duration_seconds), _seconds(item.duration_seconds_from_file)),
    }


class CourtRecordFields(serializers.Serializer):
    """The fields of the court record an upload may give and a PATCH may correct (EvidenceUploadSerializer and
    EvidenceCorrectionSerializer take them, so they are checked the same way)."""

    document_date = DateOrDateTimeField(
        required=False,
        allow_null=True,
        help_text="When the document was made: a date-time, or a date (that day's start in the case's time zone).",
    )
    document_date_precision = serializers.ChoiceField(
        choices=DatePrecision.choices,
        required=False,
        help_text="How precisely document_date is known; by default day for a date, exact for a date-time.",
    )
    author = serializers.CharField(max_length=500, required=False, allow_blank=True)
    recipient = serializers.CharField(max_length=500, required=False, allow_blank=True)
    # An empty value is none at all: Swagger UI sends one for a list left alone.
    languages = serializers.ListField(
        child=serializers.CharField(max_length=20, allow_blank=True),
        required=False,
        max_length=50,
        help_text="ISO 639 codes.",
    )
    pages = serializers.IntegerField(min_value=1, max_value=10_000_000, required=False, allow_null=True)
    duration_seconds = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=0, required=False, allow_null=True, coerce_to_string=False
    )
    court_classification = serializers.ChoiceField(
        choices=CourtClassification.choices,
        required=False,
        help_text="As a court registry classifies it (ICC Regulations of the Registry); confidential by default.",
    )
    received_on_condition_of_confidentiality = serializers.BooleanField(
        required=False, help_text="Rome Statute art. 54(3)(e): needs confidentiality_provider."
    )
    confidentiality_provider = serializers.CharField(max_length=500, required=False, allow_blank=True)
    confidentiality_conditions = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    exculpatory = serializers.BooleanField(required=False, help_text="Rome Statute art. 67(2).")

    def validate_languages(self, value: list[str]) -> list[str]:
        try:
            return language_codes([code for code in value if code.strip()])
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None

    def court_record_attrs(self, attrs: dict, *, time_zone: str) -> dict:
        """The document date placed in the case's time zone, with its precision: a bare date is known to the
        day, a date-time exactly, unless the precision is given."""
        moment = attrs.get("document_date")
        if moment is not None:
            if "document_date_precision" not in attrs:
                bare_date = isinstance(moment, date) and not isinstance(moment, datetime)
                attrs["document_date_precision"] = DatePrecision.DAY if bare_date else DatePrecision.EXACT
            attrs["document_date"] = resolve_moment(moment, time_zone=time_zone)
        return attrs


class RelatedItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvidenceItem
        fields = ["id", "ern", "title"]
        read_only_fields = fields


class RelationSerializer(serializers.ModelSerializer):
    """A link as read from one item (the view's): ``relation`` is what this item is to ``item``
    (transcript_of), or, for a link made from the other side, its inverse (has_transcript)."""

    relation = serializers.SerializerMethodField()
    item = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    removed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = EvidenceRelation
        fields = [
            "id", "relation", "kind", "item", "redaction_codes", "note", "active", "created_at", "created_by",
            "removed_at", "removed_by", "removal_reason",
        ]  # fmt: skip
        read_only_fields = fields

    def _seen(self, relation: EvidenceRelation):
        return relation_seen_from(relation, self.context["item"].pk)

    @extend_schema_field(
        serializers.ChoiceField(
            choices=[
                *RelationKind.values,
                "has_transcript",
                "has_translation",
                "has_redacted_version",
                "has_attachment",
            ]
        )
    )
    def get_relation(self, relation: EvidenceRelation) -> str:
        return self._seen(relation)[0]

    @extend_schema_field(RelatedItemSerializer)
    def get_item(self, relation: EvidenceRelation) -> dict:
        return RelatedItemSerializer(self._seen(relation)[1]).data

    def get_active(self, relation: EvidenceRelation) -> bool:
        return relation.removed_at is None


class RelationCreateSerializer(StrictSerializerMixin, serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=RelationKind.choices, help_text="What this item is to target: a transcript_of it, its redacted…"
    )
    target = VisibleRelatedField(selector=evidence_list, model=EvidenceItem, help_text="An item of the same case.")
    redaction_codes = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=200,
        help_text="The redaction codes used; required for redacted_version_of, refused for the others.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class RelationRemoveSerializer(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=10_000, help_text="Why the link is removed; it is kept with it.")


class DisclosureSerializer(serializers.ModelSerializer):
    package = serializers.PrimaryKeyRelatedField(read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Disclosure
        fields = [
            "id", "recipient_kind", "recipient_name", "disclosed", "disclosed_at", "package", "rule", "note",
            "recorded_at", "recorded_by",
        ]  # fmt: skip
        read_only_fields = fields


class DisclosureCreateSerializer(StrictSerializerMixin, serializers.Serializer):
    recipient_kind = serializers.ChoiceField(choices=RecipientKind.choices)
    recipient_name = serializers.CharField(max_length=300, help_text="The team, chamber or office.")
    disclosed = serializers.BooleanField(help_text="false records a decision not to disclose (yet).")
    disclosed_at = DateOrDateTimeField(
        required=False,
        allow_null=True,
        help_text="When (required if disclosed); a date is its start in the case's zone.",
    )
    package = VisibleRelatedField(
        selector=export_list, model=Export, required=False, allow_null=True, help_text="A package built with the item."
    )
    rule = serializers.ChoiceField(choices=DisclosureRule.choices, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class DisclosuresSerializer(serializers.Serializer):
    """The item's disclosures, with its exculpatory mark (art. 67(2)) always beside them."""

    evidence = serializers.IntegerField(source="item.pk")
    ern = serializers.CharField(source="item.ern")
    exculpatory = serializers.BooleanField(
        help_text="Marked exculpatory, or with an exculpatory assessment (evidence.selectors.exculpatory)."
    )
    current = DisclosureSerializer(many=True, help_text="The latest decision for each recipient.")
    disclosures = DisclosureSerializer(many=True, help_text="Every decision recorded, oldest first.")


def disclosures_view(item: EvidenceItem, disclosures: list[Disclosure]) -> dict:
    latest: dict[tuple[str, str], Disclosure] = {}
    for disclosure in disclosures:
        latest[(disclosure.recipient_kind, disclosure.recipient_name.casefold())] = disclosure
    return {
        "item": item,
        "exculpatory": evidence_is_exculpatory(item),
        "current": list(latest.values()),
        "disclosures": disclosures,
    }
