import pytest

from evidence.models import Role
from tests.factories import UserFactory
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db


def test_a_lead_reads_the_cases_log_with_who_what_when_and_from_where(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD, username="lead")
    legal = member_of(case_a, Role.LEGAL, username="prosecutor")
    item = archived_item(case_a, lead, b"testimony")
    client_for(legal).get(f"/api/v1/evidence/{item.pk}/download/", REMOTE_ADDR="203.0.113.7")

    log = client_for(lead).get(f"/api/v1/cases/{case_a.pk}/audit/").json()

    download = next(entry for entry in log["results"] if entry["action"] == "evidence.download")
    assert (download["actor"], download["target"], download["source_ip"]) == ("prosecutor", item.ern, "203.0.113.7")
    assert download["case"] == case_a.reference and download["at"]


def test_staff_read_the_whole_log_and_filter_it_by_case(client_for, case_a, case_b, member_of):
    client_for(member_of(case_a, Role.LEAD)).patch(f"/api/v1/cases/{case_a.pk}/", {"title": "A"}, format="json")
    client_for(member_of(case_b, Role.LEAD)).patch(f"/api/v1/cases/{case_b.pk}/", {"title": "B"}, format="json")
    staff = client_for(UserFactory(is_staff=True))

    everything = staff.get("/api/v1/audit/").json()
    only_b = staff.get("/api/v1/audit/", {"case": case_b.reference}).json()

    assert {entry["case"] for entry in everything["results"]} == {case_a.reference, case_b.reference}
    assert [entry["action"] for entry in only_b["results"]] == ["case.update"]
