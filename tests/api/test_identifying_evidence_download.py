"""Evidence that identifies a witness (a video statement, a photo of a face) is, downloaded, a reveal of
every witness and victim linked to it: only those who may reveal each of them (leads; a member a lead
named as reader of every one) download it, each download writes an identity reveal per person, and
SLID_REQUIRE_TOTP applies as to any reveal. Packages keep such items to leads already; the same bytes
under another item (a second upload of the file) are kept to them too."""

import pytest
from rest_framework.test import APIClient

from evidence.errors import NotAllowed
from evidence.models import AuditEntry, Confidentiality, EvidenceItem, Role
from evidence.services.custody import evidence_record_access
from evidence.services.packages import export_request
from evidence.services.witnesses import protected_person_create
from tests.otp import enrol
from tests.tokens import token_for
from tests.workers.helpers import archived_item
from workers import common, exports

pytestmark = pytest.mark.django_db

STATEMENT = b"video statement of the witness, face and voice"


@pytest.fixture
def people(case_a, member_of):
    return {
        role: member_of(case_a, role, username=f"{role}-of-bucha")
        for role in (Role.LEAD, Role.LEGAL, Role.INVESTIGATOR, Role.ANALYST)
    }


@pytest.fixture
def witnesses(case_a, people):
    lead = people[Role.LEAD]
    return [
        protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": name})
        for name in ("Olena K.", "Taras M.")
    ]


@pytest.fixture
def statement(case_a, people, witnesses):
    return archived_item(
        case_a, people[Role.LEAD], STATEMENT, name="statement.mp4",
        confidentiality=Confidentiality.IDENTIFIES_WITNESS, protected_persons=witnesses,
    )  # fmt: skip


def download(client, item, method: str = "get"):
    return getattr(client, method)(f"/api/v1/evidence/{item.pk}/download/")


def reveals() -> list[tuple[str, str, str]]:
    entries = AuditEntry.objects.filter(action__endswith=".identity_reveal").order_by("target")
    return [(entry.actor.username, entry.action, entry.target) for entry in entries]


@pytest.mark.parametrize("role", [Role.LEGAL, Role.INVESTIGATOR, Role.ANALYST])
@pytest.mark.parametrize("method", ["get", "head"])
def test_members_who_may_not_reveal_the_witnesses_may_not_download_what_identifies_them(
    client_for, people, statement, role, method
):
    response = download(client_for(people[role]), statement, method)

    assert response.status_code == 403
    if method == "get":
        assert response.json() == {
            "detail": f"{statement.ern} identifies a witness: only those who may reveal the identity of every "
            "witness and victim linked to it (the case's leads, and readers a lead named for each) download it."
        }
    assert not statement.custody.filter(event_type="accessed").exists()
    assert not AuditEntry.objects.filter(action="evidence.download").exists()
    assert reveals() == []


def test_a_lead_s_download_reveals_every_linked_person_in_the_audit_log(client_for, people, statement, witnesses):
    response = download(client_for(people[Role.LEAD]), statement)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == STATEMENT
    assert reveals() == [
        ("lead-of-bucha", "witness.identity_reveal", "W-0001"),
        ("lead-of-bucha", "witness.identity_reveal", "W-0002"),
    ]
    entry = AuditEntry.objects.filter(action="witness.identity_reveal").first()
    assert entry.case == statement.case
    assert entry.details == {"evidence": statement.ern, "range": None}
    assert AuditEntry.objects.filter(action="evidence.download").count() == 1


def test_a_lead_s_head_reveals_nothing(client_for, people, statement):
    response = download(client_for(people[Role.LEAD]), statement, "head")

    assert response.status_code == 200
    assert reveals() == []


def test_a_reader_of_every_linked_person_downloads_and_a_reader_of_one_does_not(client_for, people, statement):
    reader_of_both, reader_of_one = people[Role.ANALYST], people[Role.LEGAL]
    first, second = statement.protected_persons.order_by("pseudonym")
    first.readers.add(reader_of_both, reader_of_one)
    second.readers.add(reader_of_both)

    assert download(client_for(reader_of_one), statement).status_code == 403
    assert download(client_for(reader_of_both), statement).status_code == 200
    assert reveals() == [
        ("analyst-of-bucha", "witness.identity_reveal", "W-0001"),
        ("analyst-of-bucha", "witness.identity_reveal", "W-0002"),
    ]


