"""Review probes for issue 17."""
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from evidence.models import IssuedPassword, Role, Case
from evidence.services.accounts import user_password_issue
from evidence.services.record import incident_update
from tests.factories import UserFactory, CaseFactory, MembershipFactory, make_incident
from tests.media import photo_bytes, with_gps
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db


def test_admin_with_issued_password(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    staff = UserFactory(username="clerk", is_staff=True, is_superuser=True)
    password, issued = user_password_issue(actor=root, user=staff)
    c = Client()
    r = c.post("/admin/login/", {"username": "clerk", "password": password, "next": "/admin/"})
    print("login", r.status_code, r.get("Location"))
    r = c.get("/admin/")
    print("admin index", r.status_code)
    r = c.get("/admin/evidence/auditentry/")
    print("audit list", r.status_code)
    # API with this session is gated
    r = c.get("/api/v1/cases/", HTTP_ACCEPT="application/json")
    print("api via session", r.status_code, r.content[:200])
    # expire it
    IssuedPassword.objects.filter(user=staff).update(expires_at=timezone.now() - timedelta(hours=1), issued_at=timezone.now() - timedelta(hours=100))
    c2 = Client()
    r = c2.post("/admin/login/", {"username": "clerk", "password": password, "next": "/admin/"})
    print("login after expiry", r.status_code, r.get("Location"))
    r = c2.get("/admin/evidence/auditentry/")
    print("audit list after expiry", r.status_code)
    assert False


def test_digit_reference_reads_as_id(client_for):
    user = UserFactory()
    a = CaseFactory(reference="UA-A")
    b = CaseFactory(reference=str(a.pk))
    MembershipFactory(case=a, user=user, role=Role.LEAD)
    MembershipFactory(case=b, user=user, role=Role.LEAD)
    c = client_for(user)
    r = c.post("/api/v1/incidents/", {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.5, 50.4]},
        "properties": {"case": b.reference, "title": "x", "occurred_from": "2022-03-04"}}, format="json")
    print("digit", r.status_code, r.content[:300])
    print("a", a.pk, "b", b.pk, b.reference)
    assert False


def test_distances_stale_after_incident_moves(case_a, member_of, client_for, tmp_path):
    investigator = member_of(case_a, Role.INVESTIGATOR)
    # swapped coordinates at first
    inc = make_incident(case_a, location=Point(50.5445, 30.2208, srid=4326))
    photo = with_gps(photo_bytes(seed=21), tmp_path, lon=30.2208, lat=50.5445)
    item = archived_item(case_a, investigator, photo, name="yard.jpg", incidents=[inc])
    body = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()
    print("before", body["far_from_incidents"], body["incident_distances_m"])
    r = client_for(investigator).patch(f"/api/v1/incidents/{inc.pk}/", {"location": {"type": "Point", "coordinates": [30.2208, 50.5445]}}, format="json")
    print("patch", r.status_code, r.json().get("properties", {}).get("warnings") if r.status_code == 200 else r.content[:300])
    body = client_for(investigator).get(f"/api/v1/evidence/{item.pk}/").json()
    print("after", body["far_from_incidents"], body["incident_distances_m"])
    assert False
