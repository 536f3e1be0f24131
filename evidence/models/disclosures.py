"""Disclosure of evidence to the other parties and the chamber: to whom, whether, when, in which package
and under which rule. Each decision is a row of its own, never changed: the latest for a recipient holds."""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.models.items import EvidenceItem
from evidence.models.packages import Export


class RecipientKind(models.TextChoices):
    DEFENCE = "defence", _("Defence team")
    CHAMBER = "chamber", _("Chamber")
    NATIONAL_PROSECUTOR = "national_prosecutor", _("National prosecutor")


class DisclosureRule(models.TextChoices):
    """The provision a disclosure is made under (ICC Rules of Procedure and Evidence; Rome Statute)."""

    RULE_76 = "rule_76", _("Rule 76: pre-trial disclosure of prosecution witnesses' statements")
    RULE_77 = "rule_77", _("Rule 77: inspection of material in the Prosecutor's possession or control")
    ARTICLE_67_2 = "article_67_2", _("Article 67(2): exculpatory evidence")


class Disclosure(models.Model):
    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="disclosures")
    recipient_kind = models.CharField(max_length=24, choices=RecipientKind.choices)
    recipient_name = models.CharField(max_length=300)
    disclosed = models.BooleanField()
    disclosed_at = models.DateTimeField(null=True, blank=True)
    package = models.ForeignKey(Export, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosures")
    rule = models.CharField(max_length=16, choices=DisclosureRule.choices, blank=True)
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient_kind__in=RecipientKind.values), name="disclosure_recipient_kind_valid"
            ),
            models.CheckConstraint(condition=Q(rule__in=["", *DisclosureRule.values]), name="disclosure_rule_valid"),
            # Disclosed: when. Not disclosed: no date and no package.
            models.CheckConstraint(
                condition=Q(disclosed=True, disclosed_at__isnull=False)
                | Q(disclosed=False, disclosed_at__isnull=True, package__isnull=True),
                name="disclosure_date_when_disclosed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.recipient_kind}: {self.recipient_name}"
