"""What an evidence item records for a court, beside the file itself: its document facts (date with its
precision, author, recipient, languages, pages, duration), the registry's classification, material received
on condition of confidentiality (Rome Statute art. 54(3)(e)), the exculpatory mark (art. 67(2)), and each
disclosure to the defence, the chamber or a national prosecutor. What the worker read from the file is kept
beside what people give, never replaced.

The rules for the facts and the classification live here; a change of them is a correction like any other
(evidence.services.corrections.evidence_correct: one transaction, a revision, custody and the audit log)."""

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from evidence.errors import DomainError, NotAllowed
from evidence.languages import language_codes
from evidence.models import (
    EVIDENCE_CLASSIFICATION_FIELDS,
    EVIDENCE_DOCUMENT_FACTS,
    AuditAction,
    CourtClassification,
    CustodyEntry,
    CustodyEvent,
    DatePrecision,
    Disclosure,
    DisclosureRule,
    EvidenceItem,
    Export,
    RecipientKind,
)
from evidence.selectors.access import user_may_lower_classification, user_may_mark_exculpatory
from evidence.selectors.exculpatory import evidence_is_exculpatory
from evidence.services.audit import audit_record

NULLABLE = frozenset({"document_date", "pages", "duration_seconds"})
MAX_TEXT = 500
MAX_PAGES = 10_000_000
MAX_DURATION_SECONDS = Decimal("999999999.999")
# A document dated after now (a day's margin for time zones) cannot be.
FUTURE_MARGIN = timedelta(days=1)


def clean_document_facts(facts: dict[str, Any], *, item: EvidenceItem | None = None) -> dict[str, Any]:
    """The facts, checked and normalised; DomainError names the first field at fault. ``item`` is the item
    being corrected (for a precision given without a date), None at intake."""
    unknown = sorted(set(facts) - set(EVIDENCE_DOCUMENT_FACTS))
    if unknown:
        raise DomainError(gettext("%(field)s cannot be set here.") % {"field": unknown[0]}, field=unknown[0])
    # An empty value clears a number or a date, as None does (a form sends "" for a field left empty).
    cleaned = {name: None if value == "" and name in NULLABLE else value for name, value in facts.items()}
    for name in ("author", "recipient"):
        if name in cleaned:
            cleaned[name] = _text(cleaned[name], name)
    if "languages" in cleaned:
        try:
            cleaned["languages"] = language_codes(list(cleaned["languages"] or []))
        except (TypeError, ValueError) as error:
            raise DomainError(str(error), field="languages") from error
    if cleaned.get("pages") is not None:
        pages = cleaned["pages"]
        if isinstance(pages, bool) or not isinstance(pages, int) or not 1 <= pages <= MAX_PAGES:
            message = gettext("The number of pages is a whole number from 1 to %(max)s.") % {"max": MAX_PAGES}
            raise DomainError(message, field="pages")
    if cleaned.get("duration_seconds") is not None:
        cleaned["duration_seconds"] = _duration(cleaned["duration_seconds"])
    _clean_document_date(cleaned, item)
    return cleaned


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value.strip()) > MAX_TEXT or "\x00" in value:
        message = gettext("%(field)s is text of at most %(max)s characters.") % {"field": field, "max": MAX_TEXT}
        raise DomainError(message, field=field)
    return value.strip()


def _duration(value: Any) -> Decimal:
    try:
        duration = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise DomainError(gettext("The duration is a number of seconds."), field="duration_seconds") from error
    if not duration.is_finite() or not 0 <= duration <= MAX_DURATION_SECONDS:
        message = gettext("The duration is a number of seconds from 0 to %(max)s.") % {"max": MAX_DURATION_SECONDS}
        raise DomainError(message, field="duration_seconds")
    return duration.quantize(Decimal("0.001"))


