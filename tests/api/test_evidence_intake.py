import pytest
from django.core.files.storage import storages

from evidence.models import CustodyEntry, EvidenceItem, Role
from tests.factories import make_incident
from tests.media import photo_bytes

pytestmark = pytest.mark.django_db


def test_an_upload_is_received_numbered_and_written_in_custody(upload, case_a, member_of):
    investigator = member_of(case_a, Role.INVESTIGATOR, username="olena")
    incident = make_incident(case_a)

    response = upload(
        investigator,
        case_a,
        photo_bytes(),
        name="yablunska.jpg",
        incidents=[incident.pk],
        kind="photo",
        source_type="witness",
        captured_at="2022-03-04T10:15:00+02:00",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "received"
    assert body["ern"] == "UA-2022-BUCHA-000001"
    assert body["incidents"] == [incident.pk]
    assert body["captured_at"] == "2022-03-04T10:15:00+02:00"  # as given (issue 16): 08:15 UTC
    item = EvidenceItem.objects.get()
    assert storages["intake"].exists(item.intake_key)
    assert [e.event_type for e in item.custody.all()] == ["received", "linked"]
    assert item.custody.get(sequence=1).agent == "user:olena"


def test_ern_numbers_count_up_per_case(upload, case_a, case_b, member_of):
    user = member_of(case_a, Role.INVESTIGATOR)
    case_b.memberships.create(user=user, role=Role.INVESTIGATOR)

    erns = [upload(user, case, photo_bytes(n)).json()["ern"] for n, case in enumerate([case_a, case_a, case_b])]

    assert erns == ["UA-2022-BUCHA-000001", "UA-2022-BUCHA-000002", "UA-2022-IZIUM-000001"]


def test_an_empty_file_is_refused(upload, case_a, member_of):
    response = upload(member_of(case_a), case_a, b"")

    assert response.status_code == 400
    assert response.json()["file"] == ["The submitted file is empty."]
    assert not EvidenceItem.objects.exists()


def test_a_file_over_the_limit_is_a_413_and_leaves_nothing(upload, case_a, member_of, settings):
    settings.SLID_MAX_UPLOAD_BYTES = 1000

    response = upload(member_of(case_a), case_a, b"x" * 200_000)

    assert response.status_code == 413
    assert "larger than the limit of 1000 bytes" in response.json()["detail"]
    assert not EvidenceItem.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "hologram"}, "kind"),
        ({"sha256": "abc"}, "sha256"),
        ({"captured_at": "last spring"}, "captured_at"),
        ({"source_url": "not a url"}, "source_url"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_fields_are_refused_by_name_and_nothing_is_stored(upload, case_a, member_of, fields, field):
    response = upload(member_of(case_a), case_a, b"bytes", **fields)

    assert response.status_code == 400
    assert field in response.json()
    assert not EvidenceItem.objects.exists()
    assert not CustodyEntry.objects.exists()


def test_an_incident_of_another_case_is_refused(upload, case_a, case_b, member_of):
    user = member_of(case_a, Role.INVESTIGATOR)
    case_b.memberships.create(user=user, role=Role.ANALYST)

    response = upload(user, case_a, b"bytes", incidents=[make_incident(case_b).pk])

    assert response.status_code == 400
    assert "incidents" in response.json()


@pytest.mark.parametrize("role", [Role.ANALYST, Role.LEGAL])
def test_readers_cannot_upload(upload, case_a, member_of, role):
    assert upload(member_of(case_a, role), case_a, b"bytes").status_code == 403
    assert not EvidenceItem.objects.exists()


def test_another_cases_evidence_is_404_everywhere(upload, client_for, case_a, case_b, member_of):
    item_id = upload(member_of(case_b, Role.LEAD), case_b, b"bytes").json()["id"]
    client = client_for(member_of(case_a, Role.LEAD))

    assert client.get("/api/v1/evidence/").json()["count"] == 0
    for path in ("", "custody/", "download/"):
        assert client.get(f"/api/v1/evidence/{item_id}/{path}").status_code == 404
    assert client.post(f"/api/v1/evidence/{item_id}/retry/").status_code == 404
    assert client.post(f"/api/v1/evidence/{item_id}/incidents/", {"incident": 1}, format="json").status_code == 404
    assert upload(member_of(case_a), case_b, b"bytes").status_code == 400  # the case "does not exist"


def test_an_item_not_archived_yet_cannot_be_downloaded(upload, client_for, case_a, member_of):
    user = member_of(case_a, Role.LEAD)
    item_id = upload(user, case_a, b"bytes").json()["id"]

    response = client_for(user).get(f"/api/v1/evidence/{item_id}/download/")

    assert response.status_code == 409
    assert "not archived yet" in response.json()["detail"]


def test_a_file_name_with_a_nul_character_is_refused(case_a, member_of):
    # Django's upload parser already strips non-printable characters; other callers meet the service's rule.
    from django.core.files.base import ContentFile

    from evidence.errors import DomainError
    from evidence.services.intake import evidence_receive

    with pytest.raises(DomainError, match="NUL character") as error:
        evidence_receive(
            actor=member_of(case_a), case=case_a, upload=ContentFile(b"bytes"), original_filename="photo\x00.jpg"
        )

    assert error.value.field == "file"
    assert not EvidenceItem.objects.exists()


def test_the_submitter_may_mark_an_upload_graphic_and_the_item_says_so(upload, case_a, member_of):
    investigator = member_of(case_a, Role.INVESTIGATOR)

    marked = upload(investigator, case_a, b"a distressing photo", graphic="true")
    plain = upload(investigator, case_a, b"a street sign")

    assert (marked.status_code, plain.status_code) == (201, 201)
    assert (marked.json()["graphic"], plain.json()["graphic"]) == (True, False)
