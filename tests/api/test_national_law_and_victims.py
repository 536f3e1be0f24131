"""Issue 16 §4: the Criminal Code of Ukraine beside the Rome Statute (incidents' national_offences, the
vocabulary's list, the package's incidents.geojson), and what is known of victims, sealed with their identity."""

import json

import pytest

from evidence.models import ProtectedPerson, Role
from evidence.services.packages import export_request
from tests.factories import make_incident
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, package_of, run_verify

pytestmark = pytest.mark.django_db


def feature(case, **properties):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [30.2208, 50.5445]},
        "properties": {"case": case.pk, "title": "Killings on Yablunska Street", "occurred_from": "2022-03-04",
                       **properties},
    }  # fmt: skip


def test_an_incident_carries_articles_of_the_criminal_code_beside_the_rome_statute(client_for, case_a, member_of):
    client = client_for(member_of(case_a, Role.INVESTIGATOR))

    created = client.post(
        "/api/v1/incidents/",
        feature(case_a, crimes=["8(2)(a)(i)"], national_offences=["438(2)", "438(1)", "438(2)"]),
        format="json",
    )
    assert created.status_code == 201, created.content
    shown = client.get(f"/api/v1/incidents/{created.json()['id']}/").json()["properties"]

    assert shown["national_offences"] == ["438(1)", "438(2)"]
    assert shown["crimes"] == ["8(2)(a)(i)"]
    changed = client.patch(
        f"/api/v1/incidents/{created.json()['id']}/", {"national_offences": ["442(1)"]}, format="json"
    )
    assert changed.json()["properties"]["national_offences"] == ["442(1)"]


@pytest.mark.parametrize("codes", [["438"], ["111-1"], ["8(2)(a)(i)"]])
def test_an_article_not_in_the_vocabulary_is_refused_naming_it(client_for, case_a, member_of, codes):
    answer = client_for(member_of(case_a)).post(
        "/api/v1/incidents/", feature(case_a, national_offences=codes), format="json"
    )

    assert answer.status_code == 400
    (message,) = answer.json()["national_offences"]
    assert repr(codes[0]) in message and "/api/v1/national-offences/" in message


def test_the_national_offences_list_gives_the_code_own_titles(client_for, case_a, member_of):
    client = client_for(member_of(case_a, Role.ANALYST))

    listing = client.get("/api/v1/national-offences/").json()
    one = client.get("/api/v1/national-offences/438(1)/").json()

    assert [row["code"] for row in listing["results"]] == [
        "436", "437(1)", "437(2)", "438(1)", "438(2)", "439(1)", "439(2)", "441", "442(1)", "442(2)",
    ]  # fmt: skip
    assert one["title_uk"] == "Порушення законів та звичаїв війни"
    assert one["title_en"] == "Violation of the laws and customs of war"
    assert (one["article"], one["part"]) == ("438", "1")
    assert client.get("/api/v1/national-offences/?article=442").json()["count"] == 2
    assert client.get("/api/v1/national-offences/999/").status_code == 404
    assert client.get("/api/v1/national-offences/?colour=red").status_code == 400


def test_the_package_incidents_geojson_names_the_articles(case_a, member_of, tmp_path):
    lead = member_of(case_a, Role.LEAD)
    incident = make_incident(case_a, crimes=["8(2)(a)(i)"], national_offences=["438(2)"])
    item = archived_item(case_a, lead, b"photo bytes", name="IMG_1.jpg", incidents=[incident])
    zip_path, bag = package_of(build(export_request(actor=lead, case=case_a, evidence=[item])), tmp_path)

    (shown,) = json.loads((bag / "data" / "incidents.geojson").read_text())["features"]

    assert shown["properties"]["national_offences"] == [
        {"code": "438(2)", "title_uk": "Порушення законів та звичаїв війни",
         "title_en": "Violation of the laws and customs of war"},
    ]  # fmt: skip
    assert run_verify(zip_path).returncode == 0


