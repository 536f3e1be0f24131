"""Every page of the workspace and its methods, against the one table of who may open what
(web.access.PAGES), for every kind of visitor.

The pages come from the URL configuration, so a page added later cannot escape: it fails here until the
table has its rule, this module a sample request for it (REQUESTS) and, for a new URL keyword, a sample
value (SAMPLE_KWARGS). Each page is then asked by an anonymous visitor, a staff user in no case, the lead
of another case, each role of the case, a superuser and a newcomer whose password a staff member issued.
A page that names an object of the case besides the case itself is also asked with another case's
reference in its URL, by a lead of both cases: the object is not of that case, so the answer is 404.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from evidence.models import IssuedPassword, Role
from evidence.selectors.access import Action, role_allows
from tests.factories import UserFactory, make_incident
from tests.otp import PASSWORD
from web.access import AUTHENTICATED, BEFORE_PASSWORD_CHANGE, CASE_KWARG, PAGES, PUBLIC, STAFF
from web.pages import Page

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}
NEW_PASSWORD = "a passphrase of my own choosing"


def web_pages() -> dict[str, tuple[URLPattern, set[str]]]:
    """{url name: (pattern, the methods its view answers)} for every page of the ``web`` namespace."""
    pages: dict[str, tuple[URLPattern, set[str]]] = {}

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and namespace == "web":
                view_class = getattr(pattern.callback, "view_class", None)
                methods = {m.upper() for m in METHODS if view_class and hasattr(view_class, m)}
                pages[pattern.name] = (pattern, methods)

    walk(get_resolver().url_patterns, "")
    return pages


def test_every_page_and_method_has_a_rule_and_every_rule_a_page():
    assert {name: methods for name, (_, methods) in web_pages().items()} == {
        name: set(rules) for name, rules in PAGES.items()
    }


def test_every_page_is_a_page_that_applies_the_table():
    for name, (pattern, _) in web_pages().items():
        view_class = getattr(pattern.callback, "view_class", None)
        assert view_class is not None and issubclass(view_class, Page), f"web:{name} is not a web.pages.Page"


def test_every_case_page_names_its_case_in_its_url():
    for name, (pattern, _) in web_pages().items():
        case_rules = [rule for rule in PAGES[name].values() if isinstance(rule, Action)]
        if case_rules:
            assert CASE_KWARG in pattern.pattern.converters, f"web:{name} has a case rule but no <{CASE_KWARG}>"


def test_the_rules_are_of_the_vocabulary():
    for name, rules in PAGES.items():
        for method, rule in rules.items():
            assert rule in (PUBLIC, AUTHENTICATED, STAFF) or isinstance(rule, Action), (name, method, rule)


@dataclass
class World:
    case: object
    other_case: object
    users: dict
    incident: object


@pytest.fixture
def world(case_a, case_b):
    users = {role: UserFactory(username=f"{role}-of-a") for role in Role.values}
    for role, user in users.items():
        case_a.memberships.create(user=user, role=role)
    users["outsider"] = UserFactory(username="lead-of-b")
    case_b.memberships.create(user=users["outsider"], role=Role.LEAD)
    users["staff"] = UserFactory(username="staff", is_staff=True)
    users["superuser"] = UserFactory(username="root", is_staff=True, is_superuser=True)
    users["newcomer"] = UserFactory(username="newcomer")
    case_a.memberships.create(user=users["newcomer"], role=Role.LEAD)
    IssuedPassword.objects.create(user=users["newcomer"], expires_at=timezone.now() + timedelta(days=1))
    return World(case=case_a, other_case=case_b, users=users, incident=make_incident(case_a))


# A sample value for each URL keyword of the pages. A page naming an object adds its keyword here, with
# an object of ``w.case`` (create it in ``world`` if none fits).
SAMPLE_KWARGS: dict[str, Callable[[World], object]] = {
    CASE_KWARG: lambda w: w.case.reference,
    "incident": lambda w: w.incident.pk,
    "package": lambda w: sample_export(w).public_id,
    "member": lambda w: w.users[Role.INVESTIGATOR].pk,
    "person": lambda w: sample_record(w)["person"].pk,
    "unit": lambda w: sample_record(w)["unit"].pk,
    "evidence": lambda w: sample_archived_evidence(w).pk,
    "protected_person": lambda w: sample_protected_person(w).pk,
    # An upload is its owner's alone, so no visitor has this one: those the case's rule admits get 404
    # (tests/web/test_upload.py walks an upload of one's own).
    "upload": lambda w: SAMPLE_UPLOAD,
}
SAMPLE_UPLOAD = "6f1c1a9e-4c1e-4d83-9a55-0b1f4a3c2e77"


# (body, the status a permitted caller gets, and the redirect's target if it is one) for each page.
def request_for(w: World, name: str, method: str) -> tuple[dict | None, int, str | None]:
    table = {
        ("signin", "GET"): (None, 200, None),
        ("signin", "POST"): ({"username": "lead-of-a", "password": PASSWORD}, 302, "/"),
        ("signout", "POST"): ({}, 302, "/signin/"),
        ("signout-everywhere", "POST"): ({}, 302, "/signin/"),
        ("password", "GET"): (None, 200, None),
        ("password", "POST"): (
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}, 302, "/",
        ),
        ("case-list", "GET"): (None, 200, None),
        ("case-home", "GET"): (None, 200, None),
        ("case-map", "GET"): ({"z": "6", "x": "37", "y": "21"}, 200, None),
        ("map-outline", "GET"): (None, 200, None),
        ("map-areas", "GET"): ({"z": "6", "x": "37", "y": "21"}, 200, None),
        # A new incident's address holds its id, unknown here: the sample is refused for want of a location
        # (tests/web/test_incidents.py records one).
        ("incident-create", "GET"): (None, 200, None),
        ("incident-create", "POST"): ({"title": "No location"}, 400, None),
        ("incident-location-check", "POST"): ({"location": "POINT(30.52 50.45)"}, 200, None),
        ("incident-detail", "GET"): (None, 200, None),
        ("incident-edit", "GET"): (None, 200, None),
        ("incident-edit", "POST"): (
            {"title": "Shelling of a residential block, corrected", "location": "POINT(30.52 50.45)",
             "occurred_from_date": "2022-03-05", "date_precision": "day", "status": "draft"},
            302, f"/cases/{w.case.reference}/incidents/{w.incident.pk}/",
        ),
        ("incident-evidence-link", "POST"): (
            {"ern": sample_evidence(w).ern} if name == "incident-evidence-link" else None,
            302, f"/cases/{w.case.reference}/incidents/{w.incident.pk}/#evidence",
        ),
        # A package's page and its address are of one export; the sample is still queued, so its download
        # answers 409 to those who may have it (tests/web/test_packages.py downloads a built one).
        ("package-list", "GET"): (None, 200, None),
        ("package-list", "POST"): (
            {"incidents": [w.incident.pk], "profile": "default"}, 302, f"/cases/{w.case.reference}/packages/",
        ),
        ("package", "GET"): (None, 200, None),
        ("package-download", "GET"): (None, 409, None),
        ("audit", "GET"): (None, 200, None),
        ("members", "GET"): (None, 200, None),
        ("members", "POST"): (
            {"by": "username", "name": "staff", "role": "analyst"}, 302, f"/cases/{w.case.reference}/members/",
        ),
        ("member-role", "POST"): ({"role": "analyst"}, 302, f"/cases/{w.case.reference}/members/"),
        ("member-remove", "POST"): ({}, 302, f"/cases/{w.case.reference}/members/"),
        ("people", "GET"): (None, 200, None),
        ("person", "GET"): (None, 200, None),
        ("unit", "GET"): (None, 200, None),
        ("account-settings", "GET"): (None, 200, None),
        ("account-settings", "POST"): ({"media_blur": "always"}, 302, "/account/settings/"),
        # Evidence: the media route needs the view id its page gives (web.views.evidence.media_view_token).
        ("evidence-list", "GET"): (None, 200, None),
        ("evidence-detail", "GET"): (None, 200, None),
        ("evidence-media", "GET"): (
            {"view": sample_media_view(w)} if name == "evidence-media" else None, 200, None,
        ),
        ("evidence-graphic", "POST"): (
            {"graphic": "true"}, 302, sample_evidence_page(w) if name == "evidence-graphic" else None,
        ),
        # Witnesses and victims: the sample person names every member of the case a reader, so each may reveal
        # it (tests/web/test_witnesses_pages.py: a member who is not one gets 403).
        ("protected-person-list", "GET"): (None, 200, None),
        ("protected-person-detail", "GET"): (None, 200, None),
        ("protected-person-reveal", "POST"): ({}, 200, None),
        # Uploading: the resumable routes speak tus, and a sample without its Tus-Resumable header is refused
        # (412) once the rule has admitted the caller; the sample upload is nobody's (tests/web/test_upload.py
        # speaks the protocol, with uploads of one's own).
        ("upload", "GET"): (None, 200, None),
        ("upload-receipt", "GET"): (None, 200, None),
        ("uploads", "GET"): (None, 200, None),
        ("uploads", "POST"): ({}, 412, None),
        ("upload-resource", "GET"): (None, 404, None),
        ("upload-resource", "PATCH"): ({}, 404, None),
        ("upload-resource", "DELETE"): ({}, 404, None),
    }  # fmt: skip
    assert (name, method) in table, f"add a sample request for web:{name} {method} to request_for"
    return table[(name, method)]


def sample_archived_evidence(w: World):
    """An archived item of the case (its bytes in the archive), for the evidence pages and the media route."""
    if not hasattr(w, "archived_evidence"):
        from tests.workers.helpers import archived_item

        lead = w.case.memberships.filter(role=Role.LEAD).first().user
        w.archived_evidence = archived_item(w.case, lead, b"a scanned statement", name="statement.txt")
    return w.archived_evidence


def sample_evidence_page(w: World) -> str:
    return f"/cases/{w.case.reference}/evidence/{sample_archived_evidence(w).pk}/"


def sample_media_view(w: World) -> str:
    from web.views.evidence import media_view_token

    return media_view_token(sample_archived_evidence(w))


def sample_protected_person(w: World):
    """A witness of the case whose readers are all the case's members."""
    if not hasattr(w, "protected_person"):
        from evidence.services.witnesses import protected_person_create

        lead = w.users[Role.LEAD]
        members = [membership.user for membership in w.case.memberships.select_related("user")]
        w.protected_person = protected_person_create(
            actor=lead, case=w.case, kind="witness", identity={"full_name": "Mariia Sample"}, readers=members
        )
    return w.protected_person


