"""Assessments through the API, the review queue, and the analysis chart (JSON, CSV, XLSX, in packages): gaps are
the elements no verified assessment proves, and exculpatory assessments are always in the exports, flagged."""

import csv
import io
import zipfile

import openpyxl
import pytest

from evidence.models import Export, Role
from evidence.services.assessments import assessment_create
from evidence.services.record import allegation_create, incident_update, person_create
from evidence.services.reviews import review_reject, review_submit, review_verify
from tests.factories import make_incident
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, package_of, run_verify

pytestmark = pytest.mark.django_db

KILLING = "8(2)(a)(i)"
# The Elements of Crimes' five elements of wilful killing; 28(a) has six (evidence/data/elements.json).
KILLING_ELEMENTS = [f"crime:{KILLING}:{n}" for n in range(1, 6)]


@pytest.fixture
def people(case_a, member_of):
    return {
        "analyst": member_of(case_a, Role.ANALYST, username="analyst"),
        "legal": member_of(case_a, Role.LEGAL, username="legal"),
        "lead": member_of(case_a, Role.LEAD, username="lead"),
    }


@pytest.fixture
def record(case_a, people):
    lead = people["lead"]
    bucha = make_incident(case_a, actor=lead, title="Killings in Bucha", crimes=[KILLING])
    izium = make_incident(case_a, actor=lead, title="Burial site at Izium", crimes=["8(2)(b)(i)"])
    suspect = person_create(actor=lead, case=case_a, full_name="Azatbek Omurbekov")
    allegation_create(actor=lead, case=case_a, incident=bucha, person=suspect, role="commander")
    item = archived_item(case_a, lead, b"protocol of inspection", name="protocol.pdf", incidents=[bucha])
    return {"bucha": bucha, "izium": izium, "suspect": suspect, "item": item}


def assess(people, record, element: str, *, state: str = "verified", **fields):
    values = {"incident": record["bucha"], "crime": KILLING} if element.startswith("crime:") else {}
    values = {"relevance": f"Goes to {element}", "probative_value": "high", "directness": "direct", **values}
    assessment = assessment_create(
        actor=people["analyst"], case=record["item"].case, evidence=record["item"], element=element,
        **{**values, **fields},
    )  # fmt: skip
    if state != "draft":
        review_submit(actor=people["analyst"], obj=assessment)
    if state == "verified":
        review_verify(actor=people["legal"], obj=assessment)
    if state == "rejected":
        review_reject(actor=people["legal"], obj=assessment, reason="Not what it shows.")
    return assessment


def chart(client, case, **params):
    response = client.get(f"/api/v1/cases/{case.pk}/analysis-chart/", params)
    assert response.status_code == 200, response.content
    return response


def test_an_element_is_a_gap_exactly_when_no_verified_assessment_proves_it(client_for, case_a, people, record):
    assess(people, record, KILLING_ELEMENTS[0])
    pending = assess(people, record, KILLING_ELEMENTS[1], state="under_review")
    assess(people, record, KILLING_ELEMENTS[2], state="draft")
    client = client_for(people["analyst"])

    body = chart(client, case_a, crime=KILLING).json()

    assert [gap["key"] for gap in body["gaps"]] == KILLING_ELEMENTS[1:] + [f"mode:28(a):{n}" for n in range(1, 7)]
    (killing,) = body["crimes"]
    assert [e["gap"] for e in killing["elements"]] == [False, True, True, True, True]
    assert [a["verified"] for a in killing["elements"][1]["assessments"]] == [False]

    review_verify(actor=people["legal"], obj=pending)

    gaps = [gap["key"] for gap in chart(client, case_a, crime=KILLING).json()["gaps"] if gap["section"] == "crime"]
    assert gaps == KILLING_ELEMENTS[2:]


