"""A bare date means a day in the case's time zone (Europe/Kyiv unless the case says otherwise).

The expected instants are worked out by hand from the zones' offsets in 2022:
- Europe/Kyiv: UTC+2 until 2022-03-27 03:00, then UTC+3 (that day has 23 hours);
- America/New_York: UTC-5 until 2022-03-13, then UTC-4;
- Asia/Tokyo: UTC+9 all year;
- America/Santiago: UTC-3 until 2022-04-03 00:00, when clocks go back to 2022-04-02 23:00 (UTC-4:
  that Saturday has 25 hours); back to UTC-3 on 2022-09-11, when 00:00 becomes 01:00 (the day
  begins at 01:00)."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from evidence.models import AuditEntry, Case, EvidenceItem, Incident, Role
from tests.factories import CaseFactory, UserFactory, make_incident
from tests.media import photo_bytes

pytestmark = pytest.mark.django_db


def feature(case, **properties) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [30.2208, 50.5445]},
        "properties": {"case": case.pk, "title": "Killings on Yablunska Street", **properties},
    }


def create_incident(client_for, case, **properties) -> dict:
    lead = case.memberships.filter(role=Role.LEAD).first()
    user = lead.user if lead else case.memberships.create(user=UserFactory(), role=Role.LEAD).user
    response = client_for(user).post("/api/v1/incidents/", feature(case, **properties), format="json")
    assert response.status_code == 201, response.content
    return response.json()["properties"]


def test_a_new_case_is_kept_in_kyiv_time(case_a):
    assert Case.objects.get(pk=case_a.pk).time_zone == "Europe/Kyiv"


def test_bare_dates_are_whole_days_in_kyiv_by_default(client_for, case_a):
    period = create_incident(client_for, case_a, occurred_from="2022-03-04", occurred_to="2022-03-06")

    # Shown in the offset Kyiv had then, which the case's zone gave them (and says so).
    assert period["occurred_from"] == "2022-03-04T00:00:00+02:00"
    assert period["occurred_to"] == "2022-03-06T23:59:59.999999+02:00"
    assert period["occurred_from_time_zone"] == period["occurred_to_time_zone"] == "Europe/Kyiv"
    incident = Incident.objects.get()
    assert incident.occurred_from == datetime(2022, 3, 3, 22, 0, tzinfo=UTC)
    assert incident.occurred_to == datetime(2022, 3, 6, 21, 59, 59, 999999, tzinfo=UTC)


def test_bare_dates_are_whole_days_in_the_cases_own_time_zone(client_for):
    case = CaseFactory(time_zone="America/New_York")

    period = create_incident(client_for, case, occurred_from="2022-03-04", occurred_to="2022-03-06")

    assert period["occurred_from"] == "2022-03-04T00:00:00-05:00"  # 05:00Z
    assert period["occurred_to"] == "2022-03-06T23:59:59.999999-05:00"  # 2022-03-07T04:59:59.999999Z


@pytest.mark.parametrize(
    ("time_zone", "start", "end", "expected_from", "expected_to"),
    [
        # The day the clocks go forward in Kyiv has 23 hours: from 22:00Z, it ends at 24:00 UTC+3 (20:59:59Z).
        ("Europe/Kyiv", "2022-03-27", "2022-03-27", "2022-03-27T00:00:00+02:00", "2022-03-27T23:59:59.999999+03:00"),
        # The day Santiago's clocks go back has 25 hours: from 03:00Z, it ends at 24:00 UTC-4 (03:59:59Z next day).
        (
            "America/Santiago",
            "2022-04-02",
            "2022-04-02",
            "2022-04-02T00:00:00-03:00",
            "2022-04-02T23:59:59.999999-04:00",
        ),
        # In Santiago 2022-09-11 has no midnight: it begins at 01:00 UTC-3 (04:00Z).
        (
            "America/Santiago",
            "2022-09-11",
            "2022-09-11",
            "2022-09-11T01:00:00-03:00",
            "2022-09-11T23:59:59.999999-03:00",
        ),
    ],
)
def test_days_when_the_clocks_change_are_as_long_as_they_are(
    client_for, time_zone, start, end, expected_from, expected_to
):
    period = create_incident(client_for, CaseFactory(time_zone=time_zone), occurred_from=start, occurred_to=end)

    assert (period["occurred_from"], period["occurred_to"]) == (expected_from, expected_to)


def test_a_time_without_an_offset_is_a_time_in_the_cases_zone(client_for, case_a):
    period = create_incident(client_for, case_a, occurred_from="2022-03-04T10:15", occurred_to="2022-03-04T11:00:00")

    assert period["occurred_from"] == "2022-03-04T10:15:00+02:00"  # 08:15Z
    assert period["occurred_to"] == "2022-03-04T11:00:00+02:00"
    assert period["occurred_from_time_zone"] == "Europe/Kyiv"


def test_a_time_with_an_offset_is_kept_as_it_is(client_for):
    case = CaseFactory(time_zone="Asia/Tokyo")

    period = create_incident(
        client_for, case, occurred_from="2022-03-04T10:15:00+02:00", occurred_to="2022-03-05T00:00Z"
    )

    # In the offsets they were given in, not the case's (Tokyo, +09:00).
    assert period["occurred_from"] == "2022-03-04T10:15:00+02:00"
    assert period["occurred_to"] == "2022-03-05T00:00:00Z"
    assert period["occurred_from_time_zone"] == period["occurred_to_time_zone"] == ""
    assert Incident.objects.get().occurred_from == datetime(2022, 3, 4, 8, 15, tzinfo=UTC)


def test_a_changed_end_date_is_the_end_of_that_day_in_the_cases_zone(client_for):
    case = CaseFactory(time_zone="Asia/Tokyo")
    lead = case.memberships.create(user=UserFactory(), role=Role.LEAD).user
    incident = make_incident(case, occurred_from=datetime(2022, 3, 1, tzinfo=UTC))

    response = client_for(lead).patch(
        f"/api/v1/incidents/{incident.pk}/", {"properties": {"occurred_to": "2022-03-02"}}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["properties"]["occurred_to"] == "2022-03-02T23:59:59.999999+09:00"  # 14:59:59Z


def test_a_period_that_ends_before_it_starts_in_the_cases_zone_is_refused(client_for):
    # 2022-03-04 in Tokyo ends at 2022-03-04T14:59:59.999999Z, before 15:00Z.
    case = CaseFactory(time_zone="Asia/Tokyo")
    lead = case.memberships.create(user=UserFactory(), role=Role.LEAD).user

    response = client_for(lead).post(
        "/api/v1/incidents/",
        feature(case, occurred_from="2022-03-04T15:00:00Z", occurred_to="2022-03-04"),
        format="json",
    )

    assert response.status_code == 400
    assert "occurred_to" in response.json()


def test_evidence_dates_are_read_in_the_cases_zone(upload, member_of):
    case = CaseFactory(time_zone="America/New_York")
    investigator = member_of(case, Role.INVESTIGATOR)

    response = upload(investigator, case, photo_bytes(), captured_at="2022-03-04", acquired_at="2022-03-20T09:30")

    assert response.status_code == 201, response.content
    body = response.json()
    # Shown in the offset New York had then (issue 16), which says the same moments: 05:00 and 13:30 UTC.
    assert body["captured_at"] == "2022-03-04T00:00:00-05:00"
    assert body["acquired_at"] == "2022-03-20T09:30:00-04:00"  # New York is UTC-4 after 2022-03-13
    assert body["captured_at_time_zone"] == body["acquired_at_time_zone"] == "America/New_York"
    item = EvidenceItem.objects.get()
    assert item.captured_at == datetime(2022, 3, 4, 5, 0, tzinfo=UTC)


def test_an_evidence_date_with_an_offset_is_kept(upload, case_a, member_of):
    response = upload(member_of(case_a, Role.INVESTIGATOR), case_a, photo_bytes(), captured_at="2022-03-04T10:15Z")

    assert response.status_code == 201, response.content
    assert response.json()["captured_at"] == "2022-03-04T10:15:00Z"


def test_imported_bare_dates_are_whole_days_in_the_cases_zone(tmp_path, member_of):
    case = CaseFactory(reference="UA-2022-TOKYO", time_zone="Asia/Tokyo")
    importer = member_of(case, Role.INVESTIGATOR)
    csv_file = tmp_path / "incidents.csv"
    csv_file.write_text(
        "title,occurred_from,occurred_to,lon,lat\n"
        "Shelling,2022-03-01,2022-03-02,30.5,50.4\n"
        "Convoy,2022-03-05T08:00,,30.6,50.5\n"
    )

    call_command("import_incidents", str(csv_file), case=case.reference, actor=importer.username, verbosity=0)

    shelling = Incident.objects.get(title="Shelling")
    assert shelling.occurred_from == datetime(2022, 2, 28, 15, 0, tzinfo=UTC)
    assert shelling.occurred_to == datetime(2022, 3, 2, 14, 59, 59, 999999, tzinfo=UTC)
    assert Incident.objects.get(title="Convoy").occurred_from == datetime(2022, 3, 4, 23, 0, tzinfo=UTC)


def test_imported_bare_dates_are_kyiv_days_by_default(tmp_path, case_a, member_of):
    csv_file = tmp_path / "incidents.csv"
    csv_file.write_text("title,occurred_from,occurred_to,lon,lat\nShelling,2022-03-01,2022-03-02,30.5,50.4\n")
    importer = member_of(case_a, Role.INVESTIGATOR)

    call_command("import_incidents", str(csv_file), case=case_a.reference, actor=importer.username, verbosity=0)

    shelling = Incident.objects.get()
    assert shelling.occurred_from == datetime(2022, 2, 28, 22, 0, tzinfo=UTC)
    assert shelling.occurred_to == datetime(2022, 3, 2, 21, 59, 59, 999999, tzinfo=UTC)


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(feature["properties"]["title"] for feature in response.json()["features"])


@pytest.fixture
def kyiv_and_new_york(case_a, member_of):
    """An analyst of a case kept in Kyiv and of one kept in New York, each with an incident late in
    the evening of 2022-03-04 by the other's clock."""
    new_york = CaseFactory(reference="US-2022-NY", time_zone="America/New_York")
    analyst = member_of(case_a, Role.ANALYST)
    new_york.memberships.create(user=analyst, role=Role.ANALYST)
    # 01:00 on 2022-03-05 in Kyiv (20:00 on 2022-03-04 in New York).
    make_incident(case_a, title="Kyiv", occurred_from=datetime(2022, 3, 4, 23, 0, tzinfo=UTC))
    # 22:00 on 2022-03-04 in New York (05:00 on 2022-03-05 in Kyiv).
    make_incident(new_york, title="New York", occurred_from=datetime(2022, 3, 5, 3, 0, tzinfo=UTC))
    return analyst, case_a, new_york


