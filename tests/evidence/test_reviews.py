"""Review with a second pair of eyes (evidence.services.reviews): the four-eyes rule, sealed records that reopen
when changed, the evidence checklist and its verdict in the chain of custody."""

import pytest
from django.utils import timezone

from evidence.errors import DomainError, NotAllowed
from evidence.models import AuditEntry, CustodyEntry, Incident, Role
from evidence.selectors.record import incident_revision_list, revision_list
from evidence.services.assessments import assessment_create, assessment_update
from evidence.services.corrections import evidence_correct
from evidence.services.record import incident_update
from evidence.services.relations import evidence_relate, evidence_unrelate
from evidence.services.reviews import evidence_check, review_reject, review_submit, review_verify
from tests.factories import make_incident
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db

BOXES = ("source", "content", "geolocation", "chronolocation", "corroborated")


@pytest.fixture
def people(case_a, member_of):
    return {
        "investigator": member_of(case_a, Role.INVESTIGATOR, username="investigator"),
        "analyst": member_of(case_a, Role.ANALYST, username="analyst"),
        "legal": member_of(case_a, Role.LEGAL, username="legal"),
        "lead": member_of(case_a, Role.LEAD, username="lead"),
    }


@pytest.fixture
def incident(case_a, people):
    return make_incident(case_a, actor=people["investigator"], crimes=["8(2)(a)(i)"])


@pytest.fixture
def item(case_a, people, incident):
    return archived_item(case_a, people["investigator"], b"photo of the street", name="street.jpg")


def propose(people, case, item, incident, *, by="analyst", element=1, **fields):
    return assessment_create(
        actor=people[by], case=case, evidence=item, incident=incident, crime="8(2)(a)(i)",
        element=f"crime:8(2)(a)(i):{element}", relevance="The body lies in the street.", probative_value="high",
        directness="direct", **fields,
    )  # fmt: skip


def test_the_lead_who_made_the_last_change_may_not_verify_an_incident(case_a, people):
    incident = make_incident(case_a, actor=people["lead"], status="under_review")

    with pytest.raises(NotAllowed, match="four-eyes"):
        review_verify(actor=people["lead"], obj=incident)

    incident.refresh_from_db()
    assert incident.status == "under_review" and incident.reviewed_by is None


def test_the_analyst_who_proposed_an_assessment_may_verify_nothing_and_the_lead_who_changed_it_may_not(
    case_a, people, incident, item
):
    assessment = propose(people, case_a, item, incident)
    review_submit(actor=people["analyst"], obj=assessment)
    with pytest.raises(NotAllowed, match="does not allow"):
        review_verify(actor=people["analyst"], obj=assessment)

    assessment_update(actor=people["lead"], assessment=assessment, relevance="Changed by the lead.")
    with pytest.raises(NotAllowed, match="four-eyes"):
        review_verify(actor=people["lead"], obj=assessment)

    verified = review_verify(actor=people["legal"], obj=assessment)
    assert (verified.review_state, verified.reviewed_by) == ("verified", people["legal"])


def test_an_item_is_verified_only_with_every_box_ticked_and_the_verdict_enters_its_custody(case_a, people, item):
    other = archived_item(case_a, people["lead"], b"the same street, filmed", name="street.mp4")
    review_submit(actor=people["investigator"], obj=item, reviewer=people["legal"])
    for box in BOXES[:-1]:
        evidence_check(actor=people["legal"], item=item, box=box, note=f"{box} checked")
    with pytest.raises(DomainError, match="corroborated") as refused:
        review_verify(actor=people["legal"], obj=item)
    assert refused.value.field == "checklist"
    with pytest.raises(DomainError, match="Name the items"):
        evidence_check(actor=people["legal"], item=item, box="corroborated")

    evidence_check(actor=people["legal"], item=item, box="corroborated", corroborating=[other])
    evidence_correct(actor=people["lead"], item=item, title="Yablunska Street")  # the last change: the lead's
    with pytest.raises(NotAllowed, match="four-eyes"):
        review_verify(actor=people["lead"], obj=item)
    review_verify(actor=people["legal"], obj=item)

    entry = CustodyEntry.objects.filter(evidence=item).order_by("sequence").last()
    assert (entry.event_type, entry.agent, entry.details["verdict"]) == ("reviewed", "user:legal", "verified")
    assert sorted(entry.details["checklist"]) == sorted(BOXES)
    assert entry.details["checklist"]["source"]["by"] == "legal"
    assert entry.details["checklist"]["source"]["note"] == "source checked"


def test_a_rejection_needs_a_reason_and_is_recorded_in_custody(case_a, people, item):
    review_submit(actor=people["investigator"], obj=item)
    with pytest.raises(DomainError, match="Say why") as refused:
        review_reject(actor=people["legal"], obj=item, reason=" ")
    assert refused.value.field == "reason"

    review_reject(actor=people["legal"], obj=item, reason="Staged: the shadows disagree with the time.")

    item.refresh_from_db()
    assert (item.review_state, item.review_reason) == ("rejected", "Staged: the shadows disagree with the time.")
    entry = CustodyEntry.objects.filter(evidence=item, event_type="reviewed").get()
    assert (entry.outcome, entry.details["verdict"]) == ("failure", "rejected")


