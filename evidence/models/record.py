"""The record: incidents, units, persons and the allegations that tie them together."""

import uuid

import pghistory
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.models.cases import Case
from geo.fields import BoxField
from geo.models import AdminArea
from geo.querysets import FootprintQuerySet
from geo.selectors import as_geography


class DatePrecision(models.TextChoices):
    EXACT = "exact", _("Exact")
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")
    APPROXIMATE = "approximate", _("Approximate")


class IncidentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    UNDER_REVIEW = "under_review", _("Under review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


@pghistory.track(
    pghistory.InsertEvent("created"),
    pghistory.UpdateEvent("changed"),
    exclude=["search", "period", "footprint", "warnings"],
    model_name="IncidentRevision",
    append_only=True,
)
class Incident(models.Model):
    """Something that happened, where and when, and which crimes it may amount to."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    occurred_from = models.DateTimeField()
    occurred_to = models.DateTimeField(null=True, blank=True)
    # PostgreSQL keeps a moment, not the offset it was written with: as for evidence items' dates, the offset is
    # kept here (minutes east of UTC), and, for a date or a time given without one, the case's time zone it was
    # read in. Null for an incident recorded before they were kept (shown in UTC).
    occurred_from_offset = models.SmallIntegerField(null=True, blank=True)
    occurred_from_time_zone = models.CharField(max_length=64, blank=True)
    occurred_to_offset = models.SmallIntegerField(null=True, blank=True)
    occurred_to_time_zone = models.CharField(max_length=64, blank=True)
    date_precision = models.CharField(max_length=12, choices=DatePrecision.choices, default=DatePrecision.DAY)
    # Indexed together with the case below (nearly every query is restricted to the user's cases).
    location = models.GeometryField(srid=4326, spatial_index=False)
    location_uncertainty_m = models.PositiveIntegerField(null=True, blank=True)
    place_name = models.CharField(max_length=300, blank=True)
    admin_area = models.ForeignKey(AdminArea, on_delete=models.SET_NULL, null=True, blank=True, editable=False)
    # What looks wrong with the location ({code, message}, geo.safeguards), worked out again whenever it
    # changes; derived from the location, so not part of the revision history.
    warnings = models.JSONField(default=list, blank=True, editable=False)
    crimes = ArrayField(models.CharField(max_length=24), default=list, blank=True)
    # Articles of the Criminal Code of Ukraine (evidence.national_offences), beside the Rome Statute's crimes.
    national_offences = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    # None means "not known", which is not the same as zero.
    killed = models.PositiveIntegerField(null=True, blank=True)
    injured = models.PositiveIntegerField(null=True, blank=True)
    missing = models.PositiveIntegerField(null=True, blank=True)
    detained = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.DRAFT)
    # The review (evidence.services.reviews): why it was rejected, whom the submitter asked to review it, who
    # verified or rejected it and when, and when a change to a verified (sealed) incident reopened its review.
    review_reason = models.TextField(blank=True)
    review_requested_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    # Witnesses and victims, referred to by their pseudonyms only.
    protected_persons = models.ManyToManyField("ProtectedPerson", blank=True, related_name="incidents")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    # Derived columns the database keeps, each for one indexed filter: the period for date-window
    # overlaps, the text for full-text search, the footprint (the location's bounding box) for
    # counting bbox matches from the index alone (geo.querysets).
    period = models.GeneratedField(
        expression=Func(
            F("occurred_from"),
            Coalesce(F("occurred_to"), F("occurred_from")),
            Value("[]"),
            function="tstzrange",
            output_field=DateTimeRangeField(),
        ),
        output_field=DateTimeRangeField(),
        db_persist=True,
    )
    search = models.GeneratedField(
        expression=SearchVector("title", "description", "place_name", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    footprint = models.GeneratedField(
        expression=Func(F("location"), function="box", output_field=BoxField()),
        output_field=BoxField(),
        db_persist=True,
    )

    objects = FootprintQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_from", "-id"]
        indexes = [
            GistIndex(as_geography("location"), name="incident_location_geography"),
            GistIndex(fields=["case", "location"], name="incident_case_location"),
            GistIndex(fields=["case", "period"], name="incident_case_period"),
            GistIndex(fields=["case", "footprint"], name="incident_case_footprint"),
            GinIndex(fields=["crimes"], name="incident_crimes"),
            GinIndex(fields=["search"], name="incident_search"),
            models.Index(fields=["occurred_from", "id"], name="incident_occurred_from"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(occurred_to__isnull=True) | Q(occurred_to__gte=F("occurred_from")),
                name="incident_period_in_order",
                violation_error_message="The end (occurred_to) is before the start (occurred_from).",
            ),
            models.CheckConstraint(condition=Q(status__in=IncidentStatus.values), name="incident_status_valid"),
            models.CheckConstraint(
                condition=Q(date_precision__in=DatePrecision.values), name="incident_date_precision_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


@pghistory.track(
    pghistory.InsertEvent("created"),
    pghistory.UpdateEvent("changed"),
    exclude=["search_names"],
    model_name="UnitRevision",
    append_only=True,
)
class Unit(models.Model):
    """A military or other unit; units form a command hierarchy within a case."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="units")
    name = models.CharField(max_length=300)
    designation = models.CharField(max_length=300, blank=True, help_text='e.g. "military unit 51460"')
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="subordinates")
    notes = models.TextField(blank=True)
    # The name and designation in Latin letters, lower case, for search across scripts (kept by services).
    search_names = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [GinIndex(fields=["search_names"], opclasses=["gin_trgm_ops"], name="unit_search_names_trgm")]

    def __str__(self) -> str:
        return self.name


