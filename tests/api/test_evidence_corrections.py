"""Issue 16: dates kept as given, impossible dates refused, a file's own date compared, corrections with
history (evidence, persons, units, allegations), un-linking with a reason, dated assignments in packages,
full-text search and unknown query parameters — through the API, on the real database and file stores."""

import json
import shutil
import subprocess
from datetime import UTC, datetime

import pytest

from evidence.models import CustodyEntry, EvidenceItem, Role
from evidence.package.contents import _suspects_json
from evidence.services.record import allegation_create, person_create, unit_create
from tests.factories import make_incident
from tests.media import photo_bytes
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db

EXIFTOOL = shutil.which("exiftool")


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


@pytest.fixture
def item(case_a, investigator):
    return archived_item(case_a, investigator, b"a statement about the shelling", name="statement.txt")


def test_an_offset_survives_a_round_trip(upload, investigator, case_a, client_for):
    answer = upload(investigator, case_a, b"photo bytes", captured_at="2022-03-04T10:15:30+05:30")
    assert answer.status_code == 201, answer.content

    shown = client_for(investigator).get(f"/api/v1/evidence/{answer.json()['id']}/").json()

    assert shown["captured_at"] == "2022-03-04T10:15:30+05:30"
    assert shown["captured_at_time_zone"] == ""
    assert EvidenceItem.objects.get(pk=shown["id"]).captured_at == datetime(2022, 3, 4, 4, 45, 30, tzinfo=UTC)


def test_a_time_without_an_offset_is_read_in_the_case_time_zone_and_says_so(upload, investigator, case_a):
    answer = upload(investigator, case_a, b"photo bytes", captured_at="2022-07-01T10:00", acquired_at="2022-07-02")

    body = answer.json()
    assert body["captured_at"] == "2022-07-01T10:00:00+03:00"  # Kyiv in summer
    assert body["captured_at_time_zone"] == "Europe/Kyiv"
    assert body["acquired_at"] == "2022-07-02T00:00:00+03:00"
    assert body["acquired_at_time_zone"] == "Europe/Kyiv"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"captured_at": "2999-01-01"}, "captured_at"),
        ({"acquired_at": "2999-01-01T00:00Z"}, "acquired_at"),
        ({"captured_at": "2022-03-05T10:00+02:00", "acquired_at": "2022-03-04"}, "acquired_at"),
    ],
)
def test_an_impossible_date_is_refused_naming_the_field(upload, investigator, case_a, fields, field):
    answer = upload(investigator, case_a, b"photo bytes", **fields)

    assert answer.status_code == 400
    assert list(answer.json()) == [field]
    assert not EvidenceItem.objects.exists()


def test_acquired_the_same_day_as_captured_is_not_before_it(upload, investigator, case_a):
    answer = upload(investigator, case_a, b"bytes", captured_at="2022-03-04T10:00+02:00", acquired_at="2022-03-04")

    assert answer.status_code == 201, answer.content


def test_a_patch_leaves_a_revision_a_custody_entry_and_never_touches_hashes(item, investigator, client_for):
    before = EvidenceItem.objects.values("sha256", "md5", "size_bytes", "digests", "archive_key", "ern").get(pk=item.pk)
    client = client_for(investigator)

    answer = client.patch(
        f"/api/v1/evidence/{item.pk}/",
        {"title": "Statement of W-001", "captured_at": "2022-03-04T09:00+02:00", "reason": "typo at intake"},
    )

    assert answer.status_code == 200, answer.content
    assert answer.json()["title"] == "Statement of W-001"
    assert answer.json()["captured_at"] == "2022-03-04T09:00:00+02:00"
    assert answer.json()["captured_at_source"] == "submitter"
    after = EvidenceItem.objects.values("sha256", "md5", "size_bytes", "digests", "archive_key", "ern").get(pk=item.pk)
    assert after == before
    revisions = client.get(f"/api/v1/evidence/{item.pk}/revisions/").json()
    last = revisions[-1]
    assert last["event"] == "changed"
    assert last["user"] == investigator.username
    assert last["changes"]["title"] == {"from": "", "to": "Statement of W-001"}
    assert last["changes"]["captured_at_offset"] == {"from": None, "to": 120}
    entry = CustodyEntry.objects.filter(evidence=item).order_by("-sequence").first()
    assert entry.event_type == "corrected"
    assert entry.details["reason"] == "typo at intake"
    assert entry.details["changes"]["title"] == {"from": "", "to": "Statement of W-001"}