def sample_evidence(w: World):
    """An item of the case, not linked to the sample incident, received once for the whole walk."""
    if not hasattr(w, "evidence"):
        from django.core.files.base import ContentFile

        from evidence.services.intake import evidence_receive

        lead = w.case.memberships.filter(role=Role.LEAD).first().user
        upload = ContentFile(b"a photograph", name="IMG_0001.jpg")
        w.evidence = evidence_receive(actor=lead, case=w.case, upload=upload, original_filename="IMG_0001.jpg")
    return w.evidence


def sample_export(w: World):
    """A package of the case, requested once for the whole walk (still queued: nothing builds it here)."""
    if not hasattr(w, "export"):
        from evidence.models import Export

        lead = w.case.memberships.filter(role=Role.LEAD).first().user
        w.export = Export.objects.create(case=w.case, requested_by=lead, incident_ids=[w.incident.pk])
    return w.export


def sample_record(w: World) -> dict:
    """A suspect serving in a unit under another unit, recorded once for the whole walk."""
    if not hasattr(w, "record"):
        from evidence.services.record import person_create, unit_create

        lead = w.case.memberships.filter(role=Role.LEAD).first().user
        army = unit_create(actor=lead, case=w.case, name="58-я общевойсковая армия")
        brigade = unit_create(actor=lead, case=w.case, name="64-я отдельная мотострелковая бригада", parent=army)
        person = person_create(actor=lead, case=w.case, full_name="Азатбек Омурбеков", unit=brigade)
        w.record = {"unit": brigade, "person": person}
    return w.record


