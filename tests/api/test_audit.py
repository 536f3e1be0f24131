import pytest

from evidence.models import AuditAction, Role
from evidence.services.audit import audit_record
from tests.factories import CaseFactory, UserFactory
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


def test_superusers_read_the_whole_log_and_filter_it_by_case(client_for, case_a, case_b, member_of):
    client_for(member_of(case_a, Role.LEAD)).patch(f"/api/v1/cases/{case_a.pk}/", {"title": "A"}, format="json")
    client_for(member_of(case_b, Role.LEAD)).patch(f"/api/v1/cases/{case_b.pk}/", {"title": "B"}, format="json")
    audit_record(actor=None, case=None, action=AuditAction.AUTH_LOGIN_FAILED, target="someone")
    superuser = client_for(UserFactory(is_staff=True, is_superuser=True))

    everything = superuser.get("/api/v1/audit/").json()
    only_b = superuser.get("/api/v1/audit/", {"case": case_b.reference}).json()

    assert {entry["case"] for entry in everything["results"]} == {case_a.reference, case_b.reference, None}
    assert [entry["action"] for entry in only_b["results"]] == ["case.update"]


@pytest.fixture
def three_cases(case_a, case_b, member_of):
    """A staff user who leads case A and investigates in case B; case C is not theirs. Each case has an
    entry that carries its content (a changed title); and there are entries of no case: sign-ins, the
    staff user's and another's, and a failed one typed with the staff user's name."""
    case_c = CaseFactory(reference="UA-2022-IRPIN")
    staff = UserFactory(username="staff", is_staff=True)
    case_a.memberships.create(user=staff, role=Role.LEAD)
    case_b.memberships.create(user=staff, role=Role.INVESTIGATOR)
    for case in (case_a, case_b, case_c):
        lead = member_of(case, Role.LEAD, username=f"lead-{case.reference}")
        audit_record(
            actor=lead, case=case, action=AuditAction.CASE_UPDATE, target=case.reference,
            details={"title": {"from": case.title, "to": f"Mass grave at {case.reference}"}},
        )  # fmt: skip
    other = UserFactory(username="other", is_staff=True)
    audit_record(actor=staff, case=None, action=AuditAction.AUTH_LOGIN, target="staff")
    audit_record(actor=other, case=None, action=AuditAction.AUTH_LOGIN, target="other")
    audit_record(actor=None, case=None, action=AuditAction.AUTH_LOGIN_FAILED, target="staff")
    return {"staff": staff, "other": other, "c": case_c}


def rows(log: dict) -> list[tuple]:
    return [(entry["case"], entry["action"], entry["actor"]) for entry in log["results"]]


def test_staff_read_only_the_logs_of_the_cases_they_lead_and_their_own_sign_ins(client_for, three_cases):
    log = client_for(three_cases["staff"]).get("/api/v1/audit/").json()

    assert rows(log) == [(None, "auth.login", "staff"), ("UA-2022-BUCHA", "case.update", "lead-UA-2022-BUCHA")]
    assert log["count"] == 2


def test_staff_filtering_by_a_case_they_do_not_lead_get_nothing_of_it(client_for, three_cases):
    staff = client_for(three_cases["staff"])

    investigated = staff.get("/api/v1/audit/", {"case": "UA-2022-IZIUM"}).json()
    not_theirs = staff.get("/api/v1/audit/", {"case": "UA-2022-IRPIN"}).json()
    changes = staff.get("/api/v1/audit/", {"action": "case.update"}).json()

    assert investigated == {"count": 0, "next": None, "previous": None, "results": []}
    assert not_theirs == {"count": 0, "next": None, "previous": None, "results": []}
    assert [entry["details"]["title"]["to"] for entry in changes["results"]] == ["Mass grave at UA-2022-BUCHA"]


def test_the_case_audit_route_and_the_log_across_cases_agree_for_an_investigator(client_for, case_b, three_cases):
    staff = client_for(three_cases["staff"])

    assert staff.get(f"/api/v1/cases/{case_b.pk}/audit/").status_code == 403


def test_staff_in_no_case_see_only_their_own_sign_ins(client_for, three_cases):
    log = client_for(three_cases["other"]).get("/api/v1/audit/").json()

    assert [(entry["case"], entry["action"], entry["actor"]) for entry in log["results"]] == [
        (None, "auth.login", "other")
    ]


def test_users_who_are_not_staff_may_not_read_the_log_across_cases(client_for, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)

    assert client_for(lead).get("/api/v1/audit/").status_code == 403