@pytest.mark.parametrize("field", ["sha256", "status", "ern", "archive_key", "md5", "original_filename"])
def test_a_patch_naming_what_slid_observed_is_refused(item, investigator, client_for, field):
    answer = client_for(investigator).patch(f"/api/v1/evidence/{item.pk}/", {field: "x", "title": "t"})

    assert answer.status_code == 400
    assert list(answer.json()) == [field]
    assert EvidenceItem.objects.get(pk=item.pk).title == ""


def test_a_patch_to_a_future_capture_time_is_refused(item, investigator, client_for):
    answer = client_for(investigator).patch(f"/api/v1/evidence/{item.pk}/", {"captured_at": "2999-01-01"})

    assert answer.status_code == 400
    assert "captured_at" in answer.json()


def test_an_analyst_cannot_correct(item, case_a, member_of, client_for):
    answer = client_for(member_of(case_a, Role.ANALYST)).patch(f"/api/v1/evidence/{item.pk}/", {"title": "t"})

    assert answer.status_code == 403


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
def test_a_date_far_from_the_files_own_is_flagged(case_a, investigator, client_for, tmp_path):
    def tagged(seed: int) -> bytes:
        path = tmp_path / f"photo-{seed}.jpg"
        path.write_bytes(photo_bytes(seed=seed, size=(64, 48)))
        tags = ["-DateTimeOriginal=2022:03:04 10:15:30", "-OffsetTimeOriginal=+02:00"]
        subprocess.run([EXIFTOOL, "-q", "-overwrite_original", *tags, str(path)], check=True, capture_output=True)
        return path.read_bytes()

    given = datetime(2022, 3, 6, 8, 15, 30, tzinfo=UTC)  # two days after the camera's 08:15:30 UTC
    far = archived_item(case_a, investigator, tagged(5), name="IMG_1.jpg", captured_at=given)
    near = archived_item(case_a, investigator, tagged(6), name="IMG_2.jpg", captured_at=given.replace(day=4, hour=20))

    shown = client_for(investigator).get(f"/api/v1/evidence/{far.pk}/").json()
    assert shown["file_captured_at"] == "2022-03-04T10:15:30+02:00"
    assert shown["captured_at_differs_from_file"] == {
        "given": "2022-03-06T08:15:30Z", "file": "2022-03-04T10:15:30+02:00", "difference_hours": 48.0,
    }  # fmt: skip
    assert client_for(investigator).get(f"/api/v1/evidence/{near.pk}/").json()["captured_at_differs_from_file"] is None


def test_unlinking_needs_a_reason_and_is_in_custody(case_a, investigator, client_for):
    incident = make_incident(case_a)
    linked = archived_item(case_a, investigator, b"linked", name="a.txt", incidents=[incident])
    client = client_for(investigator)

    refused = client.post(f"/api/v1/evidence/{linked.pk}/unlink/", {"incident": incident.pk, "reason": ""})
    answer = client.post(f"/api/v1/evidence/{linked.pk}/unlink/", {"incident": incident.pk, "reason": "wrong day"})
    again = client.post(f"/api/v1/evidence/{linked.pk}/unlink/", {"incident": incident.pk, "reason": "again"})

    assert refused.status_code == 400 and "reason" in refused.json()
    assert answer.status_code == 200, answer.content
    assert answer.json()["incidents"] == []
    assert again.status_code == 400 and "incident" in again.json()
    events = list(CustodyEntry.objects.filter(evidence=linked).values_list("event_type", flat=True))
    assert events.count("linked") == 1 and events[-1] == "unlinked"
    assert CustodyEntry.objects.get(evidence=linked, event_type="unlinked").details["reason"] == "wrong day"


