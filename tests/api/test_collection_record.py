"""Issue 16 §2: custody before Slid. The collection record given at upload becomes the chain's first entries
(declared, before "received"); declared later it is appended, by the uploader or a lead only; bad parts are
refused by name; the package's custody JSONL carries the entries and its verify.py holds."""

import json

import pytest

from evidence.models import AuditEntry, CustodyEntry, EvidenceItem, Role
from evidence.selectors.custody import custody_first_broken_link
from evidence.services.packages import export_request
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, package_of, run_verify

pytestmark = pytest.mark.django_db

RECORD = {
    "collected_by": "Investigator O. Petrenko, National Police of Ukraine",
    "collected_from": "W-0003",
    "collected_at": "2022-04-02T10:15:00+03:00",
    "location": {"type": "Point", "coordinates": [30.2208, 50.5445]},
    "place_name": "Yablunska St. 17, Bucha",
    "device": "Samsung Galaxy A52 (the witness's phone)",
    "method": "logical extraction",
    "tool": "Cellebrite UFED",
    "tool_version": "7.52",
    "handovers": [
        {"from": "O. Petrenko", "to": "Kyiv Oblast Prosecutor's evidence room", "at": "2022-04-02T18:00+03:00",
         "seals": ["KV-000123"], "note": "bag intact"},
        {"from": "Kyiv Oblast Prosecutor's evidence room", "to": "Slid intake desk", "at": "2022-04-05"},
    ],
}  # fmt: skip


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR, username="petrenko")


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


def test_the_collection_record_given_at_upload_is_the_chain_first_entries_declared(
    upload, investigator, case_a, client_for
):
    answer = upload(investigator, case_a, b"extraction report", name="report.pdf", collection=json.dumps(RECORD))
    assert answer.status_code == 201, answer.content
    item = EvidenceItem.objects.get(pk=answer.json()["id"])

    chain = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/custody/").json()

    assert [entry["event_type"] for entry in chain[:4]] == ["collected", "handed_over", "handed_over", "received"]
    assert [entry["premis_event_type"] for entry in chain[:3]] == ["capture", "transfer", "transfer"]
    collected, first, second = (entry["details"] for entry in chain[:3])
    for details in (collected, first, second):
        assert details["declared"] is True
        assert details["declared_by"] == "user:petrenko"
        assert details["declared_after_intake"] is False
    assert collected["collected_at"] == "2022-04-02T10:15:00+03:00"
    assert collected["location"] == {"type": "Point", "coordinates": [30.2208, 50.5445]}
    assert (collected["tool"], collected["tool_version"]) == ("Cellebrite UFED", "7.52")
    assert (first["handover"], first["seals"], first["at"]) == (1, ["KV-000123"], "2022-04-02T18:00:00+03:00")
    # A bare date is read in the case's time zone (Kyiv, summer time), and says so.
    assert (second["at"], second["at_time_zone"]) == ("2022-04-05T00:00:00+03:00", "Europe/Kyiv")
    assert "declared by user:petrenko, not observed by Slid" in chain[0]["detail"]
    assert custody_first_broken_link(item=item) is None


def test_the_api_item_shows_the_record_and_where_it_is_in_the_chain(upload, investigator, case_a, client_for):
    answer = upload(investigator, case_a, b"bytes", collection=json.dumps(RECORD))

    shown = client_for(investigator).get(f"/api/v1/evidence/{answer.json()['id']}/").json()["collection"]

    assert shown["collected_by"] == "Investigator O. Petrenko, National Police of Ukraine"
    assert shown["collected_at_time_zone"] == ""
    assert [handover["to"] for handover in shown["handovers"]] == [
        "Kyiv Oblast Prosecutor's evidence room", "Slid intake desk",
    ]  # fmt: skip
    assert shown["custody_sequences"] == [1, 2, 3]
    assert (shown["declared_by"], shown["declared_after_intake"]) == ("user:petrenko", False)


def test_an_upload_without_a_record_starts_its_chain_with_received(upload, investigator, case_a):
    answer = upload(investigator, case_a, b"bytes")

    assert answer.json()["collection"] is None
    assert CustodyEntry.objects.get(evidence_id=answer.json()["id"], sequence=1).event_type == "received"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"collected_by": ""}, "collected_by: "),
        ({"collected_at": "2999-01-01"}, "collected_at: is after the item was received"),
        ({"location": {"type": "Polygon", "coordinates": [[[30, 50], [31, 50], [31, 51], [30, 50]]]}},
         "location: A GeoJSON Point is expected"),
        ({"location": {"type": "Point", "coordinates": [230.0, 50.0]}}, "location: "),
        ({"handovers": [{"from": "A", "to": "B", "at": "2022-04-01T10:00+03:00"}]},
         "handovers[1].at: is before the collection"),
        ({"handovers": [{"from": "A", "to": "B", "at": "2022-04-03"}, {"from": "B", "to": "C", "at": "2022-04-02"}]},
         "handovers[2].at: is before the hand-over before it"),
        ({"handovers": [{"from": "A", "at": "2022-04-03"}]}, "handovers[1].to: "),
        ({"handovers": [{"from": "A", "to": "B", "at": "2022-04-03", "seal": "x"}]}, "handovers[1].seal: Unknown"),
        ({"handovers": [{"from": "A", "to": "B", "at": "2022-04-03", "seals": ["x" * 101]}]},
         "handovers[1].seals[1]: "),
        ({"device_name": "x"}, "device_name: Unknown field."),
    ],
)  # fmt: skip
def test_a_wrong_part_of_the_record_is_refused_by_name_and_nothing_is_written(
    upload, investigator, case_a, change, message
):
    answer = upload(investigator, case_a, b"bytes", collection=json.dumps({**RECORD, **change}))

    assert answer.status_code == 400, answer.content
    (line,) = answer.json()["collection"]
    assert line.startswith(message), line
    assert not EvidenceItem.objects.exists()