def test_the_date_filters_read_a_bare_date_in_the_zone_of_the_case_asked_for(client_for, kyiv_and_new_york):
    analyst, kyiv, new_york = kyiv_and_new_york
    client = client_for(analyst)

    on_the_4th = {"occurred_after": "2022-03-04", "occurred_before": "2022-03-04"}
    assert titles(client.get("/api/v1/incidents/", {**on_the_4th, "case": new_york.pk})) == ["New York"]
    assert titles(client.get("/api/v1/incidents/", {**on_the_4th, "case": kyiv.pk})) == []
    on_the_5th = {"occurred_after": "2022-03-05", "occurred_before": "2022-03-05"}
    assert titles(client.get("/api/v1/incidents/", {**on_the_5th, "case": kyiv.pk})) == ["Kyiv"]
    assert titles(client.get("/api/v1/incidents/", {**on_the_5th, "case": new_york.pk})) == []


def test_without_a_case_each_incident_is_judged_in_its_own_cases_zone(client_for, kyiv_and_new_york):
    analyst, _, _ = kyiv_and_new_york
    client = client_for(analyst)

    assert titles(client.get("/api/v1/incidents/", {"occurred_before": "2022-03-04"})) == ["New York"]
    assert titles(client.get("/api/v1/incidents/", {"occurred_after": "2022-03-05"})) == ["Kyiv"]
    # A moment with an offset means the same instant for every case.
    assert titles(client.get("/api/v1/incidents/", {"occurred_after": "2022-03-05T00:00:00Z"})) == ["New York"]