def _clean_document_date(cleaned: dict[str, Any], item: EvidenceItem | None) -> None:
    """A date needs a precision (a day unless said otherwise); a precision needs a date; no document is dated
    in the future. Clearing the date clears its precision."""
    precision = cleaned.get("document_date_precision")
    if precision not in (None, "") and precision not in DatePrecision.values:
        message = gettext("Choose one of %(choices)s.") % {"choices": ", ".join(DatePrecision.values)}
        raise DomainError(message, field="document_date_precision")
    if "document_date" in cleaned:
        moment = cleaned["document_date"]
        if moment is None:
            cleaned["document_date_precision"] = ""
            return
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise DomainError(gettext("A date-time with its time zone is needed."), field="document_date")
        if moment > timezone.now() + FUTURE_MARGIN:
            raise DomainError(gettext("A document cannot be dated in the future."), field="document_date")
        if not precision:
            kept = item.document_date_precision if item is not None else ""
            cleaned["document_date_precision"] = kept or DatePrecision.DAY
    elif precision and (item is None or item.document_date is None):
        message = gettext("A precision needs a document_date to apply to.")
        raise DomainError(message, field="document_date_precision")


def clean_classification(fields: dict[str, Any], *, item: EvidenceItem | None = None) -> dict[str, Any]:
    """The court classification, the art. 54(3)(e) condition and the exculpatory mark, checked: material
    received on condition of confidentiality names who gave it."""
    unknown = sorted(set(fields) - set(EVIDENCE_CLASSIFICATION_FIELDS))
    if unknown:
        raise DomainError(gettext("%(field)s cannot be set here.") % {"field": unknown[0]}, field=unknown[0])
    cleaned = dict(fields)
    if "court_classification" in cleaned and cleaned["court_classification"] not in CourtClassification.values:
        message = gettext("Choose one of %(choices)s.") % {"choices": ", ".join(CourtClassification.values)}
        raise DomainError(message, field="court_classification")
    if "confidentiality_provider" in cleaned:
        cleaned["confidentiality_provider"] = _text(cleaned["confidentiality_provider"], "confidentiality_provider")
    if "confidentiality_conditions" in cleaned:
        conditions = cleaned["confidentiality_conditions"] or ""
        if not isinstance(conditions, str) or "\x00" in conditions:
            raise DomainError(gettext("The conditions are text."), field="confidentiality_conditions")
        cleaned["confidentiality_conditions"] = conditions.strip()
    flagged = cleaned.get(
        "received_on_condition_of_confidentiality",
        item.received_on_condition_of_confidentiality if item is not None else False,
    )
    provider = cleaned.get("confidentiality_provider", item.confidentiality_provider if item is not None else "")
    if flagged and not provider:
        message = gettext(
            "Material received on condition of confidentiality (Rome Statute art. 54(3)(e)) names its provider."
        )
        raise DomainError(message, field="confidentiality_provider")
    return cleaned


def check_exculpatory_change(*, actor: AbstractBaseUser, item: EvidenceItem, exculpatory: bool, reason: str) -> None:
    """Anyone who writes may mark an item exculpatory; taking the mark off is for the case's lawyers and leads
    (evidence.selectors.access.user_may_mark_exculpatory), and says why."""
    if exculpatory == item.exculpatory:
        return
    if not user_may_mark_exculpatory(user=actor, item=item, exculpatory=exculpatory):
        message = gettext(
            "Your role in %(case)s does not allow taking the exculpatory mark off: that is for its lawyers and leads."
        )
        raise NotAllowed(message % {"case": item.case.reference}, field="exculpatory")
    if not exculpatory and not reason.strip():
        message = gettext("Say why the item is no longer considered exculpatory (reason).")
        raise DomainError(message, field="reason")


# From the least to the most protected, as a registry classifies documents.
COURT_CLASSIFICATION_ORDER = ("public", "confidential", "under_seal", "ex_parte")


def check_classification_lowered(*, actor: AbstractBaseUser, item: EvidenceItem, fields: dict, reason: str) -> None:
    """Anyone who writes may protect an item more. Lowering its court classification, or taking off that it was
    received on condition of confidentiality (art. 54(3)(e)), are legal judgements for the case's lawyers and
    leads, who say why."""
    to = fields.get("court_classification", item.court_classification)
    lowered = COURT_CLASSIFICATION_ORDER.index(to) < COURT_CLASSIFICATION_ORDER.index(item.court_classification)
    condition_removed = item.received_on_condition_of_confidentiality and not fields.get(
        "received_on_condition_of_confidentiality", True
    )
    if not (lowered or condition_removed):
        return
    field = "court_classification" if lowered else "received_on_condition_of_confidentiality"
    if not user_may_lower_classification(user=actor, item=item):
        message = gettext(
            "Your role in %(case)s does not allow lowering a court classification or an art. 54(3)(e) condition: "
            "that is for its lawyers and leads."
        )
        raise NotAllowed(message % {"case": item.case.reference}, field=field)
    if not reason.strip():
        raise DomainError(gettext("Say why the item is less protected now (reason)."), field="reason")