def test_a_record_that_is_not_json_is_refused(upload, investigator, case_a):
    answer = upload(investigator, case_a, b"bytes", collection="{not json")

    assert answer.json() == {"collection": ["Not valid JSON."]}


def test_a_record_declared_after_intake_is_appended_marked_so_and_audited(investigator, case_a, client_for):
    item = archived_item(case_a, investigator, b"a video of the street", name="street.mp4")
    last = item.custody.order_by("-sequence").first().sequence

    answer = client_for(investigator).post(
        f"/api/v1/evidence/{item.pk}/collection/", {"collection": RECORD}, format="json"
    )

    assert answer.status_code == 200, answer.content
    entries = list(item.custody.filter(sequence__gt=last).order_by("sequence"))
    assert [entry.event_type for entry in entries] == ["collected", "handed_over", "handed_over"]
    assert all(entry.details["declared_after_intake"] is True for entry in entries)
    assert answer.json()["collection"]["custody_sequences"] == [last + 1, last + 2, last + 3]
    assert custody_first_broken_link(item=item) is None
    assert AuditEntry.objects.filter(action="evidence.collection", target=item.ern).count() == 1


def test_a_declared_record_is_corrected_only_with_a_reason(investigator, case_a, client_for):
    item = archived_item(case_a, investigator, b"bytes", collection=None)
    client = client_for(investigator)
    url = f"/api/v1/evidence/{item.pk}/collection/"
    assert client.post(url, {"collection": RECORD}, format="json").status_code == 200

    without = client.post(url, {"collection": {**RECORD, "tool_version": "7.53"}}, format="json")
    with_reason = client.post(
        url, {"collection": {**RECORD, "tool_version": "7.53"}, "reason": "The report says 7.53"}, format="json"
    )

    assert without.status_code == 400 and list(without.json()) == ["reason"]
    assert with_reason.status_code == 200
    assert with_reason.json()["collection"]["tool_version"] == "7.53"
    assert item.custody.filter(event_type="collected").count() == 2  # both declarations stay in the chain


def test_only_the_uploader_or_a_lead_declares_it_later(investigator, lead, case_a, member_of, client_for):
    item = archived_item(case_a, investigator, b"bytes")
    url = f"/api/v1/evidence/{item.pk}/collection/"

    colleague = client_for(member_of(case_a, Role.INVESTIGATOR)).post(url, {"collection": RECORD}, format="json")
    analyst = client_for(member_of(case_a, Role.ANALYST)).post(url, {"collection": RECORD}, format="json")
    by_lead = client_for(lead).post(url, {"collection": RECORD}, format="json")

    assert (colleague.status_code, analyst.status_code, by_lead.status_code) == (403, 403, 200)
    assert by_lead.json()["collection"]["declared_by"] == "user:prosecutor"


def test_a_member_of_another_case_gets_404(investigator, case_a, case_b, member_of, client_for):
    item = archived_item(case_a, investigator, b"bytes")

    answer = client_for(member_of(case_b, Role.LEAD)).post(
        f"/api/v1/evidence/{item.pk}/collection/", {"collection": RECORD}, format="json"
    )

    assert answer.status_code == 404
    assert not item.custody.filter(event_type="collected").exists()


def test_the_package_carries_the_declared_entries_first_and_its_verify_py_holds(lead, case_a, tmp_path):
    item = archived_item(case_a, lead, b"photo bytes " * 100, name="IMG_0042.jpg", collection=_given(RECORD))
    export = build(export_request(actor=lead, case=case_a, evidence=[item]))
    zip_path, bag = package_of(export, tmp_path)

    lines = (bag / "data" / "custody" / f"{item.ern}.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]

    assert [entry["event_type"] for entry in entries[:4]] == ["collected", "handed_over", "handed_over", "received"]
    assert entries[0]["details"]["collected_from"] == "W-0003"
    assert entries[1]["details"]["seals"] == ["KV-000123"]
    verdict = run_verify(zip_path)
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr


def _given(record: dict) -> dict:
    """The record as the API hands it to the service: moments read, the location a geometry."""
    from django.contrib.gis.geos import Point

    from evidence.dates import parse_moment

    return {
        **record,
        "collected_at": parse_moment(record["collected_at"]),
        "location": Point(*record["location"]["coordinates"], srid=4326),
        "handovers": [{**handover, "at": parse_moment(handover["at"])} for handover in record["handovers"]],
    }