def test_a_verified_incident_that_is_changed_reopens_its_review_and_keeps_both_versions(case_a, people):
    incident = make_incident(case_a, actor=people["investigator"], title="Shelling", status="under_review")
    review_verify(actor=people["legal"], obj=incident)
    before = timezone.now()

    incident_update(actor=people["investigator"], incident=incident, title="Shelling of the school")

    incident.refresh_from_db()
    assert incident.status == "under_review"
    assert incident.reopened_at is not None and incident.reopened_at >= before
    last = incident_revision_list(incident=incident)[-1]
    assert last["changes"]["title"] == {"from": "Shelling", "to": "Shelling of the school"}
    assert last["changes"]["status"] == {"from": "verified", "to": "under_review"}
    reopened = AuditEntry.objects.get(action="review.reopen", target=str(incident.public_id))
    assert reopened.details == {"type": "incident", "changed": ["title"]}


def test_a_verified_assessment_and_item_reopen_when_changed(case_a, people, incident, item):
    assessment = propose(people, case_a, item, incident)
    review_submit(actor=people["analyst"], obj=assessment)
    review_verify(actor=people["legal"], obj=assessment)
    assessment_update(actor=people["analyst"], assessment=assessment, probative_value="medium")
    assessment.refresh_from_db()
    assert (assessment.review_state, assessment.reopened_at is not None) == ("under_review", True)
    states = [r["changes"].get("review_state") for r in revision_list(assessment.events.all())]
    assert {"from": "under_review", "to": "verified"} in states
    assert {"from": "verified", "to": "under_review"} in states

    other = archived_item(case_a, people["lead"], b"another view", name="other.jpg")
    review_submit(actor=people["investigator"], obj=item)
    for box in BOXES:
        evidence_check(actor=people["lead"], item=item, box=box, corroborating=[other] if box == "corroborated" else [])
    review_verify(actor=people["lead"], obj=item)
    evidence_correct(actor=people["investigator"], item=item, title="Yablunska Street")
    item.refresh_from_db()
    assert (item.review_state, item.reopened_at is not None) == ("under_review", True)


def test_verdicts_cannot_be_written_into_an_incident(case_a, people):
    incident = make_incident(case_a, actor=people["lead"])
    with pytest.raises(DomainError, match="reviewer's verdict") as refused:
        incident_update(actor=people["lead"], incident=incident, status="verified")
    assert refused.value.field == "status"
    assert Incident.objects.get(pk=incident.pk).status == "draft"


def test_only_a_legal_member_or_a_lead_is_asked_to_review(case_a, people, incident):
    with pytest.raises(DomainError, match="not a legal member or lead") as refused:
        review_submit(actor=people["investigator"], obj=incident, reviewer=people["analyst"])
    assert refused.value.field == "reviewer"


def test_an_assessment_goes_to_an_element_of_a_crime_of_its_incident(case_a, case_b, people, incident, item):
    with pytest.raises(DomainError, match="not recorded as") as refused:
        assessment_create(
            actor=people["analyst"], case=case_a, evidence=item, incident=incident, crime="7(1)(a)",
            element="crime:7(1)(a):1", relevance="r", probative_value="low", directness="direct",
        )  # fmt: skip
    assert refused.value.field == "crime"
    with pytest.raises(DomainError, match="not an element") as refused:
        propose(people, case_a, item, incident, element=9)
    assert refused.value.field == "element"
    elsewhere = make_incident(case_b, crimes=["8(2)(a)(i)"])
    with pytest.raises(DomainError, match="belongs to another case") as refused:
        propose(people, case_a, item, elsewhere)
    assert refused.value.field == "incident"


def test_a_form_that_repeats_the_verified_status_with_a_change_reopens_the_review(case_a, people):
    incident = make_incident(case_a, actor=people["investigator"], title="Shelling", status="under_review")
    review_verify(actor=people["legal"], obj=incident)

    incident_update(actor=people["investigator"], incident=incident, status="verified", title="Shelling, corrected")

    incident.refresh_from_db()
    assert (incident.status, incident.title) == ("under_review", "Shelling, corrected")


@pytest.mark.parametrize("status", ["under_review", "draft"])
def test_a_status_patched_with_a_change_does_not_hide_that_a_verified_incident_was_reopened(
    case_a, people, client_for, status
):
    incident = make_incident(case_a, actor=people["investigator"], title="Shelling", status="under_review")
    review_verify(actor=people["legal"], obj=incident)
    before = timezone.now()

    response = client_for(people["investigator"]).patch(
        f"/api/v1/incidents/{incident.pk}/", {"title": "Rewritten", "status": status}, format="json"
    )

    assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert (incident.status, incident.title) == (status, "Rewritten")
    assert incident.reopened_at is not None and incident.reopened_at >= before
    reopened = AuditEntry.objects.get(action="review.reopen", target=str(incident.public_id))
    assert reopened.details == {"type": "incident", "changed": ["status", "title"]}