def test_another_cases_member_gets_404_on_every_new_route(item, case_a, case_b, member_of, client_for):
    incident = make_incident(case_a)
    lead = member_of(case_a, Role.LEAD)
    person = person_create(actor=lead, case=case_a, full_name="Ivan Petrov")
    unit = unit_create(actor=lead, case=case_a, name="64th brigade")
    allegation = allegation_create(actor=lead, case=case_a, incident=incident, person=person, role="present")
    outsider = client_for(member_of(case_b, Role.LEAD))
    assignment = client_for(lead).post(
        f"/api/v1/persons/{person.pk}/assignments/", {"rank": "Major", "valid_from": "2022-01-01"}
    )
    assert assignment.status_code == 201, assignment.content
    assignment_id = assignment.json()["id"]

    calls = [
        ("patch", f"/api/v1/evidence/{item.pk}/", {"title": "t"}),
        ("get", f"/api/v1/evidence/{item.pk}/revisions/", None),
        ("post", f"/api/v1/evidence/{item.pk}/unlink/", {"incident": incident.pk, "reason": "r"}),
        ("get", f"/api/v1/persons/{person.pk}/revisions/", None),
        ("get", f"/api/v1/units/{unit.pk}/revisions/", None),
        ("get", f"/api/v1/allegations/{allegation.pk}/revisions/", None),
        ("get", f"/api/v1/persons/{person.pk}/assignments/", None),
        ("post", f"/api/v1/persons/{person.pk}/assignments/", {"rank": "Colonel", "valid_from": "2023-01-01"}),
        ("patch", f"/api/v1/persons/{person.pk}/assignments/{assignment_id}/", {"rank": "Colonel"}),
        ("get", f"/api/v1/persons/{person.pk}/assignments/{assignment_id}/revisions/", None),
    ]
    for method, url, body in calls:
        assert getattr(outsider, method)(url, body).status_code == 404, (method, url)


def test_persons_units_and_allegations_keep_revisions(case_a, member_of, client_for):
    lead = member_of(case_a, Role.LEAD)
    client = client_for(lead)
    person = client.post("/api/v1/persons/", {"case": case_a.pk, "full_name": "Ivan Petrov", "rank": "Major"}).json()

    client.patch(f"/api/v1/persons/{person['id']}/", {"rank": "Colonel"})

    revisions = client.get(f"/api/v1/persons/{person['id']}/revisions/").json()
    assert [revision["event"] for revision in revisions] == ["created", "changed"]
    assert revisions[1]["changes"] == {"rank": {"from": "Major", "to": "Colonel"}}
    assert revisions[1]["user"] == lead.username


def test_a_person_born_after_the_events_is_refused(case_a, member_of, client_for):
    lead = member_of(case_a, Role.LEAD)
    client = client_for(lead)
    incident = make_incident(case_a)  # 2022-03-05
    person = person_create(actor=lead, case=case_a, full_name="Ivan Petrov")
    allegation_create(actor=lead, case=case_a, incident=incident, person=person, role="present")

    answer = client.patch(f"/api/v1/persons/{person.pk}/", {"date_of_birth": "2022-03-06"})
    allowed = client.patch(f"/api/v1/persons/{person.pk}/", {"date_of_birth": "2000-03-06"})

    assert answer.status_code == 400 and list(answer.json()) == ["date_of_birth"]
    assert allowed.status_code == 200


def test_packages_state_the_rank_and_unit_that_held_on_the_incidents_day(case_a, member_of, client_for):
    lead = member_of(case_a, Role.LEAD)
    client = client_for(lead)
    march = make_incident(case_a, occurred_from=datetime(2022, 3, 5, 8, tzinfo=UTC))
    later = make_incident(case_a, occurred_from=datetime(2024, 6, 1, 8, tzinfo=UTC))
    battalion = unit_create(actor=lead, case=case_a, name="1st battalion")
    person = person_create(actor=lead, case=case_a, full_name="Ivan Petrov", rank="Colonel")
    for incident in (march, later):
        allegation_create(actor=lead, case=case_a, incident=incident, person=person, role="commander")
    for body in (
        {"rank": "Lieutenant colonel", "unit": battalion.pk, "valid_from": "2021-09-01", "valid_to": "2023-05-31"},
        {"rank": "Colonel", "valid_from": "2023-06-01"},
    ):
        assert client.post(f"/api/v1/persons/{person.pk}/assignments/", body).status_code == 201
    refused = client.post(
        f"/api/v1/persons/{person.pk}/assignments/", {"valid_from": "2023-01-01", "valid_to": "2022-01-01"}
    )
    assert refused.status_code == 400 and "valid_to" in refused.json()

    document = json.loads(_suspects_json([march, later]))

    (suspect,) = document["persons"]
    assert suspect["rank"] == "Colonel"
    held = {row["date"]: (row["rank"], row["unit"]) for row in suspect["at_the_time"]}
    assert held == {"2022-03-05": ("Lieutenant colonel", str(battalion.public_id)), "2024-06-01": ("Colonel", None)}
    assert str(battalion.public_id) in {unit["id"] for unit in document["units"]}