# What a signed-in visitor gets where it differs from what the page answers an anonymous one.
SIGNED_IN_ANSWERS = {("signin", "GET"): (302, "/")}
# Routes a page's script calls tell a signed-out visitor to sign in again (403, JSON) instead of sending
# the sign-in page, which the script could not show.
SIGNED_OUT_ANSWERS = {"uploads": 403, "upload-resource": 403}


def url_for(w: World, name: str, *, reference: str | None = None) -> str:
    pattern, _ = web_pages()[name]
    missing = set(pattern.pattern.converters) - set(SAMPLE_KWARGS)
    assert not missing, f"web:{name}: add a sample value for {missing} to SAMPLE_KWARGS"
    kwargs = {key: SAMPLE_KWARGS[key](w) for key in pattern.pattern.converters}
    if reference is not None:
        kwargs[CASE_KWARG] = reference
    return reverse(f"web:{name}", kwargs=kwargs)


def call(client: Client, method: str, url: str, body):
    with transaction.atomic():  # every visitor meets the same world
        response = getattr(client, method.lower())(url, body)
        transaction.set_rollback(True)
    return response


def signed_in_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


ROWS = sorted((name, method) for name, rules in PAGES.items() for method in rules)


@pytest.mark.parametrize(("name", "method"), ROWS, ids=[f"{m} {n}" for n, m in ROWS])
def test_the_page_follows_its_rule(name, method, world):
    rule = PAGES[name][method]
    url = url_for(world, name)
    body, ok, target = request_for(world, name, method)

    anonymous = call(Client(), method, url, body)
    if rule == PUBLIC:
        assert (anonymous.status_code, anonymous.get("Location")) == (ok, target), (name, method)
    elif name in SIGNED_OUT_ANSWERS:
        assert anonymous.status_code == SIGNED_OUT_ANSWERS[name], (name, method, anonymous.status_code)
    else:
        assert anonymous.status_code == 302, (name, method, anonymous.status_code)
        assert anonymous["Location"].startswith("/signin/"), (name, method, anonymous["Location"])

    visitors = {**{role: world.users[role] for role in Role.values}}
    visitors.update({who: world.users[who] for who in ("outsider", "staff", "superuser", "newcomer")})
    for who, user in visitors.items():
        response = call(signed_in_as(user), method, url, body)
        role = who if who in Role.values else None
        if who == "newcomer" and name not in BEFORE_PASSWORD_CHANGE:
            expected = (302, reverse("web:password"))
        elif rule in (PUBLIC, AUTHENTICATED):
            expected = SIGNED_IN_ANSWERS.get((name, method), (ok, target))
        elif rule == STAFF:
            expected = (ok, target) if who in ("staff", "superuser") else (403, None)
        elif who == "superuser":
            expected = (ok, target)
        elif role is None:  # a case page, asked by someone who is not in the case
            expected = (404, None)
        else:
            expected = (ok, target) if role_allows(role, rule) else (403, None)
        assert (response.status_code, response.get("Location")) == expected, (name, method, who, response.content[:300])