def test_a_filter_time_without_an_offset_is_a_time_in_the_cases_zone(client_for, kyiv_and_new_york):
    analyst, kyiv, _ = kyiv_and_new_york
    client = client_for(analyst)

    # 2022-03-05T00:30 in Kyiv is 22:30Z on the 4th: the Kyiv incident (23:00Z) is after it.
    found = titles(client.get("/api/v1/incidents/", {"case": kyiv.pk, "occurred_after": "2022-03-05T00:30"}))
    assert found == ["Kyiv"]
    found = titles(client.get("/api/v1/incidents/", {"case": kyiv.pk, "occurred_after": "2022-03-05T01:30"}))
    assert found == []


def test_a_lead_sets_the_cases_time_zone(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)

    response = client_for(lead).patch(f"/api/v1/cases/{case_a.pk}/", {"time_zone": "Asia/Tokyo"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["time_zone"] == "Asia/Tokyo"
    assert Case.objects.get(pk=case_a.pk).time_zone == "Asia/Tokyo"
    entry = AuditEntry.objects.get(case=case_a, action="case.update")
    assert entry.details == {"time_zone": {"from": "Europe/Kyiv", "to": "Asia/Tokyo"}}
    period = create_incident(client_for, case_a, occurred_from="2022-03-04")
    assert period["occurred_from"] == "2022-03-04T00:00:00+09:00"  # 2022-03-03T15:00Z


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "europe/kyiv", "UTC+2", ""])
def test_a_time_zone_that_is_not_an_iana_name_is_refused_by_field(client_for, case_a, member_of, name):
    response = client_for(member_of(case_a, Role.LEAD)).patch(
        f"/api/v1/cases/{case_a.pk}/", {"time_zone": name}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["time_zone"]
    assert Case.objects.get(pk=case_a.pk).time_zone == "Europe/Kyiv"


def test_the_refusal_names_the_zone_and_what_is_expected(client_for, case_a, member_of):
    response = client_for(member_of(case_a, Role.LEAD)).patch(
        f"/api/v1/cases/{case_a.pk}/", {"time_zone": "Mars/Olympus_Mons"}, format="json"
    )

    assert response.json() == {
        "time_zone": ["'Mars/Olympus_Mons' is not a time zone of the IANA database, such as Europe/Kyiv."]
    }


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.ANALYST, Role.LEGAL])
def test_only_a_lead_changes_the_time_zone(client_for, case_a, member_of, role):
    response = client_for(member_of(case_a, role)).patch(
        f"/api/v1/cases/{case_a.pk}/", {"time_zone": "Asia/Tokyo"}, format="json"
    )

    assert response.status_code == 403
    assert Case.objects.get(pk=case_a.pk).time_zone == "Europe/Kyiv"


