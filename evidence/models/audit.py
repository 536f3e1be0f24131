"""The audit log: who did what, when and from where."""

from django.conf import settings
from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.models.cases import Case


class AuditAction(models.TextChoices):
    """Everything the audit log records; services write these and nothing else."""

    CASE_CREATE = "case.create", _("Case created")
    CASE_UPDATE = "case.update", _("Case changed")
    MEMBER_ADD = "member.add", _("Member added")
    MEMBER_CHANGE_ROLE = "member.change_role", _("Member's role changed")
    MEMBER_REMOVE = "member.remove", _("Member removed")
    USER_CREATE_ADMIN = "user.create_admin", _("Administrator created")
    USER_CREATE = "user.create", _("Account created")
    USER_DEACTIVATE = "user.deactivate", _("Account deactivated")
    USER_ACTIVATE = "user.activate", _("Account reactivated")
    USER_PASSWORD_ISSUE = "user.password_issue", _("One-time password issued")
    AUTH_LOGIN = "auth.login", _("Signed in")
    AUTH_LOGIN_FAILED = "auth.login_failed", _("Sign-in failed")
    AUTH_OTP_FAILED = "auth.otp_failed", _("One-time code refused")
    AUTH_LOGOUT = "auth.logout", _("Signed out")
    AUTH_TOTP_BEGIN = "auth.totp_begin", _("Second factor being set up")
    AUTH_TOTP_ON = "auth.totp_on", _("Second factor turned on")
    AUTH_TOTP_OFF = "auth.totp_off", _("Second factor turned off")
    AUTH_PASSWORD_CHANGE = "auth.password_change", _("Password changed")
    INCIDENT_CREATE = "incident.create", _("Incident created")
    INCIDENT_UPDATE = "incident.update", _("Incident changed")
    INCIDENT_IMPORT = "incident.import", _("Incidents imported from a file")
    ADMIN_AREAS_IMPORT = "admin_area.import", _("Administrative areas imported")
    UNIT_CREATE = "unit.create", _("Unit created")
    UNIT_UPDATE = "unit.update", _("Unit changed")
    PERSON_CREATE = "person.create", _("Person created")
    PERSON_UPDATE = "person.update", _("Person changed")
    ALLEGATION_CREATE = "allegation.create", _("Allegation created")
    ALLEGATION_UPDATE = "allegation.update", _("Allegation changed")
    EVIDENCE_RECEIVE = "evidence.receive", _("Evidence received")
    EVIDENCE_LINK = "evidence.link", _("Evidence linked to an incident")
    EVIDENCE_DOWNLOAD = "evidence.download", _("Evidence downloaded")
    EVIDENCE_RETRY = "evidence.retry", _("Evidence processing retried")
    EVIDENCE_GRAPHIC = "evidence.graphic", _("Evidence marked graphic or not graphic")
    EVIDENCE_CORRECT = "evidence.correct", _("Evidence description corrected")
    EVIDENCE_UNLINK = "evidence.unlink", _("Evidence unlinked from an incident")
    EVIDENCE_COLLECTION = "evidence.collection", _("Evidence custody before Slid declared")
    PERSON_ASSIGNMENT_CREATE = "person_assignment.create", _("Person's dated assignment recorded")
    PERSON_ASSIGNMENT_UPDATE = "person_assignment.update", _("Person's dated assignment changed")
    EVIDENCE_DOCUMENT_FACTS = "evidence.document_facts", _("Document facts of evidence given or corrected")
    EVIDENCE_CLASSIFY = (
        "evidence.classify",
        _("Court classification or exculpatory mark changed"),
    )
    EVIDENCE_DISCLOSURE = "evidence.disclosure", _("Disclosure of evidence recorded")
    EVIDENCE_RELATE = "evidence.relate", _("Evidence items related")
    EVIDENCE_UNRELATE = "evidence.unrelate", _("Relation between evidence items removed")
    EXPORT_REQUEST = "export.request", _("Package requested")
    EXPORT_IDENTITIES_REQUESTED = "export.identities_requested", _("Package with identities requested")
    EXPORT_DOWNLOAD = "export.download", _("Package downloaded")
    EXPORT_PROFILE_CREATE = "export_profile.create", _("Register profile created")
    EXPORT_PROFILE_UPDATE = "export_profile.update", _("Register profile edited")
    EXPORT_PROFILE_RETIRE = "export_profile.retire", _("Register profile retired")
    WITNESS_CREATE = "witness.create", _("Witness recorded")
    WITNESS_UPDATE = "witness.update", _("Witness changed")
    WITNESS_IDENTITY_REVEAL = "witness.identity_reveal", _("Witness identity revealed")
    VICTIM_CREATE = "victim.create", _("Victim recorded")
    VICTIM_UPDATE = "victim.update", _("Victim changed")
    VICTIM_IDENTITY_REVEAL = "victim.identity_reveal", _("Victim identity revealed")
    ASSESSMENT_CREATE = "assessment.create", _("Assessment proposed")
    ASSESSMENT_UPDATE = "assessment.update", _("Assessment changed")
    REVIEW_SUBMIT = "review.submit", _("Submitted for review")
    REVIEW_VERIFY = "review.verify", _("Verified by a reviewer")
    REVIEW_REJECT = "review.reject", _("Rejected by a reviewer")
    REVIEW_REOPEN = "review.reopen", _("Review reopened by a change to a verified record")
    REVIEW_CHECK = "review.check", _("Review checklist box ticked")
    IDENTITY_KEY_ROTATE = "identity_key.rotate", _("Identity re-encrypted under the current key")
    CHECKPOINT_NOT_STAMPED = "checkpoint.not_stamped", _("Checkpoint not timestamped")
    CHECKPOINT_ANOMALY = "checkpoint.anomaly", _("Checkpoint found the one before it changed")


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


class AuditLink(models.Model):
    """The audit log as a hash chain (evidence.audit_chain): one link per audit entry, appended in the order
    the entries were linked, never changed; the database refuses to."""

    position = models.PositiveBigIntegerField(unique=True)
    entry = models.OneToOneField(AuditEntry, on_delete=models.PROTECT, related_name="link")
    previous_hash = models.CharField(max_length=64)
    link_hash = models.CharField(max_length=64, unique=True)
    version = models.PositiveSmallIntegerField(default=1)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"audit link {self.position} ({self.entry_id})"
