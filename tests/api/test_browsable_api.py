"""The browsable API in a real browser session: signed in through the admin's login (with the one-time
code of an account with a second factor), the CSRF token taken from the page as DRF's script takes it.
Every form it shows can succeed: the raw JSON form on the routes that read JSON, the HTML form on the
evidence upload (which reads a file), and no other."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from evidence.models import Confidentiality, EvidenceItem, Incident, Role
from tests.factories import MembershipFactory, UserFactory, make_incident
from tests.otp import PASSWORD, current_code, enrol

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml"}


class Page(HTMLParser):
    """The forms of a page as a browser sees them: each form's attributes and its controls."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.textareas: dict[str, str] = {}
        self._select: dict | None = None
        self._textarea: str | None = None
        self._option: dict | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({**attrs, "controls": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["controls"].append({"tag": "input", **attrs})
        elif tag == "select" and self.forms:
            self._select = {"tag": "select", **attrs, "options": []}
            self.forms[-1]["controls"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(attrs)
        elif tag == "textarea":
            self._textarea = attrs.get("name", "")
            self.textareas[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self.textareas[self._textarea] += data


def csrf_token_of(page: str) -> str:
    """What DRF's csrf.js sends as X-CSRFToken: the token in the page's ``drf_csrf`` script."""
    script = re.search(r'<script type="application/json" id="drf_csrf">(.*?)</script>', page, re.S).group(1)
    return json.loads(script)["csrfToken"]


def signed_in(user, *, otp: bool) -> Client:
    """A browser (CSRF checks on) signed in through the admin's login page."""
    browser = Client(enforce_csrf_checks=True)
    login_page = Page(browser.get("/admin/login/").content.decode())
    (form,) = login_page.forms
    token = next(c["value"] for c in form["controls"] if c.get("name") == "csrfmiddlewaretoken")
    fields = {"username": user.username, "password": PASSWORD, "next": "/api/v1/", "csrfmiddlewaretoken": token}
    if otp:
        fields["otp"] = current_code(user)
    response = browser.post("/admin/login/", fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    return browser


@pytest.fixture
def lead(case_a, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = UserFactory(username="chief", is_staff=True)
    MembershipFactory(case=case_a, user=user, role=Role.LEAD)
    enrol(user)
    return user


def test_the_raw_json_form_creates_an_incident_in_a_session_opened_with_the_one_time_code(lead, case_a):
    browser = signed_in(lead, otp=True)
    page = browser.get("/api/v1/incidents/", **HTML).content.decode()
    raw = Page(page)
    body = json.loads(raw.textareas["_content"])
    body.update(
        case="UA-2022-BUCHA", title="Shelling of the hospital", occurred_from="2022-03-09",
        location={"type": "Point", "coordinates": [37.5497, 47.0951]}, crimes=["8(2)(b)(ix)"],
    )  # fmt: skip

    response = browser.post(
        "/api/v1/incidents/", json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=csrf_token_of(page)
    )

    assert response.status_code == 201, response.content
    assert Incident.objects.get().title == "Shelling of the hospital"
    selects = [c for form in raw.forms for c in form["controls"] if c.get("name") == "_content_type"]
    media_types = [option["value"] for select in selects for option in select["options"]]
    assert set(media_types) == {"application/json"}


def test_a_session_post_without_the_csrf_token_is_refused(lead, case_a):
    browser = signed_in(lead, otp=True)

    response = browser.post("/api/v1/incidents/", json.dumps({"case": case_a.pk}), content_type="application/json")

    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF token missing."}
    assert not Incident.objects.exists()


def test_a_session_opened_without_the_code_of_a_totp_account_cannot_post(lead, case_a):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(lead)  # not through the login page, so without the code
    page = browser.get("/api/v1/incidents/", **HTML)

    response = browser.post(
        "/api/v1/incidents/", json.dumps({}), content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_token_of(page.content.decode()),
    )  # fmt: skip

    assert page.status_code == 401
    assert response.status_code == 401
    assert "without the account's one-time code" in response.json()["detail"]


def browser_submission(form: dict, **chosen) -> dict:
    """What a browser sends for a form: each control's value, the selected option of each select (the
    first one, if none is marked), nothing for an untouched multiple select, and what the user chose."""
    data: dict = {}
    for control in form["controls"]:
        name = control.get("name")
        if not name or control.get("type") in ("submit", "button"):
            continue
        if control["tag"] == "select":
            if "multiple" in control:
                continue
            options = control["options"]
            selected = next((o for o in options if "selected" in o), options[0] if options else None)
            data[name] = selected["value"] if selected else ""
        elif control.get("type") == "file":
            continue
        elif control.get("type") == "checkbox":
            if "checked" in control:
                data[name] = control.get("value", "on")
        else:
            data[name] = control.get("value", "")
    return {**data, **chosen}


def test_the_upload_form_receives_a_file_with_only_the_choices_the_user_made(lead, case_a):
    browser = signed_in(lead, otp=True)
    page = Page(browser.get("/api/v1/evidence/", **HTML).content.decode())
    (upload_form,) = [form for form in page.forms if form.get("enctype") == "multipart/form-data"]
    assert "_content" not in page.textareas  # no raw JSON form: JSON cannot carry the file
    file = SimpleUploadedFile("протокол.txt", b"statement of the neighbour", "text/plain")

    response = browser.post(
        upload_form["action"], browser_submission(upload_form, file=file, title="Neighbour's statement"), **HTML
    )

    assert response.status_code == 201, response.content.decode()[-3000:]
    item = EvidenceItem.objects.get()
    assert (item.case, item.title, item.original_filename) == (case_a, "Neighbour's statement", "протокол.txt")
    assert item.confidentiality == Confidentiality.RESTRICTED  # the default, not the form's first option
    assert item.source_type == "other"


def test_the_upload_form_accepts_the_choices_and_incidents_the_user_picked(lead, case_a):
    incident = make_incident(case_a)
    browser = signed_in(lead, otp=True)
    page = Page(browser.get("/api/v1/evidence/", **HTML).content.decode())
    (upload_form,) = [form for form in page.forms if form.get("enctype") == "multipart/form-data"]
    file = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff not really a photo", "image/jpeg")
    chosen = {"file": file, "kind": "photo", "source_type": "witness", "incidents": [str(incident.pk)]}

    response = browser.post(upload_form["action"], browser_submission(upload_form, **chosen), **HTML)

    assert response.status_code == 201, response.content.decode()[-3000:]
    item = EvidenceItem.objects.get()
    assert (item.kind, item.source_type, list(item.incidents.all())) == ("photo", "witness", [incident])


WRITABLE_PAGES = [
    "/api/v1/cases/", "/api/v1/cases/{case}/", "/api/v1/cases/{case}/members/", "/api/v1/incidents/",
    "/api/v1/incidents/{incident}/", "/api/v1/persons/", "/api/v1/units/", "/api/v1/allegations/",
    "/api/v1/evidence/{item}/incidents/", "/api/v1/evidence/{item}/retry/", "/api/v1/exports/",
    "/api/v1/export-profiles/", "/api/v1/witnesses/", "/api/v1/victims/", "/api/v1/auth/token/",
    "/api/v1/auth/totp/", "/api/v1/auth/totp/confirm/",
]  # fmt: skip


def test_no_page_but_the_upload_offers_an_html_form_and_every_raw_form_sends_json(lead, case_a, member_of):
    from tests.workers.helpers import archived_item

    incident = make_incident(case_a)
    item = archived_item(case_a, lead, b"bytes")
    browser = signed_in(lead, otp=True)

    for route in WRITABLE_PAGES:
        url = route.format(case=case_a.pk, incident=incident.pk, item=item.pk)
        page = Page(browser.get(url, **HTML).content.decode())
        html_forms = [form for form in page.forms if form.get("enctype") == "multipart/form-data"]
        selects = [c for f in page.forms for c in f["controls"] if c.get("name") == "_content_type"]
        assert not html_forms, url
        assert selects, url
        assert all([o["value"] for o in select["options"]] == ["application/json"] for select in selects), url


def test_the_raw_form_of_an_incident_can_be_sent_back_as_it_is(lead, case_a):
    incident = make_incident(case_a, title="Before")
    browser = signed_in(lead, otp=True)
    page = browser.get(f"/api/v1/incidents/{incident.pk}/", **HTML).content.decode()
    body = json.loads(Page(page).textareas["_content"])
    body["properties"]["title"] = "After"

    response = browser.put(
        f"/api/v1/incidents/{incident.pk}/", json.dumps(body), content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_token_of(page),
    )  # fmt: skip

    assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert incident.title == "After"


def test_the_page_says_what_its_forms_take_and_links_nowhere_else(lead):
    browser = signed_in(lead, otp=True)

    page = browser.get("/api/v1/incidents/", **HTML).content.decode()

    assert "The forms on these pages send JSON" in page
    assert "django-rest-framework.org" not in page
