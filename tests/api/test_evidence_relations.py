"""Typed links between evidence items of one case: shown both ways, same case only, never to itself or
twice, a redacted version with its original and codes, and removed with a reason that stays."""

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from evidence.models import AuditEntry, EvidenceRelation, Role
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR, username="olena")


@pytest.fixture
def items(case_a, investigator):
    return {
        name: archived_item(case_a, investigator, name.encode(), name=f"{name}.bin")
        for name in ("interview", "transcript", "translation", "redacted")
    }


def relate(client, item, **body):
    return client.post(f"/api/v1/evidence/{item.pk}/relations/", body, format="json")


def test_a_transcript_shows_on_both_items(client_for, investigator, items):
    client = client_for(investigator)
    interview, transcript = items["interview"], items["transcript"]

    created = relate(client, transcript, kind="transcript_of", target=interview.pk, note="Typed from the recording")

    assert created.status_code == 201, created.content
    assert created.json()["relation"] == "transcript_of"
    assert created.json()["item"] == {"id": interview.pk, "ern": interview.ern, "title": ""}
    from_transcript = client.get(f"/api/v1/evidence/{transcript.pk}/").json()["related"]
    from_interview = client.get(f"/api/v1/evidence/{interview.pk}/").json()["related"]
    assert from_transcript == [{"relation": "transcript_of", "id": interview.pk, "ern": interview.ern}]
    assert from_interview == [{"relation": "has_transcript", "id": transcript.pk, "ern": transcript.ern}]
    (listed,) = client.get(f"/api/v1/evidence/{interview.pk}/relations/").json()
    assert (listed["relation"], listed["kind"], listed["item"]["id"]) == (
        "has_transcript",
        "transcript_of",
        transcript.pk,
    )
    assert (listed["active"], listed["created_by"], listed["note"]) == (True, "olena", "Typed from the recording")
    assert AuditEntry.objects.get(action="evidence.relate").details == {
        "relation": listed["id"], "kind": "transcript_of", "target": interview.ern, "redaction_codes": [],
    }  # fmt: skip


def test_a_redacted_version_names_its_original_and_the_codes_used(client_for, investigator, items):
    client = client_for(investigator)
    redacted, original = items["redacted"], items["interview"]

    missing = relate(client, redacted, kind="redacted_version_of", target=original.pk)
    created = relate(client, redacted, kind="redacted_version_of", target=original.pk, redaction_codes=["A", "B", "A"])
    second_original = relate(
        client, redacted, kind="redacted_version_of", target=items["transcript"].pk, redaction_codes=["C"]
    )
    codes_elsewhere = relate(
        client, items["translation"], kind="translation_of", target=original.pk, redaction_codes=["A"]
    )

    assert missing.status_code == 400 and "redaction codes" in str(missing.json()["redaction_codes"])
    assert created.status_code == 201, created.content
    assert created.json()["redaction_codes"] == ["A", "B"]
    assert second_original.status_code == 400
    assert "already the redacted version of another original" in str(second_original.json()["target"])
    assert codes_elsewhere.status_code == 400 and "only for a redacted_version_of" in str(codes_elsewhere.json())
    original_links = client.get(f"/api/v1/evidence/{original.pk}/").json()["related"]
    assert original_links == [
        {"relation": "has_redacted_version", "id": redacted.pk, "ern": redacted.ern, "redaction_codes": ["A", "B"]}
    ]


def test_an_item_of_another_case_itself_or_a_link_made_twice_is_refused_naming_the_target(
    client_for, investigator, items, case_b
):
    case_b.memberships.create(user=investigator, role=Role.INVESTIGATOR)
    elsewhere = archived_item(case_b, investigator, b"izium", name="izium.bin")
    client = client_for(investigator)
    interview, transcript = items["interview"], items["transcript"]
    assert relate(client, interview, kind="same_event_as", target=transcript.pk).status_code == 201

    answers = {
        "another case": relate(client, interview, kind="same_event_as", target=elsewhere.pk),
        "itself": relate(client, interview, kind="same_event_as", target=interview.pk),
        "twice": relate(client, interview, kind="same_event_as", target=transcript.pk),
        "twice, the other way round": relate(client, transcript, kind="same_event_as", target=interview.pk),
    }

    expected = {
        "another case": f"Evidence item {elsewhere.pk} belongs to another case.",
        "itself": "An item cannot be related to itself.",
        "twice": f"{interview.ern} is already same_event_as {transcript.ern}.",
        "twice, the other way round": f"{transcript.ern} is already same_event_as {interview.ern}.",
    }
    assert {why: (r.status_code, r.json()["target"]) for why, r in answers.items()} == {
        why: (400, [message]) for why, message in expected.items()
    }
    assert EvidenceRelation.objects.count() == 1


def test_an_item_the_user_cannot_see_is_not_found(client_for, investigator, items, case_b, member_of):
    stranger = member_of(case_b, Role.LEAD)
    hidden = archived_item(case_b, stranger, b"izium", name="izium.bin")

    answer = relate(client_for(investigator), items["interview"], kind="same_event_as", target=hidden.pk)

    assert answer.status_code == 400
    assert "does not exist" in str(answer.json()["target"])


def test_removing_a_link_needs_a_reason_and_keeps_it_in_the_history(client_for, investigator, items):
    client = client_for(investigator)
    interview, translation = items["interview"], items["translation"]
    relation = relate(client, translation, kind="translation_of", target=interview.pk).json()
    url = f"/api/v1/evidence/{interview.pk}/relations/{relation['id']}/"

    without = client.delete(url, {}, format="json")
    removed = client.delete(url, {"reason": "It translates another interview"}, format="json")
    again = client.delete(url, {"reason": "again"}, format="json")

    assert without.status_code == 400 and "reason" in without.json()
    assert removed.status_code == 200, removed.content
    assert (removed.json()["active"], removed.json()["removed_by"]) == (False, "olena")
    assert removed.json()["removal_reason"] == "It translates another interview"
    assert again.status_code == 400
    assert client.get(f"/api/v1/evidence/{interview.pk}/").json()["related"] == []
    (history,) = client.get(f"/api/v1/evidence/{translation.pk}/relations/").json()
    assert (history["relation"], history["active"]) == ("translation_of", False)
    assert AuditEntry.objects.get(action="evidence.unrelate").details["reason"] == "It translates another interview"
    # Linked again after its removal: a new link, the old one still in the history.
    assert relate(client, translation, kind="translation_of", target=interview.pk).status_code == 201
    assert len(client.get(f"/api/v1/evidence/{translation.pk}/relations/").json()) == 2


def test_a_link_of_another_item_is_not_found_through_this_one(client_for, investigator, items):
    client = client_for(investigator)
    relation = relate(client, items["transcript"], kind="transcript_of", target=items["interview"].pk).json()

    answer = client.delete(f"/api/v1/evidence/{items['redacted'].pk}/relations/{relation['id']}/", {"reason": "x"})

    assert answer.status_code == 404
    assert EvidenceRelation.objects.get().removed_at is None


def test_the_database_never_deletes_a_link(client_for, investigator, items):
    relate(client_for(investigator), items["transcript"], kind="transcript_of", target=items["interview"].pk)

    with pytest.raises(DatabaseError, match="Cannot delete a relation"), transaction.atomic():
        EvidenceRelation.objects.all().delete()
    with pytest.raises(IntegrityError, match="evidence_relation_not_to_itself"), transaction.atomic():
        EvidenceRelation.objects.create(source=items["interview"], target=items["interview"], kind="same_event_as")
