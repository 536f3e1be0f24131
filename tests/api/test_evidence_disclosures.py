"""Disclosures per item and recipient: whether, when, in which package, under which rule, the latest
decision for each recipient, the exculpatory mark beside them always, and the records never changed."""

import pytest
from django.db import DatabaseError, transaction

from evidence.models import AuditEntry, Disclosure, Role
from evidence.services.corrections import evidence_set_classification
from evidence.services.packages import export_request
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def counsel(case_a, member_of):
    return member_of(case_a, Role.LEGAL, username="counsel")


@pytest.fixture
def statement(case_a, counsel):
    return archived_item(case_a, counsel, b"statement of W-0001", name="statement.txt")


def disclose(client, item, **body):
    return client.post(f"/api/v1/evidence/{item.pk}/disclosures/", body, format="json")


def test_a_disclosure_names_the_recipient_the_day_the_package_and_the_rule(client_for, case_a, counsel, statement):
    package = build(export_request(actor=counsel, case=case_a, evidence=[statement]))
    client = client_for(counsel)

    answer = disclose(
        client, statement, recipient_kind="defence", recipient_name="Defence of A. B.", disclosed=True,
        disclosed_at="2024-05-02", package=package.pk, rule="rule_77", note="Second batch",
    )  # fmt: skip

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["evidence"], body["ern"], body["exculpatory"]) == (statement.pk, statement.ern, False)
    (made,) = body["disclosures"]
    assert made["recipient_kind"] == "defence" and made["recipient_name"] == "Defence of A. B."
    assert made["disclosed_at"] == "2024-05-01T21:00:00Z"  # 2 May 2024 begins at 00:00 in Kyiv (+03:00)
    assert (made["package"], made["rule"], made["note"], made["recorded_by"]) == (
        package.pk, "rule_77", "Second batch", "counsel",
    )  # fmt: skip
    assert body["current"] == body["disclosures"]
    details = AuditEntry.objects.get(action="evidence.disclosure").details
    assert details["package"] == str(package.public_id) and details["recipient_kind"] == "defence"


def test_the_latest_decision_for_each_recipient_is_current(client_for, counsel, statement):
    client = client_for(counsel)
    disclose(client, statement, recipient_kind="chamber", recipient_name="Trial Chamber IX", disclosed=False)
    disclose(client, statement, recipient_kind="defence", recipient_name="Defence", disclosed=False, note="Rule 81")
    disclose(
        client, statement, recipient_kind="chamber", recipient_name="Trial Chamber IX", disclosed=True,
        disclosed_at="2024-06-01T09:00:00+02:00",
    )  # fmt: skip

    body = client.get(f"/api/v1/evidence/{statement.pk}/disclosures/").json()

    assert [(d["recipient_kind"], d["disclosed"]) for d in body["disclosures"]] == [
        ("chamber", False), ("defence", False), ("chamber", True),
    ]  # fmt: skip
    assert sorted((d["recipient_kind"], d["disclosed"]) for d in body["current"]) == [
        ("chamber", True), ("defence", False),
    ]  # fmt: skip


def test_the_exculpatory_mark_is_in_every_answer_of_the_disclosures(client_for, case_a, counsel, statement, member_of):
    evidence_set_classification(actor=counsel, item=statement, exculpatory=True)
    investigator = member_of(case_a, Role.INVESTIGATOR)

    assert client_for(investigator).get(f"/api/v1/evidence/{statement.pk}/disclosures/").json()["exculpatory"] is True
    assert client_for(investigator).get(f"/api/v1/evidence/{statement.pk}/").json()["exculpatory"] is True
    answer = disclose(client_for(counsel), statement, recipient_kind="defence", recipient_name="D", disclosed=False)
    assert answer.json()["exculpatory"] is True


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"disclosed": True}, "disclosed_at", "Say when it was disclosed."),
        ({"disclosed": False, "disclosed_at": "2024-05-02"}, "disclosed_at", "only for a disclosure that was made"),
        ({"disclosed": True, "disclosed_at": "2999-05-02"}, "disclosed_at", "cannot be dated in the future"),
        ({"disclosed": True, "disclosed_at": "2024-05-02", "rule": "rule_99"}, "rule", "use one of rule_76"),
        ({"disclosed": False, "recipient_kind": "press"}, "recipient_kind", "use one of defence, chamber"),
        ({"disclosed": False, "recipient_name": " "}, "recipient_name", ""),
    ],
)
def test_a_disclosure_that_cannot_be_is_refused_naming_the_field(client_for, counsel, statement, body, field, message):
    answer = disclose(client_for(counsel), statement, **{"recipient_kind": "defence", "recipient_name": "D", **body})

    assert answer.status_code == 400, answer.content
    assert message in str(answer.json()[field])
    assert not Disclosure.objects.exists()


def test_a_package_that_does_not_hold_the_item_is_refused(client_for, case_a, counsel, statement):
    other = archived_item(case_a, counsel, b"another file", name="other.txt")
    package = build(export_request(actor=counsel, case=case_a, evidence=[other]))

    answer = disclose(
        client_for(counsel), statement, recipient_kind="defence", recipient_name="D", disclosed=True,
        disclosed_at="2024-05-02", package=package.pk,
    )  # fmt: skip

    assert answer.status_code == 400
    assert answer.json()["package"] == [f"Package {package.pk} was not built with {statement.ern} in it."]


def test_investigators_read_disclosures_but_do_not_record_them(client_for, case_a, statement, member_of):
    investigator = member_of(case_a, Role.INVESTIGATOR)

    answer = disclose(
        client_for(investigator), statement, recipient_kind="defence", recipient_name="D", disclosed=False
    )

    assert answer.status_code == 403
    assert client_for(investigator).get(f"/api/v1/evidence/{statement.pk}/disclosures/").status_code == 200


def test_the_database_refuses_to_change_or_delete_a_disclosure(client_for, counsel, statement):
    disclose(client_for(counsel), statement, recipient_kind="defence", recipient_name="D", disclosed=False)

    for change in (lambda: Disclosure.objects.update(note="changed"), lambda: Disclosure.objects.all().delete()):
        with pytest.raises(DatabaseError, match="Cannot update or delete a disclosure"), transaction.atomic():
            change()
