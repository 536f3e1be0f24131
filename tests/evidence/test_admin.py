"""The Django admin shows cases and their members but changes neither: every change goes through
the services, which audit it and keep a lead in every case."""

import pytest
from django.test import Client

from evidence.models import AuditEntry, CaseMembership, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in():
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_admin_cannot_change_a_cases_members(admin_client_logged_in, case_a, member_of):
    lead = member_of(case_a, Role.LEAD)
    url = f"/admin/evidence/case/{case_a.pk}/change/"

    page = admin_client_logged_in.get(url)
    response = admin_client_logged_in.post(
        url,
        {
            "reference": case_a.reference,
            "title": "Renamed in the admin",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": CaseMembership.objects.get(user=lead).pk,
            "memberships-0-case": case_a.pk,
            "memberships-0-role": Role.ANALYST,
            "memberships-0-DELETE": "on",
        },
    )

    assert page.status_code == 200
    assert b"View case" in page.content
    assert b'name="memberships-0-role"' not in page.content  # shown, not editable
    assert response.status_code == 403
    case_a.refresh_from_db()
    assert case_a.title == "Bucha"
    assert CaseMembership.objects.get(user=lead).role == Role.LEAD
    assert not AuditEntry.objects.exists()


def test_the_admin_cannot_add_or_delete_a_case(admin_client_logged_in, case_a):
    assert admin_client_logged_in.get("/admin/evidence/case/add/").status_code == 403
    assert admin_client_logged_in.post(f"/admin/evidence/case/{case_a.pk}/delete/", {"post": "yes"}).status_code == 403


def test_the_admin_neither_makes_api_tokens_nor_removes_second_factors(admin_client_logged_in):
    # A token made there would act as its user; a device removed there would leave no audit entry.
    assert admin_client_logged_in.get("/admin/authtoken/tokenproxy/add/").status_code == 404
    assert admin_client_logged_in.get("/admin/otp_totp/totpdevice/").status_code == 404
