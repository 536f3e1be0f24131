"""Assessments: what an evidence item proves — an element of a crime in an incident, or an element of a mode of
liability of a person or a unit — and the review checklist of evidence items."""

import uuid

import pghistory
from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.models.cases import Case
from evidence.models.items import EvidenceItem, ReviewState
from evidence.models.record import Incident, Person, Unit


class ProbativeValue(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Directness(models.TextChoices):
    DIRECT = "direct", _("Direct")
    CIRCUMSTANTIAL = "circumstantial", _("Circumstantial")


class Bearing(models.TextChoices):
    """Whether the item points towards guilt or away from it. Exculpatory material must be disclosed (Rome
    Statute article 67(2)): Slid shows it everywhere the assessment appears, flagged."""

    INCULPATORY = "inculpatory", _("Inculpatory")
    EXCULPATORY = "exculpatory", _("Exculpatory")


@pghistory.track(
    pghistory.InsertEvent("created"),
    pghistory.UpdateEvent("changed"),
    model_name="AssessmentRevision",
    append_only=True,
)
class Assessment(models.Model):
    """Links an evidence item (optionally a pinpoint in it) to the element it goes to: an incident, a crime and one
    of its elements; or a person or a unit, a mode of liability and one of its elements."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="assessments")
    # The pinpoint: a page of a document, a time range of a video or audio (seconds), a region of an image (pixels).
    page = models.PositiveIntegerField(null=True, blank=True)
    time_start_s = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    time_end_s = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    region_x = models.PositiveIntegerField(null=True, blank=True)
    region_y = models.PositiveIntegerField(null=True, blank=True)
    region_w = models.PositiveIntegerField(null=True, blank=True)
    region_h = models.PositiveIntegerField(null=True, blank=True)
    # Either a crime in an incident…
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="assessments")
    crime = models.CharField(max_length=24, blank=True)
    # …or a mode of liability of a person or a unit.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="assessments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="assessments")
    mode = models.CharField(max_length=40, blank=True)
    # The element, as evidence.elements.element_key writes it: "crime:8(2)(a)(i):1", "mode:28(a):2".
    element = models.CharField(max_length=80)
    relevance = models.TextField()
    probative_value = models.CharField(max_length=6, choices=ProbativeValue.choices)
    directness = models.CharField(max_length=14, choices=Directness.choices)
    bearing = models.CharField(max_length=12, choices=Bearing.choices, default=Bearing.INCULPATORY)

    review_state = models.CharField(max_length=12, choices=ReviewState.choices, default=ReviewState.DRAFT)
    review_reason = models.TextField(blank=True)
    review_requested_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["case", "element"], name="assessment_case_element"),
            models.Index(fields=["case", "review_state"], name="assessment_case_review"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(incident__isnull=False, person__isnull=True, unit__isnull=True, mode="") & ~Q(crime="")
                    | Q(incident__isnull=True, crime="")
                    & ~Q(mode="")
                    & (Q(person__isnull=False, unit__isnull=True) | Q(person__isnull=True, unit__isnull=False))
                ),
                name="assessment_goes_to_a_crime_or_a_mode",
            ),
            models.CheckConstraint(
                condition=Q(time_start_s__isnull=True)
                | Q(time_end_s__isnull=True)
                | Q(time_end_s__gte=F("time_start_s")),
                name="assessment_time_range_in_order",
            ),
            models.CheckConstraint(
                condition=Q(region_x__isnull=True, region_y__isnull=True, region_w__isnull=True, region_h__isnull=True)
                | Q(region_x__isnull=False, region_y__isnull=False, region_w__gt=0, region_h__gt=0),
                name="assessment_region_whole",
            ),
            models.CheckConstraint(
                condition=Q(probative_value__in=ProbativeValue.values), name="assessment_probative_value_valid"
            ),
            models.CheckConstraint(condition=Q(directness__in=Directness.values), name="assessment_directness_valid"),
            models.CheckConstraint(condition=Q(bearing__in=Bearing.values), name="assessment_bearing_valid"),
            models.CheckConstraint(
                condition=Q(review_state__in=ReviewState.values), name="assessment_review_state_valid"
            ),
        ]

    @property
    def exculpatory(self) -> bool:
        return self.bearing == Bearing.EXCULPATORY

    def __str__(self) -> str:
        return f"{self.evidence_id} → {self.element}"


class ReviewCheck(models.TextChoices):
    """The boxes of an evidence item's review, after the Berkeley Protocol on Digital Open Source Investigations
    (2022), chapter VI (verification): source, content, place, time, corroboration."""

    SOURCE = "source", _("Source identified and assessed")
    CONTENT = "content", _("Content verified: not altered, not staged")
    GEOLOCATION = "geolocation", _("Geolocation confirmed")
    CHRONOLOCATION = "chronolocation", _("Chronolocation confirmed")
    CORROBORATED = "corroborated", _("Corroborated by other items")


@pghistory.track(
    pghistory.InsertEvent("created"),
    pghistory.UpdateEvent("changed"),
    model_name="EvidenceReviewCheckRevision",
    append_only=True,
)
class EvidenceReviewCheck(models.Model):
    """One box of an item's review checklist: ticked (or unticked) by whom, when, with a note (how it was checked);
    every change is kept in its revisions."""

    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="review_checks")
    box = models.CharField(max_length=16, choices=ReviewCheck.choices)
    checked = models.BooleanField(default=True)
    note = models.TextField(blank=True)
    # For "corroborated": the other items of the case that corroborate it.
    corroborating = models.ManyToManyField(EvidenceItem, blank=True, related_name="+")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["evidence", "box"]
        constraints = [
            models.UniqueConstraint(fields=["evidence", "box"], name="evidence_review_check_once"),
            models.CheckConstraint(condition=Q(box__in=ReviewCheck.values), name="evidence_review_check_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} {self.box}"
