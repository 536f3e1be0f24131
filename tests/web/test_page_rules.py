"""web.pages.Page applies any rule of the vocabulary, shown on a page of the rule EXPORT that exists only
in this test (tests/web/urls_with_an_export_page.py)."""

import pytest
from django.test import Client

from evidence.models import Role
from tests.otp import PASSWORD, current_code, enrol
from web import access

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.web.urls_with_an_export_page")]

URL = "/cases/UA-2022-BUCHA/export-test/"


@pytest.fixture(autouse=True)
def export_page(monkeypatch):
    monkeypatch.setitem(access.PAGES, "export-test", {"GET": access.EXPORT})


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_page_follows_the_roles_table(case_a, case_b, member_of):
    answers = {role: signed_in(member_of(case_a, role)).get(URL).status_code for role in Role.values}

    assert answers == {"lead": 200, "investigator": 403, "analyst": 403, "legal": 200}
    assert signed_in(member_of(case_b, Role.LEAD)).get(URL).status_code == 404


def test_the_page_knows_its_case_and_the_role(case_a, member_of):
    assert signed_in(member_of(case_a, Role.LEGAL)).get(URL).content == b"export of UA-2022-BUCHA as legal"


def test_with_slid_require_totp_an_export_page_needs_a_session_opened_with_the_code(case_a, member_of, settings):
    settings.SLID_REQUIRE_TOTP = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    without_factor = member_of(case_a, Role.LEGAL, username="without")
    with_factor = member_of(case_a, Role.LEGAL, username="with")
    enrol(with_factor)
    by_code = Client()
    by_code.post("/signin/", {"username": "with", "password": PASSWORD, "otp": current_code(with_factor)})

    refused = signed_in(without_factor).get(URL)

    assert refused.status_code == 403 and b"does not have yet" in refused.content
    assert by_code.get(URL).status_code == 200
