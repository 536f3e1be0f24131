"""The words an item is found by live in a table of their own, kept by a trigger: intake's many updates of
an item's row (claims, leases, statuses) leave its full-text index alone, and a change of the words does not."""

import pytest
from django.db import connection
from django.utils import timezone

from evidence.models import EvidenceItem, Role
from evidence.selectors.items import evidence_search
from tests.workers.helpers import archived_item


def document_version(item: EvidenceItem) -> tuple[str, str]:
    """(the row's transaction id, its words), read from the table itself."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xmin::text, document::text FROM evidence_evidencesearchdocument WHERE item_id = %s", [item.pk]
        )
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_only_a_change_of_the_words_rewrites_the_search_document(case_a, member_of):
    investigator = member_of(case_a, Role.INVESTIGATOR)
    item = archived_item(case_a, investigator, b"bytes", name="IMG_7.jpg", title="Shelling of the bread queue")
    before = document_version(item)
    assert "'shelling'" in before[1] and "'img_7.jpg'" in before[1] and "'img'" in before[1]

    EvidenceItem.objects.filter(pk=item.pk).update(last_checked_at=timezone.now(), attempts=3)
    assert document_version(item) == before

    EvidenceItem.objects.filter(pk=item.pk).update(title="Shelling of the bread queue")  # the same words
    assert document_version(item) == before

    EvidenceItem.objects.filter(pk=item.pk).update(title="Обстріл черги за хлібом")
    after = document_version(item)
    assert after[0] != before[0] and "'обстріл'" in after[1] and "'shelling'" not in after[1]
    assert list(evidence_search(EvidenceItem.objects.all(), text="обстріл")) == [item]
    assert list(evidence_search(EvidenceItem.objects.all(), text="shelling")) == []
