"""A case is named by its id or by its reference, in bodies and in list filters alike, and never one for
the other: a reference of digits alone is refused when a case is created, and digits that are the id of
one of your cases and the reference of another (a case made before that rule) are refused as ambiguous."""

import pytest

from evidence.models import Case, Incident, Role
from evidence.services.witnesses import protected_person_create
from tests.factories import CaseFactory, MembershipFactory, UserFactory, make_incident

pytestmark = pytest.mark.django_db


def feature(case) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [30.5, 50.4]},
        "properties": {"case": case, "title": "Shelling", "occurred_from": "2022-03-04"},
    }


@pytest.fixture
def lead():
    return UserFactory(username="lead")


@pytest.fixture
def digit_cases(lead):
    """Case "UA-A", and an older case whose reference is the digits of UA-A's id."""
    named_by_id = CaseFactory(reference="UA-A")
    named_by_digits = CaseFactory(reference=str(named_by_id.pk))
    for case in (named_by_id, named_by_digits):
        MembershipFactory(case=case, user=lead, role=Role.LEAD)
    return named_by_id, named_by_digits


@pytest.mark.parametrize("reference", ["2024", "0", "123456789012345678901234567890"])
def test_a_reference_of_digits_alone_is_refused_when_a_case_is_created(client_for, reference):
    response = client_for(UserFactory(is_staff=True)).post(
        "/api/v1/cases/", {"reference": reference, "title": "Digits"}, format="json"
    )

    assert response.status_code == 400
    assert "digits alone" in response.json()["reference"][0]
    assert not Case.objects.filter(reference=reference).exists()


def test_a_reference_with_digits_and_a_letter_is_accepted(client_for):
    response = client_for(UserFactory(is_staff=True)).post(
        "/api/v1/cases/", {"reference": "2024-A", "title": "Digits"}, format="json"
    )

    assert response.status_code == 201, response.content


def test_digits_that_name_one_case_by_id_and_another_by_reference_are_refused(client_for, lead, digit_cases):
    named_by_id, _named_by_digits = digit_cases

    response = client_for(lead).post("/api/v1/incidents/", feature(str(named_by_id.pk)), format="json")

    assert response.status_code == 400
    assert "ambiguous" in response.json()["case"][0]
    assert not Incident.objects.exists()


def test_a_number_is_always_an_id(client_for, lead, digit_cases):
    named_by_id, _named_by_digits = digit_cases

    response = client_for(lead).post("/api/v1/incidents/", feature(named_by_id.pk), format="json")

    assert response.status_code == 201, response.content
    assert Incident.objects.get().case == named_by_id


def test_digits_that_are_only_a_reference_name_that_case(client_for, lead):
    old = CaseFactory(reference="987654")
    MembershipFactory(case=old, user=lead, role=Role.LEAD)

    response = client_for(lead).post("/api/v1/incidents/", feature("987654"), format="json")

    assert response.status_code == 201, response.content
    assert Incident.objects.get().case == old


def test_digits_that_are_the_reference_of_a_case_you_are_not_in_are_only_an_id(client_for, lead):
    mine = CaseFactory(reference="UA-MINE")
    MembershipFactory(case=mine, user=lead, role=Role.LEAD)
    CaseFactory(reference=str(mine.pk))  # someone else's

    response = client_for(lead).post("/api/v1/incidents/", feature(str(mine.pk)), format="json")

    assert response.status_code == 201, response.content
    assert Incident.objects.get().case == mine


# --- List filters ---------------------------------------------------------------------------------------

LISTS = [
    "/api/v1/incidents/",
    "/api/v1/evidence/",
    "/api/v1/persons/",
    "/api/v1/units/",
    "/api/v1/allegations/",
    "/api/v1/witnesses/",
    "/api/v1/victims/",
    "/api/v1/exports/",
]


def count(response) -> int:
    assert response.status_code == 200, response.content
    return response.json()["count"]


@pytest.mark.parametrize("path", LISTS)
def test_list_filters_take_the_case_reference_or_its_id(client_for, case_a, case_b, member_of, path):
    lead = member_of(case_a, Role.LEAD)
    MembershipFactory(case=case_b, user=lead, role=Role.LEAD)
    make_incident(case_a, actor=lead)
    protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "Ivan"})
    protected_person_create(actor=lead, case=case_a, kind="victim", identity={"full_name": "Petro"})
    client = client_for(lead)

    by_reference = client.get(path, {"case": "UA-2022-BUCHA"})
    by_id = client.get(path, {"case": case_a.pk})
    other_case = client.get(path, {"case": case_b.reference})
    unknown = client.get(path, {"case": "UA-NO-SUCH-CASE"})

    assert count(by_reference) == count(by_id)
    assert count(other_case) == 0
    assert count(unknown) == 0
    if path in ("/api/v1/incidents/", "/api/v1/witnesses/", "/api/v1/victims/"):
        assert count(by_reference) == 1


def test_a_case_filter_never_reaches_a_case_you_are_not_in(client_for, case_a, case_b, member_of):
    make_incident(case_b)
    lead = member_of(case_a, Role.LEAD)

    assert count(client_for(lead).get("/api/v1/incidents/", {"case": case_b.reference})) == 0
    assert count(client_for(lead).get("/api/v1/incidents/", {"case": case_b.pk})) == 0


def test_an_ambiguous_case_filter_is_refused(client_for, lead, digit_cases):
    named_by_id, _named_by_digits = digit_cases

    response = client_for(lead).get("/api/v1/incidents/", {"case": str(named_by_id.pk)})

    assert response.status_code == 400
    assert "ambiguous" in response.json()["case"][0]


@pytest.mark.parametrize("value", ["a\x00b", "ua 2022", "x" * 100, "-1"])
def test_a_case_filter_that_is_neither_an_id_nor_a_reference_names_the_parameter(client_for, case_a, member_of, value):
    response = client_for(member_of(case_a, Role.LEAD)).get("/api/v1/incidents/", {"case": value})

    assert response.status_code == 400
    assert "case" in response.json()


def test_a_bare_date_filter_is_read_in_the_zone_of_the_case_named_by_reference(client_for, member_of):
    from datetime import UTC, datetime

    tokyo = CaseFactory(reference="JP-TOKYO", time_zone="Asia/Tokyo")
    lead = member_of(tokyo, Role.LEAD)
    make_incident(tokyo, occurred_from=datetime(2022, 3, 3, 16, 0, tzinfo=UTC))  # 4 March, 01:00 in Tokyo

    response = client_for(lead).get("/api/v1/incidents/", {"case": "JP-TOKYO", "occurred_after": "2022-03-04"})

    assert count(response) == 1