def recorded_changes(item: EvidenceItem, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Sets the values on the item; returns {field: {"from", "to"}} of those that changed, as JSON (for the
    chain of custody and the audit log)."""
    changed = {}
    for name, value in values.items():
        before = getattr(item, name)
        if before != value:
            changed[name] = {"from": as_json(before), "to": as_json(value)}
            setattr(item, name, value)
    return changed


def as_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def package_includes(*, package: Export, item: EvidenceItem) -> bool:
    """Whether the package was built with the item in it: its ``exported`` custody entry names the package."""
    return CustodyEntry.objects.filter(
        evidence=item, event_type=CustodyEvent.EXPORTED, details__export=str(package.public_id)
    ).exists()


@transaction.atomic
def evidence_record_disclosure(
    *,
    actor: AbstractBaseUser,
    item: EvidenceItem,
    recipient_kind: str,
    recipient_name: str,
    disclosed: bool,
    disclosed_at: datetime | None = None,
    package: Export | None = None,
    rule: str = "",
    note: str = "",
) -> Disclosure:
    """Records that the item was, or was decided not to be, disclosed to a recipient: when, in which package
    (one built with the item in it) and under which rule. A record is never changed; a later one for the same
    recipient supersedes it. Audited as ``evidence.disclosure``."""
    if recipient_kind not in RecipientKind.values:
        message = gettext("Choose one of %(choices)s.") % {"choices": ", ".join(RecipientKind.values)}
        raise DomainError(message, field="recipient_kind")
    name = _text(recipient_name, "recipient_name")
    if not name:
        raise DomainError(gettext("Name the recipient (a team, a chamber, an office)."), field="recipient_name")
    if rule and rule not in DisclosureRule.values:
        message = gettext("Choose one of %(choices)s.") % {"choices": ", ".join(DisclosureRule.values)}
        raise DomainError(message, field="rule")
    if disclosed:
        if disclosed_at is None:
            raise DomainError(gettext("Say when it was disclosed."), field="disclosed_at")
        if disclosed_at > timezone.now() + FUTURE_MARGIN:
            raise DomainError(gettext("A disclosure cannot be dated in the future."), field="disclosed_at")
    else:
        for field, value in (("disclosed_at", disclosed_at), ("package", package)):
            if value is not None:
                message = gettext("%(field)s is only for a disclosure that was made (disclosed: true).")
                raise DomainError(message % {"field": field}, field=field)
    if package is not None:
        if package.case_id != item.case_id:
            message = gettext("package %(id)s belongs to another case.") % {"id": package.pk}
            raise DomainError(message, field="package")
        if not package_includes(package=package, item=item):
            message = gettext("Package %(id)s was not built with %(ern)s in it.") % {"id": package.pk, "ern": item.ern}
            raise DomainError(message, field="package")
    disclosure = Disclosure.objects.create(
        item=item, recipient_kind=recipient_kind, recipient_name=name, disclosed=disclosed,
        disclosed_at=disclosed_at, package=package, rule=rule, note=(note or "").strip(), recorded_by=actor,
    )  # fmt: skip
    audit_record(
        actor=actor,
        case=item.case,
        action=AuditAction.EVIDENCE_DISCLOSURE,
        target=item.ern,
        details={
            "recipient_kind": recipient_kind, "recipient_name": name, "disclosed": disclosed,
            "disclosed_at": disclosed_at.isoformat() if disclosed_at else None,
            "package": str(package.public_id) if package else None, "rule": rule,
            "exculpatory": evidence_is_exculpatory(item),
        },
    )  # fmt: skip
    return disclosure
