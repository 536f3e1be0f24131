"""Whether evidence is exculpatory (Rome Statute art. 67(2)): marked so on the item, or assessed so.

One answer for the register, the disclosures view and the packages: an item is exculpatory when its mark says so
or when any assessment of it bears away from guilt — whatever became of that assessment in review, as the
analysis chart shows it, because a rejected exculpatory assessment must still reach the defence's attention."""

from collections import defaultdict
from collections.abc import Sequence

from evidence.models import Assessment, Bearing, EvidenceItem


def exculpatory_assessments_of_many(*, items: Sequence[EvidenceItem]) -> dict[int, list[Assessment]]:
    """The exculpatory assessments of each of ``items`` (by id), in one query, oldest first."""
    found: dict[int, list[Assessment]] = defaultdict(list)
    assessments = (
        Assessment.objects.filter(evidence__in=[item.pk for item in items], bearing=Bearing.EXCULPATORY)
        .select_related("evidence", "person", "unit")
        .order_by("pk")
    )
    for assessment in assessments:
        found[assessment.evidence_id].append(assessment)
    return {item.pk: found.get(item.pk, []) for item in items}


def exculpatory_evidence_ids(*, items: Sequence[EvidenceItem]) -> set[int]:
    """The ids of those of ``items`` that are exculpatory: marked, or with an exculpatory assessment."""
    assessed = set(
        Assessment.objects.filter(evidence__in=[item.pk for item in items], bearing=Bearing.EXCULPATORY)
        .values_list("evidence_id", flat=True)
        .distinct()
    )
    return {item.pk for item in items if item.exculpatory or item.pk in assessed}


def evidence_is_exculpatory(item: EvidenceItem) -> bool:
    """Whether ``item`` is exculpatory: marked, or with an exculpatory assessment."""
    return item.pk in exculpatory_evidence_ids(items=[item])
