"""Typed links between evidence items of one case (evidence.models.relations): made and removed here,
each audited. A link is never deleted: removing it records who, when and why."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from evidence.errors import DomainError
from evidence.models import AuditAction, EvidenceItem, EvidenceRelation, RelationKind
from evidence.models.relations import SYMMETRIC
from evidence.services.audit import audit_record
from evidence.services.reviews import evidence_changed

MAX_CODE_LENGTH = 64


def _redaction_codes(kind: str, codes: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for code in codes:
        if not isinstance(code, str) or not code.strip() or len(code.strip()) > MAX_CODE_LENGTH or "\x00" in code:
            message = gettext("A redaction code is text of 1 to %(max)s characters.") % {"max": MAX_CODE_LENGTH}
            raise DomainError(message, field="redaction_codes")
        if code.strip() not in cleaned:
            cleaned.append(code.strip())
    if kind == RelationKind.REDACTED_VERSION_OF and not cleaned:
        message = gettext("A redacted version names the redaction codes used (redaction_codes).")
        raise DomainError(message, field="redaction_codes")
    if kind != RelationKind.REDACTED_VERSION_OF and cleaned:
        raise DomainError(gettext("Redaction codes are only for a redacted_version_of."), field="redaction_codes")
    return cleaned


@transaction.atomic
def evidence_relate(
    *,
    actor: AbstractBaseUser,
    item: EvidenceItem,
    target: EvidenceItem,
    kind: str,
    redaction_codes: Iterable[str] = (),
    note: str = "",
) -> EvidenceRelation:
    """Records that ``item`` is ``kind`` ``target`` (a transcript of it, its redacted version…), both of the
    same case. Refused, naming ``target``: another case's item, the item itself, or a link that exists
    already (either way round for same_event_as). Audited as ``evidence.relate``."""
    if kind not in RelationKind.values:
        message = gettext("Choose one of %(choices)s.") % {"choices": ", ".join(RelationKind.values)}
        raise DomainError(message, field="kind")
    if target.case_id != item.case_id:
        message = gettext("Evidence item %(id)s belongs to another case.") % {"id": target.pk}
        raise DomainError(message, field="target")
    if target.pk == item.pk:
        raise DomainError(gettext("An item cannot be related to itself."), field="target")
    codes = _redaction_codes(kind, redaction_codes)
    # Both items locked in one order, so that two requests relating the same pair take turns.
    list(EvidenceItem.objects.select_for_update().filter(pk__in=[item.pk, target.pk]).order_by("pk"))
    active = EvidenceRelation.objects.filter(removed_at__isnull=True, kind=kind)
    pair = Q(source=item, target=target) | (Q(source=target, target=item) if kind in SYMMETRIC else Q(pk__in=[]))
    if active.filter(pair).exists():
        message = gettext("%(ern)s is already %(kind)s %(other)s.") % {
            "ern": item.ern,
            "kind": kind,
            "other": target.ern,
        }
        raise DomainError(message, field="target")
    if kind == RelationKind.REDACTED_VERSION_OF and active.filter(source=item).exists():
        message = gettext("%(ern)s is already the redacted version of another original.") % {"ern": item.ern}
        raise DomainError(message, field="target")
    try:
        with transaction.atomic():
            relation = EvidenceRelation.objects.create(
                source=item, target=target, kind=kind, redaction_codes=codes, note=(note or "").strip(),
                created_by=actor,
            )  # fmt: skip
    except IntegrityError as error:  # a constraint the checks above did not foresee
        raise DomainError(gettext("This relation cannot be recorded."), field="target") from error
    audit_record(
        actor=actor, case=item.case, action=AuditAction.EVIDENCE_RELATE, target=item.ern,
        details={"relation": relation.pk, "kind": kind, "target": target.ern, "redaction_codes": codes},
    )  # fmt: skip
    _changed(actor, relation)
    return relation


def _changed(actor: AbstractBaseUser, relation: EvidenceRelation) -> None:
    """A link is shown from both items (X is a transcript of Y, Y has the transcript X): both records changed.
    Read again (their rows are locked): the review state the caller holds may be older."""
    for item in EvidenceItem.objects.select_related("case").filter(pk__in=[relation.source_id, relation.target_id]):
        evidence_changed(actor=actor, item=item, what={"relations": relation.pk})


@transaction.atomic
def evidence_unrelate(*, actor: AbstractBaseUser, relation: EvidenceRelation, reason: str) -> EvidenceRelation:
    """Removes a link, keeping it with who removed it, when and ``reason`` (required). Audited as
    ``evidence.unrelate`` on the item the link starts from."""
    reason = (reason or "").strip()
    if not reason or "\x00" in reason:
        raise DomainError(gettext("Say why the relation is removed (reason)."), field="reason")
    locked = EvidenceRelation.objects.select_for_update().select_related("source__case", "target").get(pk=relation.pk)
    if locked.removed_at is not None:
        raise DomainError(gettext("This relation was removed already."), field="relation")
    locked.removed_at, locked.removed_by, locked.removal_reason = timezone.now(), actor, reason
    locked.save(update_fields=["removed_at", "removed_by", "removal_reason"])
    audit_record(
        actor=actor, case=locked.source.case, action=AuditAction.EVIDENCE_UNRELATE, target=locked.source.ern,
        details={"relation": locked.pk, "kind": locked.kind, "target": locked.target.ern, "reason": reason},
    )  # fmt: skip
    _changed(actor, locked)
    return locked