def test_identifying_evidence_linked_to_nobody_is_for_leads(client_for, case_a, people):
    face = archived_item(
        case_a, people[Role.LEAD], b"a face", name="face.jpg", confidentiality=Confidentiality.IDENTIFIES_WITNESS
    )

    assert download(client_for(people[Role.LEGAL]), face).status_code == 403
    assert download(client_for(people[Role.LEAD]), face).status_code == 200


def test_another_case_s_lead_gets_404(client_for, case_b, member_of, statement):
    assert download(client_for(member_of(case_b, Role.LEAD)), statement).status_code == 404


def test_a_second_upload_of_the_same_bytes_identifies_the_witnesses_too(client_for, case_a, people, statement):
    again = archived_item(case_a, people[Role.INVESTIGATOR], STATEMENT, name="copy.mp4")
    assert (again.confidentiality, again.sha256) == (Confidentiality.RESTRICTED, statement.sha256)

    assert download(client_for(people[Role.LEGAL]), again).status_code == 403
    assert download(client_for(people[Role.LEAD]), again).status_code == 200
    assert [target for _, _, target in reveals()] == ["W-0001", "W-0002"]


def test_a_package_without_identities_leaves_out_a_second_upload_of_identifying_bytes(case_a, people, statement):
    again = archived_item(case_a, people[Role.INVESTIGATOR], STATEMENT, name="copy.mp4")
    export = export_request(actor=people[Role.LEGAL], case=case_a, evidence=[again])

    exports.build_export(export.pk, agent=common.worker_agent("test"))

    export.refresh_from_db()
    assert export.status == "ready" and export.item_count == 0


def test_the_service_refuses_to_record_a_download_by_someone_who_may_not_reveal(people, statement):
    with pytest.raises(NotAllowed, match="identifies a witness"):
        evidence_record_access(actor=people[Role.LEGAL], item=statement, byte_range=None)

    assert not statement.custody.filter(event_type="accessed").exists()


def test_a_required_second_factor_guards_the_download_as_it_guards_a_reveal(settings, client_for, people, statement):
    settings.SLID_REQUIRE_TOTP = True
    lead = people[Role.LEAD]

    without = download(client_for(lead), statement)
    enrol(lead)
    with_code = APIClient()
    with_code.credentials(HTTP_AUTHORIZATION=f"Token {token_for(lead, second_factor=True)}")

    assert without.status_code == 403 and "POST /api/v1/auth/totp/" in without.json()["detail"]
    assert download(with_code, statement).status_code == 200
    assert len(reveals()) == 2


def test_other_evidence_is_downloaded_as_before_with_no_reveal(client_for, case_a, people):
    photo = archived_item(case_a, people[Role.INVESTIGATOR], b"ruins", name="ruins.jpg")

    assert download(client_for(people[Role.LEGAL]), photo).status_code == 200
    assert reveals() == []
    assert EvidenceItem.objects.get(pk=photo.pk).custody.filter(event_type="accessed").count() == 1


def test_an_investigator_cannot_unmark_a_statement_to_download_it(client_for, people, statement):
    """The attack: an investigator, refused the statement, corrects its confidentiality to public and asks again."""
    investigator = client_for(people[Role.INVESTIGATOR])
    assert download(investigator, statement).status_code == 403

    for confidentiality in ("public", "restricted", "confidential"):
        answer = investigator.patch(
            f"/api/v1/evidence/{statement.pk}/",
            {"confidentiality": confidentiality, "reason": "mistake"},
            format="json",
        )
        assert answer.status_code == 403, answer.content
        assert answer.json()["confidentiality"][0].endswith("makes it less confidential.")

    statement.refresh_from_db()
    assert statement.confidentiality == "identifies_witness"
    assert download(investigator, statement).status_code == 403


def test_a_lead_makes_an_item_less_confidential_only_with_a_reason(client_for, people, statement):
    lead = client_for(people[Role.LEAD])
    path = f"/api/v1/evidence/{statement.pk}/"

    refused = lead.patch(path, {"confidentiality": "confidential"}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()

    answer = lead.patch(path, {"confidentiality": "confidential", "reason": "The face is not visible"}, format="json")
    assert answer.status_code == 200 and answer.json()["confidentiality"] == "confidential"
    # More confidential again: anyone who writes the record may do that, without a reason.
    raised = client_for(people[Role.INVESTIGATOR]).patch(path, {"confidentiality": "identifies_witness"}, format="json")
    assert raised.status_code == 200 and raised.json()["confidentiality"] == "identifies_witness"
