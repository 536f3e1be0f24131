"""How the workspace shows evidence: which items are graphic (audited) and each user's choice of what
to blur."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from evidence.errors import DomainError, NotAllowed
from evidence.models import AuditAction, EvidenceItem, MediaBlur, UserPreferences
from evidence.selectors.access import user_may_mark_graphic
from evidence.services.audit import audit_record


@transaction.atomic
def evidence_mark_graphic(*, actor: AbstractBaseUser, item: EvidenceItem, graphic: bool) -> EvidenceItem:
    """Marks the item graphic (blurred for those who blur graphic material) or takes the mark off, in the
    audit log. Marking it as it already is changes and records nothing."""
    if not user_may_mark_graphic(user=actor, item=item, graphic=graphic):
        raise NotAllowed(
            gettext(
                "Your role in %(case)s may mark evidence graphic but not take the mark off: that is for leads, "
                "investigators and the item's submitter."
            )
            % {"case": item.case.reference}
        )
    locked = EvidenceItem.objects.select_for_update().select_related("case").get(pk=item.pk)
    if locked.graphic == graphic:
        return locked
    locked.graphic = graphic
    locked.save(update_fields=["graphic"])
    audit_record(
        actor=actor,
        case=locked.case,
        action=AuditAction.EVIDENCE_GRAPHIC,
        target=locked.ern,
        details={"graphic": graphic},
    )
    return locked


@transaction.atomic
def user_preferences_update(*, actor: AbstractBaseUser, media_blur: str) -> UserPreferences:
    """The actor's own settings; nobody changes another's."""
    if media_blur not in MediaBlur.values:
        raise DomainError(
            gettext("Choose one of %(choices)s.") % {"choices": ", ".join(MediaBlur.values)}, field="media_blur"
        )
    preferences, _ = UserPreferences.objects.update_or_create(
        user=actor, defaults={"media_blur": media_blur, "updated_at": timezone.now()}
    )
    return preferences