def test_staff_create_a_case_in_a_time_zone(client_for):
    response = client_for(UserFactory(is_staff=True)).post(
        "/api/v1/cases/", {"reference": "UA-2022-KHARKIV", "title": "Kharkiv", "time_zone": "Europe/Kyiv"}
    )
    other = client_for(UserFactory(is_staff=True)).post(
        "/api/v1/cases/", {"reference": "US-2022-NY", "title": "New York", "time_zone": "America/New_York"}
    )

    assert response.status_code == 201, response.content
    assert other.status_code == 201, other.content
    assert other.json()["time_zone"] == "America/New_York"
    assert Case.objects.get(reference="US-2022-NY").time_zone == "America/New_York"


def test_a_case_created_without_a_time_zone_is_kept_in_kyiv_time(client_for):
    response = client_for(UserFactory(is_staff=True)).post("/api/v1/cases/", {"reference": "UA-X", "title": "X"})

    assert response.status_code == 201, response.content
    assert response.json()["time_zone"] == "Europe/Kyiv"


def test_a_case_created_in_an_unknown_time_zone_is_refused(client_for):
    response = client_for(UserFactory(is_staff=True)).post(
        "/api/v1/cases/", {"reference": "UA-X", "title": "X", "time_zone": "Kyiv"}
    )

    assert response.status_code == 400
    assert "time_zone" in response.json()
    assert not Case.objects.exists()
