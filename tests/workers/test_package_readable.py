"""A package a registry and a judge can read (issue #16 §3): the register opens in Excel with Cyrillic (CSV with
a byte order mark, and a workbook beside it), its incidents are those of incidents.geojson by one identifier,
suspects.json carries whole chains of command, bag-info.txt names who asked and whom to write to, and the zip's
members carry the time the package was built."""

import csv
import hashlib
import io
import json
import struct
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from evidence.models import Role
from evidence.services.packages import export_request
from evidence.services.record import allegation_create, incident_update, person_create, unit_create
from evidence.services.witnesses import protected_person_create
from tests.factories import UserFactory, make_incident
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, package_bytes, package_of

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor", first_name="Олена", last_name="Коваленко")


def workbook_rows(path) -> list[list[str]]:
    sheet = load_workbook(path, read_only=True)["Register"]
    return [["" if cell.value is None else cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_register_opens_with_cyrillic_as_csv_with_a_byte_order_mark_and_as_a_workbook(lead, case_a, tmp_path):
    item = archived_item(
        case_a, lead, b"photo", name="фото.jpg", title="Розстріл на вулиці Яблунській", source="=1+1 Буча"
    )
    export = build(export_request(actor=lead, case=case_a, evidence=[item], profile="e-court"))
    _, bag = package_of(export, tmp_path)

    raw = (bag / "data" / "register.csv").read_bytes()
    assert raw.startswith(BOM) and not raw[3:].startswith(BOM)
    csv_rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    xlsx_rows = workbook_rows(bag / "data" / "register.xlsx")

    header = [
        "Document ID", "Title", "Date (Europe/Kyiv)", "Date precision", "Type", "Author", "Recipient", "Source",
        "Confidentiality level", "Pages", "Duration (seconds)", "Language", "Related documents",
        "Date of capture (Europe/Kyiv)", "Date collected (Europe/Kyiv)", "File name", "Hash (SHA-256)",
        "Exculpatory (art. 67(2))",
    ]  # fmt: skip
    assert csv_rows[0] == xlsx_rows[0] == header
    csv_row, xlsx_row = dict(zip(header, csv_rows[1], strict=True)), dict(zip(header, xlsx_rows[1], strict=True))
    assert csv_row["Title"] == xlsx_row["Title"] == "Розстріл на вулиці Яблунській"
    # The CSV guards a would-be formula with a quote; the workbook holds the exact value in a text cell.
    assert (csv_row["Source"], xlsx_row["Source"]) == ("'=1+1 Буча", "=1+1 Буча")
    assert xlsx_row["File name"] == csv_row["File name"] == f"data/evidence/{item.ern}/фото.jpg"
    assert xlsx_row["Hash (SHA-256)"] == hashlib.sha256(b"photo").hexdigest()
    cells = load_workbook(bag / "data" / "register.xlsx")["Register"]
    assert {cell.data_type for row in cells.iter_rows() for cell in row if cell.value} == {"s"}
    assert [row for row in csv_rows[1:]] == [[*xlsx_rows[1][:7], "'=1+1 Буча", *xlsx_rows[1][8:]]]


def test_incidents_share_one_identifier_with_the_register_and_list_their_erns_and_pseudonyms(lead, case_a, tmp_path):
    incident = make_incident(case_a, title="Killings on Yablunska Street")
    other = make_incident(case_a, title="Shelling of the hospital")
    witness = protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "Olena K."})
    victim = protected_person_create(actor=lead, case=case_a, kind="victim", identity={"full_name": "Petro S."})
    incident_update(actor=lead, incident=incident, protected_persons=[victim, witness])
    photo = archived_item(case_a, lead, b"photo", name="IMG_0042.jpg", incidents=[incident, other])
    video = archived_item(case_a, lead, b"video", name="MVI_0001.mp4", incidents=[incident])
    left_out = archived_item(case_a, lead, b"not chosen", incidents=[incident])
    export = build(export_request(actor=lead, case=case_a, evidence=[photo, video]))
    _, bag = package_of(export, tmp_path)

    rows = {
        row["ERN"]: row for row in csv.DictReader(io.StringIO((bag / "data" / "register.csv").read_text("utf-8-sig")))
    }
    features = {f["id"]: f for f in json.loads((bag / "data" / "incidents.geojson").read_text())["features"]}

    assert set(rows[photo.ern]["Linked incidents"].split("; ")) == {
        f"{incident.public_id}: Killings on Yablunska Street",
        f"{other.public_id}: Shelling of the hospital",
    }
    assert rows[video.ern]["Linked incidents"] == f"{incident.public_id}: Killings on Yablunska Street"
    assert set(features) == {str(incident.public_id), str(other.public_id)}
    killings = features[str(incident.public_id)]["properties"]
    assert killings["evidence"] == sorted([photo.ern, video.ern]) and left_out.ern not in killings["evidence"]
    assert features[str(other.public_id)]["properties"]["evidence"] == [photo.ern]
    assert killings["protected_persons"] == sorted(
        [{"pseudonym": witness.pseudonym, "kind": "witness"}, {"pseudonym": victim.pseudonym, "kind": "victim"}],
        key=lambda person: person["pseudonym"],
    )
    assert "Olena" not in (bag / "data" / "incidents.geojson").read_text()


