"""Witnesses and victims, known by pseudonym; their identities are kept encrypted."""

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.models.cases import Case


class ProtectedKind(models.TextChoices):
    WITNESS = "witness", _("Witness")
    VICTIM = "victim", _("Victim")


PSEUDONYM_PREFIX = {ProtectedKind.WITNESS: "W", ProtectedKind.VICTIM: "V"}


IDENTITY_FIELDS = ("full_name", "date_of_birth", "contact", "address", "protective_measures", "consent")
# What is known of a victim (all optional). Sealed with the identity, never in a column: sex, age and a date of
# death together can single out a person in a village, so they are read only by those who may reveal who it is.
VICTIM_FIELDS = ("sex", "age", "age_from", "age_to", "conflict_status", "date_of_death", "cause_of_death")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class ConflictStatus(models.TextChoices):
    """What international humanitarian law protects a person as."""

    CIVILIAN = "civilian", _("Civilian")
    COMBATANT = "combatant", _("Combatant")
    # A combatant in the power of the enemy, wounded or sick, or surrendering (AP I art. 41): protected.
    HORS_DE_COMBAT = "hors_de_combat", _("Hors de combat (captured, wounded or surrendering)")


class ProtectedPerson(models.Model):
    """A witness or victim, known everywhere by a pseudonym (W-0042). Who they are is encrypted;
    the database holds only ciphertext and the id of the key (evidence.identity_crypto)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="protected_persons")
    kind = models.CharField(max_length=8, choices=ProtectedKind.choices)
    pseudonym = models.CharField(max_length=16)
    identity_key_id = models.CharField(max_length=64)
    identity_sealed = models.BinaryField()
    readers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["case", "pseudonym"]
        constraints = [
            models.UniqueConstraint(fields=["case", "pseudonym"], name="pseudonym_once_per_case"),
            models.CheckConstraint(condition=models.Q(kind__in=ProtectedKind.values), name="protected_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.pseudonym


class PackageIdentities(models.Model):
    """The ``data/identities.json`` of a court package, sealed with the identity keys like each identity
    (bound to the export). The exports store never holds it: its layout marks the run as sealed, and a
    download by a lead decrypts it on the way out. ``persons`` are the people it names, each revealed
    (audited) on every download."""

    export = models.OneToOneField("evidence.Export", on_delete=models.PROTECT, related_name="sealed_identities")
    persons = models.ManyToManyField(ProtectedPerson, related_name="+", blank=True)
    identity_key_id = models.CharField(max_length=64)
    identity_sealed = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "package identities"

    def __str__(self) -> str:
        return f"identities of export {self.export_id}"
