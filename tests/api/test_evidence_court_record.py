"""What an evidence item records for a court: document facts given at upload and corrected later, with
the file's values kept beside them; the court's classification; art. 54(3)(e) material; the exculpatory
mark and who may take it off. Expected values are written by hand."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from evidence.errors import DomainError, NotAllowed
from evidence.models import AuditEntry, EvidenceItem, Role
from evidence.services.corrections import evidence_set_classification, evidence_set_document_facts
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR, username="olena")


def test_an_upload_records_the_document_facts_and_the_court_record(upload, case_a, investigator):
    response = upload(
        investigator,
        case_a,
        b"%PDF-1.4 order",
        name="order-17.pdf",
        document_date="2022-03-04",
        author="Col. I. Petrov",
        recipient="Commander, 64th brigade",
        languages=["RU", "uk", "ru"],
        pages=3,
        duration_seconds="0",
        court_classification="under_seal",
        received_on_condition_of_confidentiality="true",
        confidentiality_provider="A State's intelligence service",
        confidentiality_conditions="Lead only; not to be used as evidence without consent",
        exculpatory="true",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    facts = body["document_facts"]
    # A bare date is that day in the case's zone (Kyiv, +02:00 in March), known to the day.
    assert facts["document_date"] == {
        "given": "2022-03-03T22:00:00Z", "file": None, "value": "2022-03-03T22:00:00Z", "in_effect": "given",
        "precision": "day",
    }  # fmt: skip
    assert facts["author"] == {"given": "Col. I. Petrov", "file": "", "value": "Col. I. Petrov", "in_effect": "given"}
    assert facts["recipient"]["value"] == "Commander, 64th brigade"
    assert facts["languages"]["value"] == ["ru", "uk"]  # lower case, each once, in the order given
    assert facts["pages"] == {"given": 3, "file": None, "value": 3, "in_effect": "given"}
    assert facts["duration_seconds"]["given"] == 0.0
    assert body["court_classification"] == "under_seal"
    assert body["received_on_condition_of_confidentiality"] is True
    assert body["confidentiality_provider"] == "A State's intelligence service"
    assert body["confidentiality_conditions"] == "Lead only; not to be used as evidence without consent"
    assert body["exculpatory"] is True
    item = EvidenceItem.objects.get()
    assert item.document_date == datetime(2022, 3, 3, 22, tzinfo=UTC)
    assert item.languages == ["ru", "uk"]


def test_an_item_is_confidential_to_the_court_and_not_exculpatory_unless_said(upload, case_a, investigator):
    body = upload(investigator, case_a, b"photo", name="p.jpg").json()

    assert (body["court_classification"], body["exculpatory"]) == ("confidential", False)
    assert body["received_on_condition_of_confidentiality"] is False
    assert body["document_facts"]["pages"] == {"given": None, "file": None, "value": None, "in_effect": None}


def test_a_date_time_is_known_exactly_unless_a_precision_is_given(upload, case_a, investigator):
    exact = upload(investigator, case_a, b"one", name="a.pdf", document_date="2022-03-04T10:15:00+02:00").json()
    month = upload(
        investigator, case_a, b"two", name="b.pdf", document_date="2022-03-01", document_date_precision="month"
    ).json()

    assert exact["document_facts"]["document_date"]["value"] == "2022-03-04T08:15:00Z"
    assert exact["document_facts"]["document_date"]["precision"] == "exact"
    assert month["document_facts"]["document_date"]["precision"] == "month"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"languages": ["uk", "xx"]}, "languages", '"xx" is not an ISO 639 language code'),
        ({"languages": ["ukrainian"]}, "languages", '"ukrainian" is not an ISO 639 language code'),
        ({"pages": "0"}, "pages", "greater than or equal to 1"),
        ({"duration_seconds": "-1"}, "duration_seconds", "greater than or equal to 0"),
        ({"court_classification": "secret"}, "court_classification", "use one of public, confidential"),
        ({"document_date": "2999-01-01"}, "document_date", "cannot be dated in the future"),
        ({"document_date_precision": "month"}, "document_date_precision", "needs a document_date"),
        (
            {"received_on_condition_of_confidentiality": "true"},
            "confidentiality_provider",
            "names its provider",
        ),
    ],
)
def test_a_wrong_value_is_refused_naming_the_field_and_nothing_is_written(
    upload, case_a, investigator, fields, field, message
):
    response = upload(investigator, case_a, b"file", name="f.pdf", **fields)

    assert response.status_code == 400, response.content
    assert message in str(response.json()[field])
    assert not EvidenceItem.objects.exists()


def test_a_correction_keeps_the_files_value_beside_the_given_one_and_is_audited(case_a, investigator, client_for):
    item = archived_item(case_a, investigator, b"file", name="f.bin")
    EvidenceItem.objects.filter(pk=item.pk).update(pages_from_file=12, author_from_file="scanner 7")

    evidence_set_document_facts(actor=investigator, item=item, pages=11, author="Col. I. Petrov", languages=["uk"])

    body = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()
    assert body["document_facts"]["pages"] == {"given": 11, "file": 12, "value": 11, "in_effect": "given"}
    assert body["document_facts"]["author"]["value"] == "Col. I. Petrov"
    entry = AuditEntry.objects.get(action="evidence.document_facts")
    assert entry.target == item.ern
    assert entry.details == {
        "pages": {"from": None, "to": 11},
        "author": {"from": "", "to": "Col. I. Petrov"},
        "languages": {"from": [], "to": ["uk"]},
    }

    # Clearing what was given puts the file's value back in effect; the file's value was never touched.
    evidence_set_document_facts(actor=investigator, item=item, pages="")
    body = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()
    assert body["document_facts"]["pages"] == {"given": None, "file": 12, "value": 12, "in_effect": "file"}
    # Giving what is there already records nothing more.
    evidence_set_document_facts(actor=investigator, item=item, author="Col. I. Petrov", duration_seconds=None)
    assert AuditEntry.objects.filter(action="evidence.document_facts").count() == 2


def test_a_correction_refuses_the_files_own_values_and_unknown_facts(case_a, investigator):
    item = archived_item(case_a, investigator, b"file", name="f.bin")

    with pytest.raises(DomainError, match="pages_from_file cannot be set here") as refused:
        evidence_set_document_facts(actor=investigator, item=item, pages_from_file=3)
    assert refused.value.field == "pages_from_file"
    with pytest.raises(DomainError, match="not an ISO 639 language code"):
        evidence_set_document_facts(actor=investigator, item=item, languages=["zz"])
    item.refresh_from_db()
    assert item.pages_from_file is None and item.languages == []


def test_anyone_who_writes_marks_an_item_exculpatory_but_only_lawyers_and_leads_take_the_mark_off(
    case_a, investigator, member_of
):
    legal = member_of(case_a, Role.LEGAL, username="counsel")
    item = archived_item(case_a, investigator, b"statement", name="s.txt")

    evidence_set_classification(actor=investigator, item=item, exculpatory=True)
    with pytest.raises(NotAllowed, match="does not allow taking the exculpatory mark off"):
        evidence_set_classification(actor=investigator, item=item, exculpatory=False, reason="Not relevant")
    with pytest.raises(DomainError, match="Say why") as refused:
        evidence_set_classification(actor=legal, item=item, exculpatory=False)
    assert refused.value.field == "reason"
    item.refresh_from_db()
    assert item.exculpatory is True

    evidence_set_classification(actor=legal, item=item, exculpatory=False, reason="The alibi was disproved")
    item.refresh_from_db()
    assert item.exculpatory is False
    entries = list(AuditEntry.objects.filter(action="evidence.classify").order_by("at", "id"))
    assert [entry.actor for entry in entries] == [investigator, legal]
    assert entries[1].details == {"exculpatory": {"from": True, "to": False}, "reason": "The alibi was disproved"}


def test_a_court_classification_and_the_art_54_condition_are_changed_audited(case_a, investigator):
    item = archived_item(case_a, investigator, b"letter", name="l.txt")

    with pytest.raises(DomainError, match="names its provider"):
        evidence_set_classification(actor=investigator, item=item, received_on_condition_of_confidentiality=True)
    evidence_set_classification(
        actor=investigator, item=item, court_classification="ex_parte", received_on_condition_of_confidentiality=True,
        confidentiality_provider="NGO Truth Hounds",
    )  # fmt: skip

    item.refresh_from_db()
    assert (item.court_classification, item.confidentiality_provider) == ("ex_parte", "NGO Truth Hounds")
    details = AuditEntry.objects.get(action="evidence.classify").details
    assert details["court_classification"] == {"from": "confidential", "to": "ex_parte"}
    assert details["received_on_condition_of_confidentiality"] == {"from": False, "to": True}


def test_the_database_refuses_art_54_material_without_a_provider(case_a, investigator):
    from django.db import IntegrityError, transaction

    item = archived_item(case_a, investigator, b"letter", name="l.txt")
    with pytest.raises(IntegrityError, match="evidence_confidential_condition_names_provider"), transaction.atomic():
        EvidenceItem.objects.filter(pk=item.pk).update(received_on_condition_of_confidentiality=True)


def test_a_duration_is_kept_to_the_millisecond(upload, case_a, investigator):
    upload(investigator, case_a, b"audio", name="a.wav", duration_seconds="12.3456")

    # DRF refuses more than three decimals; three are kept exactly.
    assert EvidenceItem.objects.count() == 0
    upload(investigator, case_a, b"audio", name="a.wav", duration_seconds="12.345")
    assert EvidenceItem.objects.get().duration_seconds == Decimal("12.345")
