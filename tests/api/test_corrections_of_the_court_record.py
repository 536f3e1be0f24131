"""Issue 16 §1: every correction of an evidence item through one PATCH — its description, its document facts
and its court classification — checked as an upload is, all or nothing, each in the item's revisions, its chain
of custody (with the reason) and the audit log; and incidents' dates kept in the offset they were given in.
Expected values are written by hand."""

from datetime import UTC, datetime

import pytest

from evidence.models import AuditEntry, CustodyEntry, EvidenceItem, Incident, Role
from tests.factories import make_incident
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR, username="olena")


@pytest.fixture
def item(case_a, investigator):
    item = archived_item(case_a, investigator, b"%PDF-1.4 order 17", name="order-17.pdf")
    # As the worker reads them from a file (workers.describe); people never set these.
    EvidenceItem.objects.filter(pk=item.pk).update(pages_from_file=12, author_from_file="scanner 7")
    return item


def corrections_of(item: EvidenceItem) -> list[CustodyEntry]:
    return list(CustodyEntry.objects.filter(evidence=item, event_type="corrected").order_by("sequence"))


def test_a_patch_of_document_facts_keeps_the_files_value_and_shows_which_is_in_effect(item, investigator, client_for):
    client = client_for(investigator)

    answer = client.patch(
        f"/api/v1/evidence/{item.pk}/",
        {"pages": 11, "author": "Col. I. Petrov", "document_date": "2022-03-04", "languages": ["UK", "ru"]},
    )

    assert answer.status_code == 200, answer.content
    facts = answer.json()["document_facts"]
    assert facts["pages"] == {"given": 11, "file": 12, "value": 11, "in_effect": "given"}
    assert facts["author"] == {"given": "Col. I. Petrov", "file": "scanner 7", "value": "Col. I. Petrov",
                               "in_effect": "given"}  # fmt: skip
    # A bare date is that day in the case's zone (Kyiv, +02:00 in March), known to the day, as at upload.
    assert facts["document_date"]["value"] == "2022-03-03T22:00:00Z"
    assert facts["document_date"]["precision"] == "day"
    assert facts["languages"]["value"] == ["uk", "ru"]

    cleared = client.patch(f"/api/v1/evidence/{item.pk}/", {"pages": None}, format="json")

    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["document_facts"]["pages"] == {"given": None, "file": 12, "value": 12, "in_effect": "file"}
    stored = EvidenceItem.objects.get(pk=item.pk)
    assert (stored.pages, stored.pages_from_file, stored.author_from_file) == (None, 12, "scanner 7")


def test_one_patch_is_one_revision_one_custody_entry_and_each_subjects_audit_entry(item, investigator, client_for):
    client = client_for(investigator)
    revisions_before = len(client.get(f"/api/v1/evidence/{item.pk}/revisions/").json())

    answer = client.patch(
        f"/api/v1/evidence/{item.pk}/",
        {"title": "Order 17", "pages": 3, "court_classification": "under_seal", "exculpatory": True,
         "reason": "Registry decision of 2024-05-02"},
    )  # fmt: skip

    assert answer.status_code == 200, answer.content
    assert (answer.json()["court_classification"], answer.json()["exculpatory"]) == ("under_seal", True)
    revisions = client.get(f"/api/v1/evidence/{item.pk}/revisions/").json()
    assert len(revisions) == revisions_before + 1
    assert revisions[-1]["user"] == "olena"
    assert revisions[-1]["changes"] == {
        "title": {"from": "", "to": "Order 17"},
        "pages": {"from": None, "to": 3},
        "court_classification": {"from": "confidential", "to": "under_seal"},
        "exculpatory": {"from": False, "to": True},
    }
    (entry,) = corrections_of(item)
    assert entry.details == {
        "changes": {
            "title": {"from": "", "to": "Order 17"},
            "pages": {"from": None, "to": 3},
            "court_classification": {"from": "confidential", "to": "under_seal"},
            "exculpatory": {"from": False, "to": True},
        },
        "reason": "Registry decision of 2024-05-02",
    }
    audited = {entry.action: entry.details for entry in AuditEntry.objects.filter(target=item.ern)}
    assert audited["evidence.correct"] == {"title": {"from": "", "to": "Order 17"},
                                           "reason": "Registry decision of 2024-05-02"}  # fmt: skip
    assert audited["evidence.document_facts"] == {"pages": {"from": None, "to": 3},
                                                  "reason": "Registry decision of 2024-05-02"}  # fmt: skip
    assert audited["evidence.classify"]["court_classification"] == {"from": "confidential", "to": "under_seal"}