CASE_PAGES = sorted(
    (name, method)
    for name, rules in PAGES.items()
    for method, rule in rules.items()
    if isinstance(rule, Action) and set(web_pages()[name][0].pattern.converters) - {CASE_KWARG}
)


def test_an_object_of_one_case_is_not_found_under_another(world):
    """A lead of both cases asks each case page for an object of case A under case B's reference. None of
    the foundation's pages names an object yet: the pages built on it (incidents, evidence…) are checked
    here as soon as they exist."""
    both = UserFactory(username="lead-of-both")
    for case in (world.case, world.other_case):
        case.memberships.create(user=both, role=Role.LEAD)
    for name, method in CASE_PAGES:
        body, _, _ = request_for(world, name, method)
        url = url_for(world, name, reference=world.other_case.reference)
        response = call(signed_in_as(both), method, url, body)
        assert response.status_code == 404, (name, method, response.status_code)


def test_a_case_that_does_not_exist_and_a_foreign_one_look_alike(world):
    outsider = signed_in_as(world.users["outsider"])

    foreign = outsider.get(url_for(world, "case-home", reference=world.case.reference))
    missing = outsider.get(url_for(world, "case-home", reference="UA-2099-NOWHERE"))

    assert foreign.status_code == missing.status_code == 404
    assert page_text(foreign, world.case.reference) == page_text(missing, "UA-2099-NOWHERE")