def test_suspects_carry_every_unit_up_the_chain_of_command(lead, case_a, tmp_path):
    district = unit_create(actor=lead, case=case_a, name="Eastern Military District")
    army = unit_create(actor=lead, case=case_a, name="35th Combined Arms Army", parent=district)
    brigade = unit_create(actor=lead, case=case_a, name="64th Motor Rifle Brigade", parent=army)
    battalion = unit_create(actor=lead, case=case_a, name="1st Battalion", parent=brigade)
    unit_create(actor=lead, case=case_a, name="2nd Battalion", parent=brigade)  # below, not above: left out
    incident = make_incident(case_a, title="Killings on Yablunska Street")
    person = person_create(actor=lead, case=case_a, full_name="Ivan Petrov", unit=battalion)
    allegation_create(actor=lead, case=case_a, incident=incident, person=person, role="direct_perpetrator")
    photo = archived_item(case_a, lead, b"photo", incidents=[incident])
    export = build(export_request(actor=lead, case=case_a, evidence=[photo]))
    _, bag = package_of(export, tmp_path)

    units = {unit["name"]: unit for unit in json.loads((bag / "data" / "suspects.json").read_text())["units"]}

    assert set(units) == {
        "1st Battalion", "64th Motor Rifle Brigade", "35th Combined Arms Army", "Eastern Military District",
    }  # fmt: skip
    assert units["1st Battalion"]["parent"] == str(brigade.public_id)
    assert units["64th Motor Rifle Brigade"]["parent"] == str(army.public_id)
    assert units["35th Combined Arms Army"]["parent"] == str(district.public_id)
    assert units["Eastern Military District"]["parent"] is None


def test_bag_info_names_who_asked_and_whom_to_write_to(lead, case_a, tmp_path, settings):
    settings.SLID_CONTACT_NAME = "Registry liaison, Slid team"
    settings.SLID_CONTACT_EMAIL = "registry@slid.example"
    item = archived_item(case_a, lead, b"photo")
    export = build(export_request(actor=lead, case=case_a, evidence=[item]))
    _, bag = package_of(export, tmp_path)

    info = dict(line.split(": ", 1) for line in (bag / "bag-info.txt").read_text().splitlines())
    assert info["Contact-Name"] == "Registry liaison, Slid team"
    assert info["Contact-Email"] == "registry@slid.example"
    assert info["Slid-Requested-By"] == "Олена Коваленко (prosecutor)"
    assert "requested by Олена Коваленко (prosecutor); register profile 'default'," in info["External-Description"]


def test_bag_info_leaves_out_a_contact_not_configured_and_names_a_user_without_a_name_by_username(
    case_a, tmp_path, settings
):
    settings.SLID_CONTACT_NAME = settings.SLID_CONTACT_EMAIL = ""
    clerk = UserFactory(username="clerk")
    case_a.memberships.create(user=clerk, role=Role.LEGAL)
    export = build(export_request(actor=clerk, case=case_a, evidence=[archived_item(case_a, clerk, b"photo")]))
    _, bag = package_of(export, tmp_path)

    labels = [line.split(":", 1)[0] for line in (bag / "bag-info.txt").read_text().splitlines()]
    assert "Contact-Name" not in labels and "Contact-Email" not in labels
    assert "Slid-Requested-By: clerk" in (bag / "bag-info.txt").read_text().splitlines()


def test_zip_members_carry_the_build_time_in_utc_and_the_served_bytes_keep_the_recorded_sha256(lead, case_a):
    item = archived_item(case_a, lead, b"photo", name="IMG_0042.jpg")
    before = datetime.now(UTC).replace(microsecond=0)
    export = build(export_request(actor=lead, case=case_a, evidence=[item]))
    after = datetime.now(UTC)
    served = package_bytes(export)

    assert hashlib.sha256(served).hexdigest() == export.sha256
    assert hashlib.sha256(package_bytes(export)).hexdigest() == export.sha256  # read again: the same bytes
    with zipfile.ZipFile(io.BytesIO(served)) as archive:
        members = archive.infolist()
    stamps = set()
    for member in members:
        # The extended timestamp (0x5455): flags 1 (modification time), then Unix seconds, UTC.
        at = member.extra.find(struct.pack("<HHB", 0x5455, 5, 1))
        assert at >= 0, member.filename
        (seconds,) = struct.unpack("<l", member.extra[at + 5 : at + 9])
        stamps.add((member.date_time, seconds))
    assert len(stamps) == 1  # every member, evidence files too: the one build time
    ((date_time, seconds),) = stamps
    built = datetime.fromtimestamp(seconds, UTC)
    assert before <= built <= after
    # A zip's own time has two-second steps and no zone: the build time's, in UTC.
    assert date_time == (*built.timetuple()[:5], built.second - built.second % 2) and date_time[0] > 1980