def test_evidence_is_found_by_words_in_any_script(case_a, investigator, client_for):
    shelling = archived_item(
        case_a, investigator, b"one", name="IMG_0042.jpg", title="Обстріл житлового будинку", source="Telegram"
    )
    archived_item(case_a, investigator, b"two", name="other.txt", title="Checkpoint on the Kyiv road")
    client = client_for(investigator)

    def found(q: str) -> list[int]:
        answer = client.get("/api/v1/evidence/", {"q": q})
        assert answer.status_code == 200, answer.content
        return [row["id"] for row in answer.json()["results"]]

    assert found("ОБСТРІЛ будинку") == [shelling.pk]
    assert found("telegram") == [shelling.pk]
    assert found("IMG_0042") == [shelling.pk]
    assert found("обстріл -telegram") == []


def test_evidence_is_found_by_its_extracted_metadata(case_a, investigator, client_for):
    item = archived_item(case_a, investigator, b"plain text", name="note.txt")
    EvidenceItem.objects.filter(pk=item.pk).update(metadata={"exiftool": {"EXIF:Make": "Canon", "EXIF:ISO": 100}})

    answer = client_for(investigator).get("/api/v1/evidence/", {"q": "canon"})

    assert [row["id"] for row in answer.json()["results"]] == [item.pk]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/evidence/", "/api/v1/incidents/", "/api/v1/persons/", "/api/v1/units/", "/api/v1/allegations/",
        "/api/v1/cases/", "/api/v1/crimes/", "/api/v1/exports/", "/api/v1/export-profiles/", "/api/v1/witnesses/",
        "/api/v1/admin-areas/", "/api/v1/auth/tokens/", "/api/v1/checkpoints/",
    ],
)  # fmt: skip
def test_an_unknown_query_parameter_is_refused_naming_it(url, case_a, investigator, client_for):
    answer = client_for(investigator).get(url, {"stauts": "archived"})

    assert answer.status_code == 400, (url, answer.status_code)
    assert list(answer.json()) == ["stauts"]


def test_known_query_parameters_still_work(case_a, investigator, client_for):
    client = client_for(investigator)

    for url, params in [
        ("/api/v1/evidence/", {"status": "archived", "ordering": "-received_at", "page": 1, "q": "x"}),
        ("/api/v1/incidents/", {"bbox": "29,49,32,51", "ordering": "occurred_from", "format": "json"}),
        ("/api/v1/crimes/", {"article": "8", "q": "killing", "page_size": 5}),
    ]:
        assert client.get(url, params).status_code == 200, (url, params)


def test_crimes_are_found_by_words_of_their_titles(case_a, investigator, client_for):
    answer = client_for(investigator).get("/api/v1/crimes/", {"q": "wilful killing"})

    codes = [crime["code"] for crime in answer.json()["results"]]
    assert "8(2)(a)(i)" in codes
    assert all("killing" in crime["title"].lower() for crime in answer.json()["results"])


def test_a_file_date_for_an_item_with_none_is_not_flagged(item, investigator, client_for):
    EvidenceItem.objects.filter(pk=item.pk).update(captured_at=datetime(2022, 3, 4, tzinfo=UTC))

    # A captured_at, but no date in the file: nothing to compare.
    assert client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()["captured_at_differs_from_file"] is None