@pghistory.track(
    pghistory.InsertEvent("created"),
    pghistory.UpdateEvent("changed"),
    exclude=["search_names"],
    model_name="PersonRevision",
    append_only=True,
)
class Person(models.Model):
    """A suspect: someone an allegation may name."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="persons")
    full_name = models.CharField(max_length=300)
    other_names = ArrayField(models.CharField(max_length=300), default=list, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    rank = models.CharField(max_length=100, blank=True)
    position = models.CharField(max_length=300, blank=True)
    nationality = models.CharField(max_length=100, blank=True)
    identifiers = models.JSONField(default=dict, blank=True, help_text='e.g. {"service_number": "…"}')
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="persons")
    # Every name in Latin letters, lower case, for search across scripts (kept by services).
    search_names = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["full_name"]
        verbose_name_plural = "persons"
        indexes = [GinIndex(fields=["search_names"], opclasses=["gin_trgm_ops"], name="person_search_names_trgm")]

    def __str__(self) -> str:
        return self.full_name


@pghistory.track(
    pghistory.InsertEvent("created"),
    pghistory.UpdateEvent("changed"),
    model_name="PersonAssignmentRevision",
    append_only=True,
)
class PersonAssignment(models.Model):
    """What a person was, from one day to another: rank, position and unit (a colonel today may have been a
    lieutenant colonel in March 2022). Packages state the one that held on each incident's day
    (evidence.selectors.record.person_assignment_on)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments")
    rank = models.CharField(max_length=100, blank=True)
    position = models.CharField(max_length=300, blank=True)
    # Days, inclusive; no end: still holds, or not known to have ended.
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    basis = models.TextField(blank=True, help_text="Where this is known from.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["person", "valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="person_assignment_in_order",
                violation_error_message="The end (valid_to) is before the start (valid_from).",
            ),
        ]

    @property
    def case(self) -> Case:
        return self.person.case

    def __str__(self) -> str:
        return f"{self.person} — {self.rank} {self.position} from {self.valid_from}"


class AllegationRole(models.TextChoices):
    DIRECT_PERPETRATOR = "direct_perpetrator", _("Direct perpetrator")
    COMMANDER = "commander", _("Commander")
    ORDERED = "ordered", _("Ordered")
    AIDED_ABETTED = "aided_abetted", _("Aided and abetted")
    PRESENT = "present", _("Present")
    UNIT_IN_CONTROL = "unit_in_control", _("Unit in control")


class Confidence(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class AllegationStatus(models.TextChoices):
    ALLEGED = "alleged", _("Alleged")
    CORROBORATED = "corroborated", _("Corroborated")
    DISPUTED = "disputed", _("Disputed")


@pghistory.track(
    pghistory.InsertEvent("created"),
    pghistory.UpdateEvent("changed"),
    model_name="AllegationRevision",
    append_only=True,
)
class Allegation(models.Model):
    """Links a person or a unit to an incident, with the role it is alleged to have played."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="allegations")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="allegations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="allegations")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="allegations")
    role = models.CharField(max_length=20, choices=AllegationRole.choices)
    basis = models.TextField(blank=True)
    confidence = models.CharField(max_length=6, choices=Confidence.choices, default=Confidence.LOW)
    status = models.CharField(max_length=12, choices=AllegationStatus.choices, default=AllegationStatus.ALLEGED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["incident", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, unit__isnull=True) | Q(person__isnull=True, unit__isnull=False),
                name="allegation_names_a_person_or_a_unit",
            ),
            models.CheckConstraint(condition=Q(status__in=AllegationStatus.values), name="allegation_status_valid"),
            models.CheckConstraint(condition=Q(role__in=AllegationRole.values), name="allegation_role_valid"),
            models.CheckConstraint(condition=Q(confidence__in=Confidence.values), name="allegation_confidence_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.person or self.unit} — {self.get_role_display()} — {self.incident}"