def page_text(response, reference: str) -> str:
    """The page without the reference asked for and without its CSRF tokens (masked anew each time)."""
    text = response.content.decode().replace(reference, "")
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", text)


def test_a_method_a_page_does_not_have_is_405(world):
    client = signed_in_as(world.users[Role.LEAD])

    assert client.delete(url_for(world, "case-home")).status_code == 405
    assert client.get(reverse("web:signout")).status_code == 405


def test_a_session_of_an_account_with_a_second_factor_opened_without_its_code_does_not_count(world):
    from tests.otp import enrol

    lead = world.users[Role.LEAD]
    enrol(lead)  # after the session was opened (force_login gives no code)

    response = signed_in_as(lead).get(url_for(world, "case-home"))

    assert response.status_code == 302 and response["Location"].startswith("/signin/")


def test_an_htmx_request_without_a_session_is_sent_to_sign_in_as_a_whole_page(world):
    response = Client().get(reverse("web:case-list"), headers={"HX-Request": "true"})

    assert (response.status_code, response["HX-Redirect"]) == (204, "/signin/")


@pytest.mark.parametrize("query", ["ab\x00cd", "x" * 10_000, "%", "_", "' OR 1=1 --", "Буча"])
def test_hostile_searches_of_the_case_list_are_answered(world, query):
    """None of them matches the case ("%" and "_" are not wildcards); none is a 500 (PostgreSQL refuses NUL)."""
    client = signed_in_as(world.users[Role.LEAD])
    response = client.get(reverse("web:case-list"), {"q": query}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert world.case.reference not in response.content.decode()
    assert (
        world.case.reference
        in client.get(reverse("web:case-list"), {"q": "bucha"}, headers={"HX-Request": "true"}).content.decode()
    )


UNSAFE_ROWS = [(name, method) for name, method in ROWS if method != "GET"]


@pytest.mark.parametrize(("name", "method"), UNSAFE_ROWS, ids=[f"{m} {n}" for n, m in UNSAFE_ROWS])
def test_every_write_is_refused_without_its_csrf_token(name, method, world):
    """Every POST, PATCH and DELETE of the workspace, by someone its rule admits (a superuser), with the CSRF
    cookie but without the token: 403, whatever the page would have answered with it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["superuser"])
    client.get(reverse("web:case-list"))  # the page sets the CSRF cookie
    body, _, _ = request_for(world, name, method)

    response = call(client, method, url_for(world, name), body)

    assert response.status_code == 403, (name, method, response.status_code)
    assert b"CSRF" in response.content or b"form" in response.content.lower(), response.content[:300]


@pytest.mark.parametrize(
    ("name", "method"),
    [row for row in ROWS if row[1] == "GET"],
    ids=[f"HEAD {n}" for n, m in ROWS if m == "GET"],
)
def test_head_follows_the_rule_of_get(name, method, world):
    """HEAD is answered as GET would be (web.access.rule_for): the same refusals, to the same visitors."""
    rule = PAGES[name]["GET"]
    url = url_for(world, name)
    body, _, _ = request_for(world, name, "GET")
    for who in ("outsider", *Role.values):
        user = world.users[who]
        get = call(signed_in_as(user), "GET", url, body)
        head = call(signed_in_as(user), "HEAD", url, body)
        assert head.status_code == get.status_code, (name, who, head.status_code, get.status_code)
        if isinstance(rule, Action) and who == "outsider":
            assert head.status_code == 404, (name, who)