def test_an_investigator_cannot_take_the_exculpatory_mark_off_and_nothing_else_changes(item, investigator, client_for):
    client = client_for(investigator)
    assert client.patch(f"/api/v1/evidence/{item.pk}/", {"exculpatory": True}).status_code == 200

    answer = client.patch(
        f"/api/v1/evidence/{item.pk}/", {"exculpatory": False, "title": "Not relevant", "reason": "Not relevant"}
    )

    assert answer.status_code == 403
    assert list(answer.json()) == ["exculpatory"]
    assert "lawyers and leads" in answer.json()["exculpatory"][0]
    stored = EvidenceItem.objects.get(pk=item.pk)
    assert (stored.exculpatory, stored.title) == (True, "")
    assert len(corrections_of(item)) == 1  # marking it, not the refusal


def test_a_lead_takes_the_exculpatory_mark_off_only_saying_why(item, case_a, investigator, member_of, client_for):
    client_for(investigator).patch(f"/api/v1/evidence/{item.pk}/", {"exculpatory": True})
    lead = client_for(member_of(case_a, Role.LEAD))

    refused = lead.patch(f"/api/v1/evidence/{item.pk}/", {"exculpatory": False})
    answer = lead.patch(f"/api/v1/evidence/{item.pk}/", {"exculpatory": False, "reason": "The alibi was disproved"})

    assert refused.status_code == 400 and list(refused.json()) == ["reason"]
    assert answer.status_code == 200, answer.content
    assert answer.json()["exculpatory"] is False
    last = corrections_of(item)[-1]
    assert last.details["changes"] == {"exculpatory": {"from": True, "to": False}}
    assert last.detail == "Corrected exculpatory: The alibi was disproved"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # Refused by the serializer, as at upload.
        ({"title": "Order 17", "pages": 0}, "pages"),
        ({"title": "Order 17", "court_classification": "secret"}, "court_classification"),
        ({"title": "Order 17", "languages": ["uk", "xx"]}, "languages"),
        # Refused by the rules of the court record, after the title was checked.
        (
            {"title": "Order 17", "pages": 5, "received_on_condition_of_confidentiality": True},
            "confidentiality_provider",
        ),
        ({"title": "Order 17", "pages": 5, "document_date": "2999-01-01"}, "document_date"),
        # Refused once every value is set on the item, before anything is written.
        (
            {"title": "Order 17", "pages": 5, "court_classification": "under_seal", "acquired_at": "2999-01-01"},
            "acquired_at",
        ),
    ],
)
def test_a_patch_with_one_bad_field_changes_nothing(item, investigator, client_for, body, field):
    client = client_for(investigator)
    revisions_before = len(client.get(f"/api/v1/evidence/{item.pk}/revisions/").json())

    answer = client.patch(f"/api/v1/evidence/{item.pk}/", body)

    assert answer.status_code == 400, answer.content
    assert list(answer.json()) == [field]
    stored = EvidenceItem.objects.get(pk=item.pk)
    assert (stored.title, stored.pages, stored.court_classification, stored.acquired_at) == (
        "", None, "confidential", None,
    )  # fmt: skip
    assert corrections_of(item) == []
    assert not AuditEntry.objects.filter(action__in=["evidence.correct", "evidence.document_facts",
                                                     "evidence.classify"]).exists()  # fmt: skip
    assert len(client.get(f"/api/v1/evidence/{item.pk}/revisions/").json()) == revisions_before