# Issue 14: every change of a verified item reopens it, and the one who made it counts for the four-eyes rule.
COLLECTION = {
    "collected_by": "Investigator O. Petrenko",
    "collected_at": "2022-04-02T10:15:00+03:00",
    "handovers": [{"from": "O. Petrenko", "to": "Slid intake desk", "at": "2022-04-05"}],
}


def verified(people, item, other, *, by="legal"):
    review_submit(actor=people["investigator"], obj=item)
    for box in BOXES:
        evidence_check(actor=people[by], item=item, box=box, corroborating=[other] if box == "corroborated" else [])
    review_verify(actor=people[by], obj=item)
    item.refresh_from_db()
    assert item.review_state == "verified"
    return item


def reopened(item) -> tuple[str, bool]:
    item.refresh_from_db()
    return item.review_state, item.reopened_at is not None


def test_a_collection_record_declared_on_a_verified_item_reopens_it_and_its_declarer_may_not_verify(
    case_a, people, item, client_for
):
    other = archived_item(case_a, people["investigator"], b"another view", name="other.jpg")
    verified(people, item, other)
    answer = client_for(people["lead"]).post(
        f"/api/v1/evidence/{item.pk}/collection/", {"collection": COLLECTION}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert reopened(item) == ("under_review", True)
    assert AuditEntry.objects.filter(action="review.reopen", target=item.ern, actor=people["lead"]).exists()

    with pytest.raises(NotAllowed, match="four-eyes"):  # the lead rewrote the record last
        review_verify(actor=people["lead"], obj=item)
    assert review_verify(actor=people["legal"], obj=item).review_state == "verified"


def test_a_relation_made_or_removed_reopens_both_verified_items_and_its_maker_may_not_verify_them(case_a, people, item):
    transcript = archived_item(case_a, people["investigator"], b"what the witness said", name="transcript.txt")
    verified(people, item, transcript)
    verified(people, transcript, item)

    relation = evidence_relate(actor=people["lead"], item=transcript, target=item, kind="transcript_of")
    assert reopened(item) == ("under_review", True)
    assert reopened(transcript) == ("under_review", True)
    for either in (item, transcript):
        with pytest.raises(NotAllowed, match="four-eyes"):
            review_verify(actor=people["lead"], obj=either)
        review_verify(actor=people["legal"], obj=either)

    evidence_unrelate(actor=people["lead"], relation=relation, reason="It transcribes another video")
    assert reopened(item) == ("under_review", True)
    with pytest.raises(NotAllowed, match="four-eyes"):
        review_verify(actor=people["lead"], obj=item)
    evidence_correct(actor=people["legal"], item=item, court_classification="under_seal")  # a later change, by another
    review_verify(actor=people["lead"], obj=item)


def test_a_box_unticked_on_a_verified_item_reopens_it_and_one_ticked_again_does_not(case_a, people, item):
    other = archived_item(case_a, people["investigator"], b"another view", name="other.jpg")
    verified(people, item, other)
    evidence_check(actor=people["legal"], item=item, box="content", note="looked again")
    assert reopened(item) == ("verified", False)

    evidence_check(actor=people["legal"], item=item, box="content", checked=False, note="the sky is wrong")
    assert reopened(item) == ("under_review", True)
    with pytest.raises(DomainError, match="content"):
        review_verify(actor=people["legal"], obj=item)


def test_the_lead_who_rewrote_the_collection_record_or_related_the_item_last_may_not_verify_it(
    case_a, people, item, client_for
):
    other = archived_item(case_a, people["investigator"], b"another view", name="other.jpg")
    review_submit(actor=people["investigator"], obj=item)
    for box in BOXES:
        evidence_check(actor=people["lead"], item=item, box=box, corroborating=[other] if box == "corroborated" else [])
    client = client_for(people["lead"])
    answer = client.post(f"/api/v1/evidence/{item.pk}/collection/", {"collection": COLLECTION}, format="json")
    assert answer.status_code == 200, answer.content
    with pytest.raises(NotAllowed, match="four-eyes"):
        review_verify(actor=people["lead"], obj=item)

    evidence_correct(actor=people["investigator"], item=item, title="Yablunska Street")
    evidence_relate(actor=people["lead"], item=other, target=item, kind="same_event_as")  # the lead's, after it
    with pytest.raises(NotAllowed, match="four-eyes"):
        review_verify(actor=people["lead"], obj=item)
    assert review_verify(actor=people["legal"], obj=item).review_state == "verified"
