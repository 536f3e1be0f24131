"""Reads of the links between evidence items and of their disclosures, each shown from the item's side."""

from collections.abc import Sequence

from django.db.models import Q, QuerySet

from evidence.models import Disclosure, EvidenceItem, EvidenceRelation
from evidence.models.relations import INVERSE


def relation_list(*, item: EvidenceItem) -> QuerySet[EvidenceRelation]:
    """Every link from or to the item, removed ones too (their history), oldest first."""
    return (
        EvidenceRelation.objects.filter(Q(source=item) | Q(target=item))
        .select_related("source", "target", "created_by", "removed_by")
        .order_by("created_at", "id")
    )


def relation_seen_from(relation: EvidenceRelation, item_id: int) -> tuple[str, EvidenceItem]:
    """(the relation as read from the item, the other item): X transcript_of Y reads from Y as
    "has_transcript" X."""
    if relation.source_id == item_id:
        return relation.kind, relation.target
    return INVERSE[relation.kind], relation.source


def related_of_many(*, items: Sequence[EvidenceItem]) -> dict[int, list[dict]]:
    """The current links of each of ``items`` (by id), both ways, in one query for all of them (a page of a
    list, a package), each as {"relation", "id", "ern"} (and "redaction_codes" for a redaction)."""
    ids = [item.pk for item in items]
    found: dict[int, list[dict]] = {pk: [] for pk in ids}
    if not ids:
        return found
    relations = (
        EvidenceRelation.objects.filter(Q(source_id__in=ids) | Q(target_id__in=ids), removed_at__isnull=True)
        .select_related("source", "target")
        .only("kind", "redaction_codes", "source__ern", "target__ern")  # not the two items' hundred columns
        .order_by("created_at", "id")
    )
    for relation in relations:
        for item_id in {relation.source_id, relation.target_id} & set(ids):
            kind, other = relation_seen_from(relation, item_id)
            entry = {"relation": kind, "id": other.pk, "ern": other.ern}
            if relation.redaction_codes:
                entry["redaction_codes"] = list(relation.redaction_codes)
            found[item_id].append(entry)
    return found


def disclosure_list(*, item: EvidenceItem) -> QuerySet[Disclosure]:
    """Every disclosure decision about the item, oldest first: the latest for a recipient holds."""
    return Disclosure.objects.filter(item=item).select_related("package", "recorded_by").order_by("recorded_at", "id")


def disclosures_of_many(*, items: Sequence[EvidenceItem]) -> dict[int, list[Disclosure]]:
    """The disclosures of each of ``items`` (by id), in one query, oldest first."""
    found: dict[int, list[Disclosure]] = {item.pk: [] for item in items}
    for disclosure in (
        Disclosure.objects.filter(item__in=list(found)).select_related("package").order_by("recorded_at", "id")
    ):
        found[disclosure.item_id].append(disclosure)
    return found
