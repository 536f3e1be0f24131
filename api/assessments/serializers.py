"""Assessments, reviews and the review queue as the API shows and accepts them."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import StrictSerializerMixin, VisibleRelatedField
from evidence.models import Assessment, Case, EvidenceItem, Incident, Person, ReviewCheck, Unit
from evidence.selectors.items import evidence_list
from evidence.selectors.record import incident_list, person_list, unit_list
from evidence.selectors.reviews import REVIEW_TYPES

UserModel = get_user_model()


class AssessmentSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    """The case is the evidence item's; the incident, person or unit must be of the same case. ``exculpatory`` is
    repeated apart from ``bearing`` so that no client can miss it."""

    case = serializers.PrimaryKeyRelatedField(read_only=True)
    evidence = VisibleRelatedField(selector=evidence_list, model=EvidenceItem)
    ern = serializers.CharField(source="evidence.ern", read_only=True)
    incident = VisibleRelatedField(selector=incident_list, model=Incident, required=False, allow_null=True)
    person = VisibleRelatedField(selector=person_list, model=Person, required=False, allow_null=True)
    unit = VisibleRelatedField(selector=unit_list, model=Unit, required=False, allow_null=True)
    crime = serializers.CharField(max_length=24, required=False, allow_blank=True)
    mode = serializers.CharField(max_length=40, required=False, allow_blank=True)
    time_start_s = serializers.DecimalField(max_digits=10, decimal_places=3, min_value=0, required=False,
                                            allow_null=True, coerce_to_string=False)  # fmt: skip
    time_end_s = serializers.DecimalField(max_digits=10, decimal_places=3, min_value=0, required=False,
                                          allow_null=True, coerce_to_string=False)  # fmt: skip
    exculpatory = serializers.BooleanField(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    review_requested_of = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Assessment
        fields = [
            "id", "public_id", "case", "evidence", "ern", "page", "time_start_s", "time_end_s", "region_x",
            "region_y", "region_w", "region_h", "incident", "crime", "person", "unit", "mode", "element",
            "relevance", "probative_value", "directness", "bearing", "exculpatory", "review_state", "review_reason",
            "review_requested_of", "reviewed_by", "reviewed_at", "reopened_at", "created_by", "updated_by",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "public_id", "review_state", "review_reason", "reviewed_at", "reopened_at", "created_at", "updated_at",
        ]  # fmt: skip
        extra_kwargs = {"relevance": {"max_length": 10000}}

    def to_internal_value(self, data):
        # A read-only field given is refused by name, not silently dropped: a client that PATCHes review_state
        # must learn that a review goes through submit/, verify/ and reject/.
        if hasattr(data, "keys"):
            fixed = sorted(name for name in data.keys() if name in self.fields and self.fields[name].read_only)
            if fixed:
                message = gettext(
                    "Cannot be written: Slid sets it (a review goes through submit/, verify/ or reject/)."
                )
                raise serializers.ValidationError({name: [message] for name in fixed})
        return super().to_internal_value(data)

    def validate_evidence(self, item: EvidenceItem) -> EvidenceItem:
        if self.instance is not None and item.case_id != self.instance.case_id:
            raise serializers.ValidationError("An assessment cannot be moved to another case.")
        return item


class SubmitSerializer(StrictSerializerMixin, serializers.Serializer):
    reviewer = serializers.PrimaryKeyRelatedField(
        queryset=UserModel.objects.filter(is_active=True), required=False, allow_null=True,
        help_text="The legal member or lead asked to review it (an account id; see the case's members).",
    )  # fmt: skip

    def __init__(self, *args, case: Case | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only the case's members are looked up: any other id is "does not exist", whether it exists or not, so
        # that nobody learns another case's accounts (or their names) by submitting.
        if case is None:  # the API schema's instance: it is never validated
            self.fields["reviewer"].queryset = UserModel.objects.none()
        else:
            self.fields["reviewer"].queryset = UserModel.objects.filter(
                is_active=True, case_memberships__case=case
            ).distinct()


class RejectSerializer(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class ReviewStateSerializer(serializers.Serializer):
    """Where the record stands in its review, after the transition."""

    id = serializers.IntegerField()
    state = serializers.CharField()
    review_reason = serializers.CharField()
    review_requested_of = serializers.CharField(allow_null=True)
    reviewed_by = serializers.CharField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    reopened_at = serializers.DateTimeField(allow_null=True)


class CheckSerializer(StrictSerializerMixin, serializers.Serializer):
    box = serializers.ChoiceField(choices=ReviewCheck.choices)
    checked = serializers.BooleanField(default=True)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    corroborating = VisibleRelatedField(selector=evidence_list, model=EvidenceItem, many=True, required=False)


class QueueEntrySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=REVIEW_TYPES)
    id = serializers.IntegerField(source="obj.pk")
    case = serializers.IntegerField(source="obj.case_id")
    state = serializers.CharField()
    label = serializers.SerializerMethodField(help_text="The incident's title, the item's ERN, or the assessment.")
    review_requested_of = serializers.IntegerField(source="obj.review_requested_of_id", allow_null=True)
    review_reason = serializers.CharField(source="obj.review_reason")
    reopened = serializers.SerializerMethodField(help_text="A change to it while verified reopened its review.")
    reopened_at = serializers.DateTimeField(source="obj.reopened_at", allow_null=True)
    exculpatory = serializers.SerializerMethodField()

    def get_label(self, entry) -> str:
        obj = entry.obj
        if entry.type == "incident":
            return obj.title
        if entry.type == "evidence":
            return f"{obj.ern} {obj.title}".strip()
        return f"{obj.evidence.ern} → {obj.element}"

    def get_reopened(self, entry) -> bool:
        return entry.obj.reopened_at is not None

    @extend_schema_field(serializers.BooleanField())
    def get_exculpatory(self, entry) -> bool:
        return entry.type == "assessment" and entry.obj.exculpatory
