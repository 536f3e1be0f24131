import re, html
import pytest
from rest_framework.test import APIClient
from evidence.models import Role
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

def test_explore(member_of, case_a, settings):
    u = member_of(case_a, Role.LEAD, is_staff=True)
    inc = make_incident(case_a)
    c = APIClient()
    c.force_login(u)
    for url in ["/api/v1/cases/", f"/api/v1/cases/{case_a.pk}/", f"/api/v1/cases/{case_a.pk}/members/", "/api/v1/incidents/", f"/api/v1/incidents/{inc.pk}/", "/api/v1/evidence/", "/api/v1/exports/", "/api/v1/export-profiles/", "/api/v1/witnesses/", "/api/v1/persons/", "/api/v1/allegations/", "/api/v1/auth/token/", "/api/v1/auth/totp/"]:
        r = c.get(url, HTTP_ACCEPT="text/html")
        t = r.content.decode()
        forms = re.findall(r'<textarea[^>]*data-override="content"[^>]*>(.*?)</textarea>', t, re.S)
        htmlforms = len(re.findall(r'<form action="[^"]*" method="POST" enctype="multipart/form-data"', t))
        print(url, r.status_code, "raw:", [html.unescape(f)[:300].replace("\n", " ") for f in forms], "htmlforms:", htmlforms)
