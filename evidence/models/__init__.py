"""The record's tables, one module per subject. Everything is importable from ``evidence.models``
(Django loads the models from here), and each class is defined in exactly one module below."""

from evidence.models.accounts import ApiToken, IssuedPassword
from evidence.models.assessments import (
    Assessment,
    Bearing,
    Directness,
    EvidenceReviewCheck,
    ProbativeValue,
    ReviewCheck,
)
from evidence.models.audit import AuditAction, AuditEntry, AuditLink
from evidence.models.cases import CASE_REFERENCE_VALIDATOR, DEFAULT_TIME_ZONE, Case, CaseMembership, Role
from evidence.models.checkpoints import LEAF_RECORD, Checkpoint, CheckpointTree
from evidence.models.copies import BAD_COPY_STATES, GOOD_COPY_STATES, PRIMARY_STORE, ArchiveCopy, CopyState
from evidence.models.custody import PREMIS_EVENT_TYPES, CustodyEntry, CustodyEvent, Outcome
from evidence.models.disclosures import Disclosure, DisclosureRule, RecipientKind
from evidence.models.items import (
    EVIDENCE_CLASSIFICATION_FIELDS,
    EVIDENCE_CORRECTABLE_FIELDS,
    EVIDENCE_DOCUMENT_FACTS,
    Confidentiality,
    CourtClassification,
    EvidenceIncidentLink,
    EvidenceItem,
    EvidenceKind,
    EvidenceSearchDocument,
    EvidenceStatus,
    ProvenanceState,
    ReviewState,
    SourceType,
)
from evidence.models.packages import Export, ExportProfile, ExportStatus
from evidence.models.preferences import MediaBlur, UserPreferences
from evidence.models.queue import OutboxTask
from evidence.models.record import (
    Allegation,
    AllegationRole,
    AllegationStatus,
    Confidence,
    DatePrecision,
    Incident,
    IncidentStatus,
    Person,
    PersonAssignment,
    Unit,
)
from evidence.models.relations import EvidenceRelation, RelationKind
from evidence.models.summaries import IncidentDayCount, IncidentFacetCount, IncidentMapCell
from evidence.models.timestamps import TimestampToken
from evidence.models.uploads import ResumableUpload, UploadState
from evidence.models.witnesses import (
    IDENTITY_FIELDS,
    PSEUDONYM_PREFIX,
    PackageIdentities,
    ProtectedKind,
    ProtectedPerson,
)

__all__ = [
    "ApiToken", "IssuedPassword", "ArchiveCopy", "BAD_COPY_STATES", "CopyState", "GOOD_COPY_STATES", "PRIMARY_STORE",
    "EVIDENCE_CLASSIFICATION_FIELDS", "EVIDENCE_CORRECTABLE_FIELDS", "EVIDENCE_DOCUMENT_FACTS",
    "Allegation", "AllegationRole", "AllegationStatus", "AuditAction", "AuditEntry", "CASE_REFERENCE_VALIDATOR",
    "Case", "CaseMembership", "Confidence", "Confidentiality", "CustodyEntry", "CustodyEvent", "DEFAULT_TIME_ZONE",
    "DatePrecision", "EvidenceIncidentLink", "EvidenceItem", "EvidenceKind", "EvidenceSearchDocument",
    "EvidenceStatus", "Export",
    "ExportProfile", "ExportStatus", "IDENTITY_FIELDS", "Incident", "IncidentStatus", "MediaBlur", "OutboxTask",
    "Outcome", "UserPreferences",
    "PREMIS_EVENT_TYPES", "PSEUDONYM_PREFIX", "PackageIdentities", "Person", "PersonAssignment", "ProtectedKind",
    "ProtectedPerson",
    "ProvenanceState", "ResumableUpload", "Role", "SourceType", "Unit", "UploadState",
    "IncidentDayCount", "IncidentFacetCount", "IncidentMapCell", "TimestampToken",
    "AuditLink", "Checkpoint", "CheckpointTree", "LEAF_RECORD",
    "CourtClassification", "Disclosure", "DisclosureRule", "EvidenceRelation", "RecipientKind", "RelationKind",
    "Assessment", "Bearing", "Directness", "EvidenceReviewCheck", "ProbativeValue", "ReviewCheck", "ReviewState",
]  # fmt: skip