@pytest.mark.parametrize(
    "field",
    ["pages_from_file", "author_from_file", "document_date_from_file", "duration_seconds_from_file", "document_facts",
     "intake_key", "sha256", "status", "ern"],
)  # fmt: skip
def test_a_patch_naming_what_slid_observed_or_read_from_the_file_is_refused(item, investigator, client_for, field):
    answer = client_for(investigator).patch(f"/api/v1/evidence/{item.pk}/", {field: "3", "pages": 4})

    assert answer.status_code == 400
    assert list(answer.json()) == [field]
    assert "Cannot be corrected" in answer.json()[field][0]
    assert EvidenceItem.objects.values_list("pages", "pages_from_file").get(pk=item.pk) == (None, 12)


def test_the_same_capture_time_given_in_another_offset_is_a_correction(item, investigator, client_for):
    client = client_for(investigator)
    assert client.patch(f"/api/v1/evidence/{item.pk}/", {"captured_at": "2022-03-04T10:15:00+05:30"}).status_code == 200

    # 12:45 at +08:00 is 04:45Z, the moment 10:15 at +05:30 is.
    answer = client.patch(f"/api/v1/evidence/{item.pk}/", {"captured_at": "2022-03-04T12:45:00+08:00"})

    assert answer.status_code == 200, answer.content
    assert answer.json()["captured_at"] == "2022-03-04T12:45:00+08:00"
    first, second = corrections_of(item)
    assert first.details["changes"] == {"captured_at": {"from": None, "to": "2022-03-04T10:15:00+05:30"}}
    assert second.details["changes"] == {
        "captured_at": {"from": "2022-03-04T10:15:00+05:30", "to": "2022-03-04T12:45:00+08:00"}
    }


def test_an_incidents_dates_keep_the_offset_they_were_given_with(case_a, investigator, client_for):
    client = client_for(investigator)
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [30.2208, 50.5445]},
        "properties": {
            "case": case_a.pk, "title": "Shelling", "occurred_from": "2022-03-04T10:15:30+05:30",
            "occurred_to": "2022-03-05",
        },
    }  # fmt: skip

    created = client.post("/api/v1/incidents/", feature, format="json")

    assert created.status_code == 201, created.content
    shown = client.get(f"/api/v1/incidents/{created.json()['id']}/").json()["properties"]
    assert shown["occurred_from"] == "2022-03-04T10:15:30+05:30"
    assert shown["occurred_from_time_zone"] == ""
    # A bare end date is the end of that day in the case's zone (Kyiv, +02:00), and says so.
    assert shown["occurred_to"] == "2022-03-05T23:59:59.999999+02:00"
    assert shown["occurred_to_time_zone"] == "Europe/Kyiv"
    incident = Incident.objects.get(pk=created.json()["id"])
    assert incident.occurred_from == datetime(2022, 3, 4, 4, 45, 30, tzinfo=UTC)
    assert incident.occurred_to == datetime(2022, 3, 5, 21, 59, 59, 999999, tzinfo=UTC)


def test_the_same_moment_given_in_another_offset_is_a_revision(case_a, investigator, client_for):
    incident = make_incident(case_a)
    client = client_for(investigator)
    path = f"/api/v1/incidents/{incident.pk}/"
    assert client.patch(path, {"properties": {"occurred_from": "2022-03-04T10:15:00+05:30"}}).status_code == 200

    # 12:45 at +08:00 is 04:45Z, the moment 10:15 at +05:30 is.
    answer = client.patch(path, {"properties": {"occurred_from": "2022-03-04T12:45:00+08:00"}})

    assert answer.status_code == 200, answer.content
    assert answer.json()["properties"]["occurred_from"] == "2022-03-04T12:45:00+08:00"
    revisions = client.get(f"{path}revisions/").json()
    assert revisions[-1]["user"] == "olena"
    assert revisions[-1]["changes"] == {"occurred_from_offset": {"from": 330, "to": 480}}
    assert revisions[-2]["changes"]["occurred_from_offset"] == {"from": 0, "to": 330}


