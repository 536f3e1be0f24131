"""The audit log: who did what, when and from where."""

from django.conf import settings
from django.contrib.gis.db import models
from django.utils import timezone

from evidence.models.cases import Case


class AuditAction(models.TextChoices):
    """Everything the audit log records; services write these and nothing else."""

    CASE_CREATE = "case.create", "Case created"
    CASE_UPDATE = "case.update", "Case changed"
    MEMBER_ADD = "member.add", "Member added"
    MEMBER_CHANGE_ROLE = "member.change_role", "Member's role changed"
    MEMBER_REMOVE = "member.remove", "Member removed"
    USER_CREATE_ADMIN = "user.create_admin", "Administrator created"
    AUTH_LOGIN = "auth.login", "Signed in"
    AUTH_LOGIN_FAILED = "auth.login_failed", "Sign-in failed"
    AUTH_OTP_FAILED = "auth.otp_failed", "One-time code refused"
    AUTH_LOGOUT = "auth.logout", "Signed out"
    AUTH_TOTP_BEGIN = "auth.totp_begin", "Second factor being set up"
    AUTH_TOTP_ON = "auth.totp_on", "Second factor turned on"
    AUTH_TOTP_OFF = "auth.totp_off", "Second factor turned off"
    INCIDENT_CREATE = "incident.create", "Incident created"
    INCIDENT_UPDATE = "incident.update", "Incident changed"
    INCIDENT_IMPORT = "incident.import", "Incidents imported from a file"
    UNIT_CREATE = "unit.create", "Unit created"
    UNIT_UPDATE = "unit.update", "Unit changed"
    PERSON_CREATE = "person.create", "Person created"
    PERSON_UPDATE = "person.update", "Person changed"
    ALLEGATION_CREATE = "allegation.create", "Allegation created"
    ALLEGATION_UPDATE = "allegation.update", "Allegation changed"
    EVIDENCE_RECEIVE = "evidence.receive", "Evidence received"
    EVIDENCE_LINK = "evidence.link", "Evidence linked to an incident"
    EVIDENCE_DOWNLOAD = "evidence.download", "Evidence downloaded"
    EVIDENCE_RETRY = "evidence.retry", "Evidence processing retried"
    EXPORT_REQUEST = "export.request", "Package requested"
    EXPORT_IDENTITIES_REQUESTED = "export.identities_requested", "Package with identities requested"
    EXPORT_DOWNLOAD = "export.download", "Package downloaded"
    EXPORT_PROFILE_CREATE = "export_profile.create", "Register profile created"
    WITNESS_CREATE = "witness.create", "Witness recorded"
    WITNESS_UPDATE = "witness.update", "Witness changed"
    WITNESS_IDENTITY_REVEAL = "witness.identity_reveal", "Witness identity revealed"
    VICTIM_CREATE = "victim.create", "Victim recorded"
    VICTIM_UPDATE = "victim.update", "Victim changed"
    VICTIM_IDENTITY_REVEAL = "victim.identity_reveal", "Victim identity revealed"
    IDENTITY_KEY_ROTATE = "identity_key.rotate", "Identity re-encrypted under the current key"


class AuditEntry(models.Model):
    """An append-only record of who did what, written in the same transaction as the change."""

    at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, related_name="audit_entries")
    action = models.CharField(max_length=64, choices=AuditAction.choices)
    target = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True, help_text="Where the request came from.")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=AuditAction.values), name="audit_action_valid")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"