def test_a_suspects_chart_has_their_incidents_crimes_and_modes(client_for, case_a, people, record):
    assess(people, record, "mode:28(a):2", person=record["suspect"], mode="28(a)")

    body = chart(client_for(people["legal"]), case_a, suspect=record["suspect"].pk).json()

    assert [row["code"] for row in body["crimes"]] == [KILLING]  # not Izium's crime: no allegation there
    (mode,) = body["modes"]
    assert (mode["code"], mode["person"]["full_name"], mode["incidents"]) == (
        "28(a)", "Azatbek Omurbekov", [record["bucha"].pk],
    )  # fmt: skip
    assert [e["gap"] for e in mode["elements"]] == [True, False, True, True, True, True]
    assert mode["elements"][1]["assessments"][0]["ern"] == record["item"].ern


def test_exculpatory_assessments_are_in_every_export_even_rejected(client_for, case_a, people, record, tmp_path):
    assess(people, record, KILLING_ELEMENTS[0])
    assess(people, record, KILLING_ELEMENTS[0], state="rejected", bearing="exculpatory", page=4,
           relevance="=HYPERLINK(\"x\") the victim was armed")  # fmt: skip
    assess(people, record, KILLING_ELEMENTS[3], state="rejected")  # an inculpatory one rejected: not shown
    client = client_for(people["legal"])

    rows = list(csv.reader(io.StringIO(chart(client, case_a, crime=KILLING, format="csv").content.decode())))
    header = rows[0]
    flagged = [row for row in rows[1:] if row[header.index("EXCULPATORY")] == "EXCULPATORY"]
    assert len(flagged) == 1
    assert flagged[0][header.index("Pinpoint")] == "p. 4"
    assert flagged[0][header.index("Review state")] == "rejected"
    assert flagged[0][header.index("Relevance")] == '\'=HYPERLINK("x") the victim was armed'  # never a formula
    # Exculpatory first in its element; the rejected inculpatory one is nowhere.
    first_element = [row for row in rows[1:] if row[header.index("Element")] == KILLING_ELEMENTS[0]]
    assert [row[header.index("EXCULPATORY")] for row in first_element] == ["EXCULPATORY", ""]
    assert [row[header.index("Review state")] for row in rows[1:]].count("rejected") == 1

    response = chart(client, case_a, crime=KILLING, format="xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Analysis chart"]
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    column = cells[0].index("EXCULPATORY")
    ern = cells[0].index("ERN")
    assert [row[ern] for row in cells[1:] if row[column] == "EXCULPATORY"] == [record["item"].ern]

    response = client.post(
        "/api/v1/exports/",
        {"case": case_a.pk, "incidents": [record["bucha"].pk], "include_analysis_chart": True},
        format="json",
    )
    assert response.status_code == 202, response.content
    export = build(Export.objects.get(pk=response.json()["id"]))
    zip_path, bag = package_of(export, tmp_path)
    packaged = list(csv.reader(io.StringIO((bag / "data" / "analysis-chart.csv").read_text())))
    assert [row[header.index("EXCULPATORY")] for row in packaged[1:]].count("EXCULPATORY") == 1
    verdict = run_verify(zip_path)
    assert verdict.returncode == 0, verdict.stdout


def test_a_package_without_the_flag_has_no_chart(client_for, case_a, people, record, tmp_path):
    response = client_for(people["lead"]).post(
        "/api/v1/exports/", {"case": case_a.pk, "incidents": [record["bucha"].pk]}, format="json"
    )
    zip_path, _bag = package_of(build(Export.objects.get(pk=response.json()["id"])), tmp_path)
    with zipfile.ZipFile(zip_path) as archive:
        assert not [name for name in archive.namelist() if name.endswith("analysis-chart.csv")]


def test_another_cases_member_gets_404_and_a_foreign_suspect_is_named(client_for, case_a, case_b, member_of, people,
                                                                       record):  # fmt: skip
    assessment = assess(people, record, KILLING_ELEMENTS[0], state="draft")
    outsider = client_for(member_of(case_b, Role.LEAD))
    assert outsider.get(f"/api/v1/cases/{case_a.pk}/analysis-chart/").status_code == 404
    assert outsider.get(f"/api/v1/assessments/{assessment.pk}/").status_code == 404
    assert outsider.post(f"/api/v1/assessments/{assessment.pk}/verify/").status_code == 404
    assert outsider.get("/api/v1/assessments/").json()["results"] == []

    stranger = person_create(actor=None, case=case_b, full_name="Someone else")
    response = client_for(people["legal"]).get(f"/api/v1/cases/{case_a.pk}/analysis-chart/", {"suspect": stranger.pk})
    assert response.status_code == 400 and "suspect" in response.json()
    response = client_for(people["legal"]).get(f"/api/v1/cases/{case_a.pk}/analysis-chart/", {"crime": "nope"})
    assert response.status_code == 400 and "crime" in response.json()