VICTIM = {
    "full_name": "Ivan Hnatenko",
    "date_of_birth": "1958-02-01",
    "sex": "male",
    "age": 64,
    "conflict_status": "civilian",
    "date_of_death": "2022-03-05",
    "cause_of_death": "Gunshot wound to the head",
}


def test_what_is_known_of_a_victim_is_sealed_and_shown_only_where_the_identity_is(case_a, member_of, client_for):
    lead = client_for(member_of(case_a, Role.LEAD))
    created = lead.post("/api/v1/victims/", {"case": case_a.pk, **VICTIM}, format="json")
    assert created.status_code == 201, created.content
    person = ProtectedPerson.objects.get(pk=created.json()["id"])

    revealed = lead.get(f"/api/v1/victims/{person.pk}/identity/").json()
    listed = client_for(member_of(case_a, Role.INVESTIGATOR)).get("/api/v1/victims/").content.decode()

    assert {name: revealed[name] for name in VICTIM} == VICTIM
    assert (revealed["age_from"], revealed["age_to"]) == (None, None)
    assert "civilian" not in listed and "Gunshot" not in listed and "V-0001" in listed
    sealed = bytes(person.identity_sealed)
    assert b"civilian" not in sealed and b"Gunshot" not in sealed and b"2022-03-05" not in sealed


def test_an_age_range_and_a_later_change_keep_the_rest(case_a, member_of, client_for):
    lead = client_for(member_of(case_a, Role.LEAD))
    person_id = lead.post(
        "/api/v1/victims/", {"case": case_a.pk, "full_name": "Unknown man", "age_from": 30, "age_to": 39},
        format="json",
    ).json()["id"]  # fmt: skip

    lead.patch(f"/api/v1/victims/{person_id}/", {"conflict_status": "hors_de_combat"}, format="json")
    revealed = lead.get(f"/api/v1/victims/{person_id}/identity/").json()

    assert (revealed["age_from"], revealed["age_to"], revealed["conflict_status"]) == (30, 39, "hors_de_combat")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"age": 40, "age_from": 30}, "age"),
        ({"age_from": 40, "age_to": 30}, "age_to"),
        ({"date_of_death": "2999-01-01"}, "date_of_death"),
        ({"date_of_birth": "1990-01-01", "date_of_death": "1980-01-01"}, "date_of_death"),
        ({"sex": "unknown"}, "sex"),
        ({"conflict_status": "soldier"}, "conflict_status"),
        ({"age": 300}, "age"),
    ],
)
def test_an_impossible_victim_detail_is_refused_naming_the_field(case_a, member_of, client_for, fields, field):
    answer = client_for(member_of(case_a, Role.LEAD)).post(
        "/api/v1/victims/", {"case": case_a.pk, "full_name": "V", **fields}, format="json"
    )

    assert answer.status_code == 400
    assert list(answer.json()) == [field]
    assert not ProtectedPerson.objects.exists()


def test_a_witness_has_no_victim_details(case_a, member_of, client_for):
    answer = client_for(member_of(case_a, Role.LEAD)).post(
        "/api/v1/witnesses/", {"case": case_a.pk, "full_name": "W", "sex": "female"}, format="json"
    )

    assert answer.status_code == 400 and list(answer.json()) == ["sex"]


def test_a_member_of_another_case_gets_404_for_a_victim(case_a, case_b, member_of, client_for):
    person_id = (
        client_for(member_of(case_a, Role.LEAD))
        .post("/api/v1/victims/", {"case": case_a.pk, **VICTIM}, format="json")
        .json()["id"]
    )

    other = client_for(member_of(case_b, Role.LEAD))

    assert other.get(f"/api/v1/victims/{person_id}/identity/").status_code == 404
    assert other.patch(f"/api/v1/victims/{person_id}/", {"age": 30}, format="json").status_code == 404
