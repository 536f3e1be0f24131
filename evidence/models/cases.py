"""Cases, their members and their roles."""

import uuid
import zoneinfo

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CASE_REFERENCE_VALIDATOR = RegexValidator(
    r"^[A-Z0-9]+(-[A-Z0-9]+)*$",
    "Use capital letters, digits and single hyphens, e.g. UA-2022-BUCHA.",
)

DEFAULT_TIME_ZONE = "Europe/Kyiv"


def validate_reference_not_only_digits(reference: str) -> None:
    """A case is named by its id or by its reference wherever a case is named (api.fields.UserCaseField, the
    lists' ``case`` filter): a reference of digits alone could be read as another case's id."""
    if reference.isascii() and reference.isdigit():
        raise ValidationError(
            _("A reference of digits alone could be taken for a case's id: add a letter, e.g. UA-%(reference)s.")
            % {"reference": reference[:20]},
            code="digits_only",
        )


def validate_time_zone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(f"{name!r} is not a time zone of the IANA database, such as Europe/Kyiv.")


class Case(models.Model):
    """The unit of need-to-know: people see what belongs to the cases they are members of."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(
        max_length=64, unique=True, validators=[CASE_REFERENCE_VALIDATOR, validate_reference_not_only_digits]
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CaseMembership", through_fields=("case", "user"), related_name="cases"
    )
    # The number of the case's last evidence item, for its ERN (reference-000123).
    evidence_counter = models.PositiveIntegerField(default=0, editable=False)
    # A bare date given for this case (2022-03-04) means that day here, and packages print dates here.
    time_zone = models.CharField(max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone])

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference


class Role(models.TextChoices):
    LEAD = "lead", _("Lead")
    INVESTIGATOR = "investigator", _("Investigator")
    ANALYST = "analyst", _("Analyst")
    LEGAL = "legal", _("Legal")


class CaseMembership(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    added_at = models.DateTimeField(default=timezone.now, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["case", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="membership_one_per_user_and_case"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} in {self.case}"