def test_same_case_checks_name_the_field(client_for, case_a, case_b, member_of, people, record):
    analyst = people["analyst"]  # a member of both cases: the incident is found, and refused by the service
    case_b.memberships.create(user=analyst, role=Role.ANALYST)
    elsewhere = make_incident(case_b, crimes=[KILLING])
    response = client_for(analyst).post("/api/v1/assessments/", {
        "evidence": record["item"].pk, "incident": elsewhere.pk, "crime": KILLING, "element": KILLING_ELEMENTS[0],
        "relevance": "r", "probative_value": "high", "directness": "direct",
    }, format="json")  # fmt: skip
    assert response.status_code == 400
    assert "belongs to another case" in response.json()["incident"][0]


def test_four_eyes_through_the_api_and_the_queue_by_reviewer(client_for, case_a, people, record):
    lead = client_for(people["lead"])
    created = lead.post("/api/v1/assessments/", {
        "evidence": record["item"].pk, "incident": record["bucha"].pk, "crime": KILLING,
        "element": KILLING_ELEMENTS[0], "relevance": "The body", "probative_value": "high", "directness": "direct",
        "bearing": "exculpatory",
    }, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["exculpatory"] is True
    pk = created.json()["id"]
    submitted = lead.post(f"/api/v1/assessments/{pk}/submit/", {"reviewer": people["legal"].pk}, format="json")
    assert submitted.json()["state"] == "under_review"

    refused = lead.post(f"/api/v1/assessments/{pk}/verify/")
    assert refused.status_code == 403 and "four-eyes" in refused.json()["detail"]

    legal = client_for(people["legal"])
    queue = legal.get("/api/v1/reviews/", {"case": case_a.reference, "state": "under_review", "reviewer": "me"})
    assert [(row["type"], row["id"], row["exculpatory"]) for row in queue.json()["results"]] == [
        ("assessment", pk, True)
    ]
    assert legal.get("/api/v1/reviews/", {"type": "incident", "reviewer": "me"}).json()["results"] == []
    assert legal.get("/api/v1/reviews/", {"type": "witness"}).status_code == 400
    assert legal.post(f"/api/v1/assessments/{pk}/verify/").json()["state"] == "verified"


def test_the_demo_cases_chart_for_its_suspect_has_one_gap(client_for):
    """The README's worked example: the demo case, its commander, wilful killing in Bucha."""
    from django.contrib.auth import get_user_model

    from evidence.demo import demo_load

    admin = get_user_model().objects.create_user(username="admin-of-the-demo")
    case, _ = demo_load(lead=admin)
    suspect = case.persons.get(full_name="Azatbek Omurbekov")

    body = chart(client_for(admin), case, suspect=suspect.pk, crime=KILLING).json()

    assert [gap["key"] for gap in body["gaps"]] == ["mode:28(a):6"]
    first = body["crimes"][0]["elements"][0]["assessments"]
    assert [(a["exculpatory"], a["review_state"]) for a in first] == [(True, "under_review"), (False, "verified")]
    assert len(body["exculpatory_assessments"]) == 1


def test_hostile_query_parameters_are_refused_by_name(client_for, case_a, people, record):
    # "²" is a digit to str.isdigit but not to int(); a NUL cannot go to PostgreSQL: each was a 500.
    client = client_for(people["lead"])
    chart_url = f"/api/v1/cases/{case_a.pk}/analysis-chart/"
    for url, params, field in [
        ("/api/v1/assessments/", {"case": "²"}, "case"),
        ("/api/v1/assessments/", {"incident": "9" * 19}, "incident"),
        ("/api/v1/assessments/", {"element": "a\x00b"}, "element"),
        ("/api/v1/assessments/", {"crime": "a\x00b"}, "crime"),
        ("/api/v1/assessments/", {"element": "x" * 101}, "element"),
        ("/api/v1/reviews/", {"reviewer": "²"}, "reviewer"),
        (chart_url, {"suspect": "²"}, "suspect"),
        (chart_url, {"incident": "²"}, "incident"),
        (chart_url, {"crime": "a\x00b"}, "crime"),
    ]:
        response = client.get(url, params)
        assert (response.status_code, list(response.json())) == (400, [field]), (url, params, response.content)


def test_a_control_character_pasted_into_an_assessment_is_dropped_from_the_xlsx_only(
    client_for, case_a, people, record
):
    assess(people, record, KILLING_ELEMENTS[0], relevance="pasted from Word\x0bline two")
    client = client_for(people["legal"])

    sheet = openpyxl.load_workbook(io.BytesIO(chart(client, case_a, format="xlsx").content))["Analysis chart"]
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    column = cells[0].index("Relevance")
    assert "pasted from Wordline two" in [row[column] for row in cells[1:]]
    rows = list(csv.reader(io.StringIO(chart(client, case_a, format="csv").content.decode())))
    assert "pasted from Word\x0bline two" in [row[rows[0].index("Relevance")] for row in rows[1:]]


def test_submitting_to_an_account_of_another_case_does_not_reveal_it(client_for, case_a, case_b, member_of, record):
    lead = member_of(case_a, Role.LEAD, username="lead-of-bucha")
    stranger = member_of(case_b, Role.LEAD, username="secret-lead-of-izium")
    client = client_for(lead)
    url = f"/api/v1/incidents/{record['izium'].pk}/submit/"

    to_stranger = client.post(url, {"reviewer": stranger.pk}, format="json")
    to_nobody = client.post(url, {"reviewer": stranger.pk + 1000}, format="json")

    assert to_stranger.status_code == to_nobody.status_code == 400
    assert b"secret-lead-of-izium" not in to_stranger.content
    assert to_stranger.json()["reviewer"] == [
        message.replace(str(stranger.pk + 1000), str(stranger.pk)) for message in to_nobody.json()["reviewer"]
    ]
    record["izium"].refresh_from_db()
    assert record["izium"].status == "draft"


def test_a_patch_of_an_assessments_review_state_is_refused_by_name(client_for, case_a, people, record):
    assessment = assess(people, record, KILLING_ELEMENTS[0], state="draft")

    response = client_for(people["analyst"]).patch(
        f"/api/v1/assessments/{assessment.pk}/", {"review_state": "verified", "relevance": "New"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["review_state"]
    assessment.refresh_from_db()
    assert (assessment.review_state, assessment.relevance) == ("draft", f"Goes to {KILLING_ELEMENTS[0]}")


def test_exculpatory_assessments_under_uncharged_modes_are_listed_not_charged(client_for, case_a, people, record):
    # The suspect is alleged only as a commander (28(a)); these go to modes no allegation charges them with.
    superior = assess(people, record, "mode:28(b):1", person=record["suspect"], mode="28(b)", bearing="exculpatory")
    ordering = assess(people, record, "mode:25(3)(b)-ordering:1", state="under_review", person=record["suspect"],
                      mode="25(3)(b)-ordering", bearing="exculpatory", page=7)  # fmt: skip
    assess(people, record, "mode:28(b):2", person=record["suspect"], mode="28(b)")  # inculpatory: not listed
    client = client_for(people["legal"])

    for params in ({}, {"suspect": record["suspect"].pk}, {"incident": record["bucha"].pk}):
        body = chart(client, case_a, **params).json()
        assert body["exculpatory_assessments"] == [superior.pk, ordering.pk], params
        assert [(a["id"], a["code"], a["element"], a["charged"], a["subject"]) for a in body["exculpatory"]] == [
            (superior.pk, "28(b)", "mode:28(b):1", False, "Azatbek Omurbekov"),
            (ordering.pk, "25(3)(b)-ordering", "mode:25(3)(b)-ordering:1", False, "Azatbek Omurbekov"),
        ]
    # Another incident's chart (no allegation against the suspect there) is not theirs.
    assert chart(client, case_a, incident=record["izium"].pk).json()["exculpatory_assessments"] == []

    rows = list(csv.reader(io.StringIO(chart(client, case_a, format="csv").content.decode())))
    header = rows[0]
    flagged = [row for row in rows[1:] if row[header.index("EXCULPATORY")] == "EXCULPATORY"]
    assert [(row[0], row[1], row[header.index("Pinpoint")], row[header.index("Assessment")]) for row in flagged] == [
        ("mode (not charged)", "28(b)", "", str(superior.pk)),
        ("mode (not charged)", "25(3)(b)-ordering", "p. 7", str(ordering.pk)),
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(chart(client, case_a, format="xlsx").content))["Analysis chart"]
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    column, assessment = cells[0].index("EXCULPATORY"), cells[0].index("Assessment")
    assert [row[assessment] for row in cells[1:] if row[column] == "EXCULPATORY"] == [str(superior.pk),
                                                                                      str(ordering.pk)]  # fmt: skip


def test_an_exculpatory_assessment_stays_when_its_crime_is_taken_off_the_incident(client_for, case_a, people, record):
    bucha = incident_update(actor=people["lead"], incident=record["bucha"], crimes=[KILLING, "8(2)(b)(i)"])
    attack = assess(people, record, "crime:8(2)(b)(i):1", incident=bucha, crime="8(2)(b)(i)", bearing="exculpatory")
    charged = assess(people, record, KILLING_ELEMENTS[0], bearing="exculpatory")
    incident_update(actor=people["lead"], incident=record["bucha"], crimes=[KILLING])
    client = client_for(people["legal"])

    body = chart(client, case_a, incident=record["bucha"].pk).json()
    assert body["exculpatory_assessments"] == [attack.pk, charged.pk]
    assert [(a["id"], a["section"], a["charged"]) for a in body["exculpatory"]] == [
        (attack.pk, "crime", False), (charged.pk, "crime", True),
    ]  # fmt: skip
    assert chart(client, case_a, crime=KILLING).json()["exculpatory_assessments"] == [charged.pk]
    assert chart(client, case_a, crime="8(2)(b)(i)").json()["exculpatory_assessments"] == [attack.pk]


def test_an_item_with_an_exculpatory_assessment_is_exculpatory_in_the_register_disclosures_and_package(
    client_for, case_a, people, record, tmp_path
):
    item = record["item"]
    assert item.exculpatory is False  # never marked: only assessed so
    client = client_for(people["lead"])
    assert client.get(f"/api/v1/evidence/{item.pk}/disclosures/").json()["exculpatory"] is False
    rejected = assess(people, record, "mode:28(b):1", state="rejected", person=record["suspect"], mode="28(b)",
                      bearing="exculpatory", relevance="He was on leave in Minsk")  # fmt: skip

    assert client.get(f"/api/v1/evidence/{item.pk}/disclosures/").json()["exculpatory"] is True

    response = client.post("/api/v1/exports/", {"case": case_a.pk, "evidence": [item.pk]}, format="json")
    assert response.status_code == 202, response.content
    zip_path, bag = package_of(build(Export.objects.get(pk=response.json()["id"])), tmp_path)
    assert not (bag / "data" / "analysis-chart.csv").exists()
    register_rows = list(csv.DictReader(io.StringIO((bag / "data" / "register.csv").read_text(encoding="utf-8-sig"))))
    assert [row["Exculpatory (art. 67(2))"] for row in register_rows] == ["yes"]
    listed = list(
        csv.reader(io.StringIO((bag / "data" / "exculpatory-assessments.csv").read_text(encoding="utf-8-sig")))
    )
    assert [(row[0], row[1], row[3], row[8], row[10], row[13]) for row in listed[1:]] == [
        (item.ern, str(rejected.pk), "mode:28(b):1", "Azatbek Omurbekov", "He was on leave in Minsk", "rejected"),
    ]
    verdict = run_verify(zip_path)
    assert verdict.returncode == 0, verdict.stdout
