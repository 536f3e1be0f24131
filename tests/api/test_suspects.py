import pytest

from evidence.models import Allegation, Person, Role, Unit
from evidence.services.record import allegation_create, person_create, unit_create
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def investigator(case_a, member_of, client_for):
    return client_for(member_of(case_a, Role.INVESTIGATOR))


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [person["full_name"] for person in response.json()["results"]]


def test_an_investigator_records_a_suspect(investigator, case_a):
    unit = unit_create(actor=None, case=case_a, name="64th Separate Motor Rifle Brigade")

    response = investigator.post(
        "/api/v1/persons/",
        {
            "case": case_a.pk,
            "full_name": "Azatbek Omurbekov",
            "other_names": ["Азатбек Омурбеков"],
            "rank": "Lieutenant Colonel",
            "date_of_birth": "1983-06-17",
            "identifiers": {"service_number": "X-123"},
            "unit": unit.pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["other_names"] == ["Азатбек Омурбеков"]
    assert Person.objects.get().unit == unit


BOTH_SCRIPTS = ["Azatbek Omurbekov", "Азатбек Омурбеков"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Omurbekov", BOTH_SCRIPTS),
        ("Омурбеков", BOTH_SCRIPTS),
        ("Omurbekow", BOTH_SCRIPTS),
        ("Omurbekof", BOTH_SCRIPTS),
        ("Азатбек Омурбеков", BOTH_SCRIPTS),
        ("Sidorov", ["Ivan Sidorov"]),
        ("Petrenko", []),
    ],
)
def test_names_are_found_across_scripts_and_small_misspellings(investigator, case_a, query, expected):
    person_create(actor=None, case=case_a, full_name="Азатбек Омурбеков")
    person_create(actor=None, case=case_a, full_name="Azatbek Omurbekov")
    person_create(actor=None, case=case_a, full_name="Ivan Sidorov")

    assert sorted(names(investigator.get("/api/v1/persons/", {"q": query}))) == expected


def test_other_names_are_searched_too(investigator, case_a):
    person_create(actor=None, case=case_a, full_name="Sergei Ivanov", other_names=["Сергій Іванов"])

    assert names(investigator.get("/api/v1/persons/", {"q": "Сергій"})) == ["Sergei Ivanov"]


def test_a_unit_page_shows_its_chain_up_and_subordinates_down(investigator, case_a):
    army = unit_create(actor=None, case=case_a, name="Army", designation="military unit 1")
    brigade = unit_create(actor=None, case=case_a, name="Brigade", parent=army)
    battalion = unit_create(actor=None, case=case_a, name="Battalion", parent=brigade)
    company = unit_create(actor=None, case=case_a, name="Company", parent=battalion)

    body = investigator.get(f"/api/v1/units/{brigade.pk}/").json()

    assert [unit["name"] for unit in body["chain_up"]] == ["Army"]
    assert body["subordinates"] == [
        {
            "id": battalion.pk,
            "name": "Battalion",
            "designation": "",
            "subordinates": [{"id": company.pk, "name": "Company", "designation": "", "subordinates": []}],
        }
    ]


def test_a_unit_cannot_be_placed_under_its_own_subordinate(investigator, case_a):
    army = unit_create(actor=None, case=case_a, name="Army")
    brigade = unit_create(actor=None, case=case_a, name="Brigade", parent=army)

    response = investigator.patch(f"/api/v1/units/{army.pk}/", {"parent": brigade.pk}, format="json")

    assert response.status_code == 400
    assert "parent" in response.json()
    army.refresh_from_db()
    assert army.parent is None


def test_an_allegation_links_a_suspect_to_an_incident_in_the_same_case(investigator, case_a):
    incident = make_incident(case_a)
    person = person_create(actor=None, case=case_a, full_name="Ivan Petrov")

    response = investigator.post(
        "/api/v1/allegations/",
        {"incident": incident.pk, "person": person.pk, "role": "direct_perpetrator", "confidence": "medium"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["case"] == case_a.pk
    assert response.json()["status"] == "alleged"


def test_a_suspect_from_another_case_is_refused(client_for, member_of, case_a, case_b):
    user = member_of(case_a, Role.INVESTIGATOR)
    case_b.memberships.create(user=user, role=Role.INVESTIGATOR)
    incident = make_incident(case_a)
    foreign = person_create(actor=None, case=case_b, full_name="Someone Else")

    response = client_for(user).post(
        "/api/v1/allegations/",
        {"incident": incident.pk, "person": foreign.pk, "role": "present"},
        format="json",
    )

    assert response.status_code == 400
    assert "belongs to another case" in response.json()["person"][0]
    assert not Allegation.objects.exists()


def test_a_suspect_of_a_case_you_cannot_see_does_not_exist(investigator, case_a, case_b):
    incident = make_incident(case_a)
    hidden = person_create(actor=None, case=case_b, full_name="Hidden")

    response = investigator.post(
        "/api/v1/allegations/", {"incident": incident.pk, "person": hidden.pk, "role": "present"}, format="json"
    )

    assert response.status_code == 400
    assert "does not exist" in response.json()["person"][0]


@pytest.mark.parametrize("payload", [{}, {"person": "both"}])
def test_an_allegation_names_a_person_or_a_unit(investigator, case_a, payload):
    incident = make_incident(case_a)
    person = person_create(actor=None, case=case_a, full_name="P")
    unit = unit_create(actor=None, case=case_a, name="U")
    body = {"incident": incident.pk, "role": "present"}
    if payload:
        body |= {"person": person.pk, "unit": unit.pk}

    response = investigator.post("/api/v1/allegations/", body, format="json")

    assert response.status_code == 400
    assert "person" in response.json()


@pytest.mark.parametrize("path", ["persons", "units", "allegations"])
def test_another_cases_suspects_are_invisible(client_for, member_of, case_a, case_b, path):
    unit = unit_create(actor=None, case=case_b, name="U")
    person = person_create(actor=None, case=case_b, full_name="P", unit=unit)
    allegation = allegation_create(
        actor=None, case=case_b, incident=make_incident(case_b), person=person, role="present"
    )
    obj = {"persons": person, "units": unit, "allegations": allegation}[path]
    client = client_for(member_of(case_a, Role.LEAD))

    assert client.get(f"/api/v1/{path}/").json()["count"] == 0
    assert client.get(f"/api/v1/{path}/{obj.pk}/").status_code == 404
    assert client.patch(f"/api/v1/{path}/{obj.pk}/", {}, format="json").status_code == 404


@pytest.mark.parametrize("role", [Role.ANALYST, Role.LEGAL])
def test_readers_cannot_record_suspects(client_for, member_of, case_a, role):
    client = client_for(member_of(case_a, role))

    assert client.get("/api/v1/persons/").status_code == 200
    response = client.post("/api/v1/persons/", {"case": case_a.pk, "full_name": "X"}, format="json")
    assert response.status_code == 403
    assert client.post("/api/v1/units/", {"case": case_a.pk, "name": "X"}, format="json").status_code == 403
    assert not Person.objects.exists() and not Unit.objects.exists()
