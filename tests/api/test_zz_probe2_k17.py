import pytest
from tests.factories import UserFactory
from evidence.models import Role

pytestmark = pytest.mark.django_db


def test_probes(client_for, case_a, member_of):
    staff = UserFactory(username="registrar", is_staff=True)
    c = client_for(staff)
    r = c.post("/api/v1/users/", {"username": "\ufdfa" * 8, "email": "y@example.org"}, format="json")
    print("nfkc8", r.status_code, r.content[:200])
    r = c.get("/api/v1/users/99999999999999999999999/")
    print("bigpk", r.status_code, r.content[:200])
    r = c.get("/api/v1/users/?ordering=password")
    print("ordering", r.status_code, r.content[:100])
    r = c.get("/api/v1/users/?q=a%00b")
    print("nul q", r.status_code, r.content[:100])
    lead = member_of(case_a, Role.LEAD)
    lc = client_for(lead)
    r = lc.post(f"/api/v1/cases/{case_a.pk}/members/", {"email": "X@EXAMPLE.ORG", "role": "analyst"}, format="json")
    print("member by email", r.status_code, r.content[:200])
    r = lc.post(f"/api/v1/cases/{case_a.pk}/members/", {"user": staff.pk, "role": "lead"}, format="json")
    print("add staff as lead", r.status_code, r.content[:200])
    r = lc.post("/api/v1/evidence/", {"case": "99999999999999999999999", "file": ""}, format="multipart")
    print("upload bigcase", r.status_code, r.content[:200])
    r = lc.post("/api/v1/incidents/", {"type": "Feature", "geometry": None, "properties": {"case": "9" * 30, "title": "t", "occurred_from": "2022-01-01"}}, format="json")
    print("incident bigcase", r.status_code, r.content[:300])
    r = lc.get("/api/v1/evidence/?case=UA-2022-BUCHA")
    print("filter by ref", r.status_code, r.content[:200])
    r = lc.get("/api/v1/nope/", HTTP_ACCEPT="text/html")
    print("404 html accept", r.status_code, r["Content-Type"])
    r = lc.post("/api/v1/cases", {}, format="json")
    print("no slash post", r.status_code, r.get("Content-Type"), r.content[:100])
    assert False