def test_lowering_a_court_classification_or_an_art_54_3_e_condition_is_for_lawyers_and_leads(
    case_a, item, investigator, member_of, client_for
):
    lead = client_for(member_of(case_a, Role.LEAD, username="lead-of-bucha"))
    path = f"/api/v1/evidence/{item.pk}/"
    protected = {
        "court_classification": "ex_parte", "received_on_condition_of_confidentiality": True,
        "confidentiality_provider": "A state's intelligence service", "confidentiality_conditions": "Lead only",
    }  # fmt: skip
    assert lead.patch(path, protected, format="json").status_code == 200

    for lowering in (
        {"court_classification": "public", "reason": "mistake"},
        {"received_on_condition_of_confidentiality": False, "confidentiality_provider": "", "reason": "mistake"},
    ):
        refused = client_for(investigator).patch(path, lowering, format="json")
        assert refused.status_code == 403, refused.content
    item.refresh_from_db()
    assert (item.court_classification, item.received_on_condition_of_confidentiality) == ("ex_parte", True)

    no_reason = lead.patch(path, {"court_classification": "confidential"}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    lowered = lead.patch(
        path, {"court_classification": "confidential", "reason": "Unsealed by the chamber"}, format="json"
    )
    assert lowered.status_code == 200 and lowered.json()["court_classification"] == "confidential"
    # Protecting an item more needs no one's leave and no reason.
    assert (
        client_for(investigator).patch(path, {"court_classification": "under_seal"}, format="json").status_code == 200
    )


def test_a_lawyer_who_does_not_write_the_record_corrects_its_classification_and_exculpatory_mark(
    case_a, item, investigator, member_of, client_for
):
    lawyer = client_for(member_of(case_a, Role.LEGAL, username="lawyer-of-bucha"))
    path = f"/api/v1/evidence/{item.pk}/"
    client_for(investigator).patch(path, {"court_classification": "under_seal", "exculpatory": True}, format="json")

    lowered = lawyer.patch(path, {"court_classification": "public", "reason": "Unsealed by the chamber"}, format="json")
    unmarked = lawyer.patch(path, {"exculpatory": False, "reason": "The alibi was disproved"}, format="json")

    assert lowered.status_code == 200, lowered.content
    assert unmarked.status_code == 200, unmarked.content
    assert (unmarked.json()["court_classification"], unmarked.json()["exculpatory"]) == ("public", False)
    assert [entry.agent for entry in corrections_of(item)][-2:] == ["user:lawyer-of-bucha"] * 2


@pytest.mark.parametrize("role", [Role.LEGAL, Role.ANALYST])
def test_what_only_those_who_write_may_correct_is_refused_to_others_and_nothing_changes(
    case_a, item, member_of, client_for, role
):
    client = client_for(member_of(case_a, role))
    path = f"/api/v1/evidence/{item.pk}/"

    # The classification first, then the title: a lawyer's leave for the one does not carry the other.
    answer = client.patch(path, {"court_classification": "under_seal", "title": "Order 17"}, format="json")
    pages = client.patch(path, {"pages": 4}, format="json")

    assert answer.status_code == 403, answer.content
    assert pages.status_code == 403, pages.content
    if role == Role.LEGAL:
        assert list(answer.json()) == ["title"] and "correcting title" in answer.json()["title"][0]
        assert list(pages.json()) == ["pages"]
    stored = EvidenceItem.objects.get(pk=item.pk)
    assert (stored.court_classification, stored.title, stored.pages) == ("confidential", "", None)
    assert corrections_of(item) == []
