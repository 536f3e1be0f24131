"""Every route and method of the API, against the one table of who may do what (api.access).

The routes come from the URL configuration, so an endpoint added later cannot escape: it fails
here until the table has a rule for it. Each row is then called by anyone (no token), by a
staff user who is in no case, by a lead of another case, and by each role of the case."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from api.access import ACCESS, ANY_CASE_MEMBER, AUTHENTICATED, BEFORE_PASSWORD_CHANGE, PUBLIC, STAFF
from api.permissions import CHOOSE_YOUR_OWN_FIRST
from evidence.models import ApiToken, IssuedPassword, Role
from evidence.selectors.access import Action, role_allows
from evidence.services.assessments import assessment_create
from evidence.services.checkpoints import checkpoint_build
from evidence.services.export_profiles import export_profile_create
from evidence.services.packages import export_request
from evidence.services.record import allegation_create, person_assignment_create, person_create, unit_create
from evidence.services.relations import evidence_relate
from evidence.services.reviews import evidence_check, review_submit
from evidence.services.witnesses import protected_person_create
from tests.factories import UserFactory, make_area, make_incident
from tests.tokens import token_for
from tests.workers.helpers import archived_item
from workers import common, exports

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a passphrase of my own choosing"
METHODS = {"get", "post", "put", "patch", "delete"}


def api_routes() -> dict[str, set[str]]:
    """{url name: methods it answers} for every route under /api/v1/."""
    routes: dict[str, set[str]] = {}

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and namespace == "api":
                view = pattern.callback
                if hasattr(view, "actions"):
                    methods = set(view.actions) - {"head"}  # DRF adds HEAD (as GET) on first use
                else:
                    view_class = getattr(view, "view_class", None) or view.cls
                    methods = {m for m in METHODS if hasattr(view_class, m)}
                routes.setdefault(pattern.name, set()).update(m.upper() for m in methods)

    walk(get_resolver().url_patterns, "")
    return routes


def test_every_route_and_method_has_a_rule_and_every_rule_a_route():
    routes = api_routes()
    table = {name: set(rules) for name, rules in ACCESS.items()}

    assert routes == table


@dataclass
class World:
    case: object
    other_case: object
    users: dict
    incident: object
    spare_incident: object
    person: object
    unit: object
    allegation: object
    item: object
    export: object
    area: object
    witness: object
    victim: object
    assignment: object
    relation: object
    # Review: an assessment in draft; an incident, an item (checklist ticked) and an assessment under review,
    # each last changed by the investigator, so that a lead or a legal member may verify them.
    assessment: object
    review_incident: object
    review_item: object
    review_assessment: object
    profile: object = None


@pytest.fixture
def world(case_a, case_b):
    users = {role: UserFactory(username=f"{role}-of-a") for role in Role.values}
    for role, user in users.items():
        case_a.memberships.create(user=user, role=role)
    users["outsider"] = UserFactory(username="lead-of-b")
    case_b.memberships.create(user=users["outsider"], role=Role.LEAD)
    users["in no case"] = UserFactory(username="in-no-case")
    users["staff"] = UserFactory(username="staff", is_staff=True)
    users["newcomer"] = UserFactory(username="newcomer")
    token_for(users["newcomer"], "phone")
    lead = users[Role.LEAD]
    incident = make_incident(case_a)
    person = person_create(actor=lead, case=case_a, full_name="Ivan Petrov")
    unit = unit_create(actor=lead, case=case_a, name="Brigade")
    allegation = allegation_create(actor=lead, case=case_a, incident=incident, person=person, role="present")
    item = archived_item(case_a, lead, b"testimony", name="statement.txt", incidents=[incident])
    export = export_request(actor=lead, case=case_a, evidence=[item])
    exports.build_export(export.pk, agent=common.worker_agent("test"))
    checkpoint_build()  # so that the item has an inclusion proof
    transcript = archived_item(case_a, lead, b"transcript", name="transcript.txt")
    investigator = users[Role.INVESTIGATOR]
    review_incident = make_incident(case_a, actor=investigator, crimes=["8(2)(a)(i)"], status="under_review")
    assessment = assessment_create(
        actor=investigator, case=case_a, evidence=item, incident=review_incident, crime="8(2)(a)(i)",
        element="crime:8(2)(a)(i):1", relevance="Shows the body", probative_value="high", directness="direct",
    )  # fmt: skip
    review_assessment = assessment_create(
        actor=investigator, case=case_a, evidence=item, incident=review_incident, crime="8(2)(a)(i)",
        element="crime:8(2)(a)(i):2", relevance="Civilian clothes", probative_value="medium", directness="direct",
    )  # fmt: skip
    review_submit(actor=investigator, obj=review_assessment)
    review_item = archived_item(case_a, investigator, b"a second view of the street", name="street.txt")
    review_submit(actor=investigator, obj=review_item)
    for box in ("source", "content", "geolocation", "chronolocation", "corroborated"):
        evidence_check(
            actor=lead, item=review_item, box=box, note="checked", corroborating=[item] if box == "corroborated" else []
        )
    return World(
        case=case_a, other_case=case_b, users=users, incident=incident, spare_incident=make_incident(case_a),
        person=person, unit=unit, allegation=allegation, item=item, export=export,
        area=make_area("Kyivska", (29.0, 49.0, 32.0, 51.5)),
        witness=protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "W"}),
        victim=protected_person_create(actor=lead, case=case_a, kind="victim", identity={"full_name": "V"}),
        assignment=person_assignment_create(actor=lead, person=person, rank="Major", valid_from=date(2022, 1, 1)),
        relation=evidence_relate(actor=lead, item=transcript, target=item, kind="transcript_of"),
        assessment=assessment, review_incident=review_incident, review_item=review_item,
        review_assessment=review_assessment,
        profile=export_profile_create(actor=lead, case=case_a, name="chamber", columns=[{"column": "E",
                                                                                         "field": "ern"}]),
    )  # fmt: skip


def feature(w: World, **properties) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [30.5, 50.4]},
        "properties": {"case": w.case.pk, "title": "Shelling", "occurred_from": "2022-03-04", **properties},
    }


# (url, body, format, the answer a permitted caller gets) for each row of the table.
def request_for(w: World, name: str, method: str) -> tuple[str, object, str, int]:
    c, i, p, u, a, e, x = w.case, w.incident, w.person, w.unit, w.allegation, w.item, w.export
    upload = {"file": SimpleUploadedFile("new.txt", b"new evidence"), "case": c.pk}
    newcomer = w.users["newcomer"]
    newcomers_token = ApiToken.objects.get(user=newcomer).pk
    table = {
        ("api-root", "GET"): ("/api/v1/", None, 200),
        ("health", "GET"): ("/api/v1/health/", None, 200),
        ("auth-token", "POST"): ("/api/v1/auth/token/", {"username": "lead-of-a", "password": PASSWORD}, 200),
        ("auth-token", "DELETE"): ("/api/v1/auth/token/", None, 204),
        ("auth-tokens", "GET"): ("/api/v1/auth/tokens/", None, 200),
        ("auth-tokens", "DELETE"): ("/api/v1/auth/tokens/", None, 204),
        # Another user's token: 404 for everyone (revoking one's own is in tests/api/test_tokens.py).
        ("auth-token-detail", "DELETE"): (f"/api/v1/auth/tokens/{newcomers_token}/", None, 404),
        ("auth-totp", "POST"): ("/api/v1/auth/totp/", {"current_password": PASSWORD}, 201),
        ("auth-totp", "DELETE"): ("/api/v1/auth/totp/", None, 204),
        ("auth-totp-confirm", "POST"): ("/api/v1/auth/totp/confirm/", {"code": "000000"}, 400),  # no device
        ("auth-password", "POST"): (
            "/api/v1/auth/password/", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, 200,
        ),
        ("schema", "GET"): ("/api/v1/schema/", None, 200),
        ("docs", "GET"): ("/api/v1/docs/", None, 200),
        ("redoc", "GET"): ("/api/v1/redoc/", None, 200),
        ("case-list", "GET"): ("/api/v1/cases/", None, 200),
        ("case-list", "POST"): ("/api/v1/cases/", {"reference": "UA-NEW-1", "title": "New"}, 201),
        ("case-detail", "GET"): (f"/api/v1/cases/{c.pk}/", None, 200),
        ("case-detail", "PUT"): (f"/api/v1/cases/{c.pk}/", {"reference": c.reference, "title": "T"}, 200),
        ("case-detail", "PATCH"): (f"/api/v1/cases/{c.pk}/", {"title": "T"}, 200),
        ("case-members", "GET"): (f"/api/v1/cases/{c.pk}/members/", None, 200),
        ("case-members", "POST"): (
            f"/api/v1/cases/{c.pk}/members/", {"username": "newcomer", "role": "analyst"}, 201,
        ),
        ("case-member", "DELETE"): (f"/api/v1/cases/{c.pk}/members/{w.users[Role.ANALYST].pk}/", None, 204),
        ("case-audit", "GET"): (f"/api/v1/cases/{c.pk}/audit/", None, 200),
        ("audit-list", "GET"): ("/api/v1/audit/", None, 200),
        ("user-list", "GET"): ("/api/v1/users/", None, 200),
        ("user-list", "POST"): ("/api/v1/users/", {"username": "colleague", "email": "colleague@example.org"}, 201),
        ("user-detail", "GET"): (f"/api/v1/users/{newcomer.pk}/", None, 200),
        ("user-deactivate", "POST"): (f"/api/v1/users/{newcomer.pk}/deactivate/", None, 200),
        ("user-activate", "POST"): (f"/api/v1/users/{newcomer.pk}/activate/", None, 200),
        ("user-password", "POST"): (f"/api/v1/users/{newcomer.pk}/password/", None, 200),
        ("incident-list", "GET"): ("/api/v1/incidents/", None, 200),
        ("incident-list", "POST"): ("/api/v1/incidents/", feature(w), 201),
        ("incident-detail", "GET"): (f"/api/v1/incidents/{i.pk}/", None, 200),
        ("incident-detail", "PUT"): (f"/api/v1/incidents/{i.pk}/", feature(w), 200),
        ("incident-detail", "PATCH"): (f"/api/v1/incidents/{i.pk}/", {"title": "T"}, 200),
        ("incident-revisions", "GET"): (f"/api/v1/incidents/{i.pk}/revisions/", None, 200),
        ("person-list", "GET"): ("/api/v1/persons/", None, 200),
        ("person-list", "POST"): ("/api/v1/persons/", {"case": c.pk, "full_name": "P"}, 201),
        ("person-detail", "GET"): (f"/api/v1/persons/{p.pk}/", None, 200),
        ("person-detail", "PUT"): (f"/api/v1/persons/{p.pk}/", {"case": c.pk, "full_name": "P"}, 200),
        ("person-detail", "PATCH"): (f"/api/v1/persons/{p.pk}/", {"rank": "Major"}, 200),
        ("person-revisions", "GET"): (f"/api/v1/persons/{p.pk}/revisions/", None, 200),
        ("person-assignments", "GET"): (f"/api/v1/persons/{p.pk}/assignments/", None, 200),
        ("person-assignments", "POST"): (
            f"/api/v1/persons/{p.pk}/assignments/", {"rank": "Colonel", "valid_from": "2023-06-01"}, 201,
        ),
        ("person-assignment", "PATCH"): (
            f"/api/v1/persons/{p.pk}/assignments/{w.assignment.pk}/", {"position": "Commander"}, 200,
        ),
        ("person-assignment-revisions", "GET"): (
            f"/api/v1/persons/{p.pk}/assignments/{w.assignment.pk}/revisions/", None, 200,
        ),
        ("unit-list", "GET"): ("/api/v1/units/", None, 200),
        ("unit-list", "POST"): ("/api/v1/units/", {"case": c.pk, "name": "U"}, 201),
        ("unit-detail", "GET"): (f"/api/v1/units/{u.pk}/", None, 200),
        ("unit-detail", "PUT"): (f"/api/v1/units/{u.pk}/", {"case": c.pk, "name": "U"}, 200),
        ("unit-detail", "PATCH"): (f"/api/v1/units/{u.pk}/", {"notes": "n"}, 200),
        ("unit-revisions", "GET"): (f"/api/v1/units/{u.pk}/revisions/", None, 200),
        ("allegation-list", "GET"): ("/api/v1/allegations/", None, 200),
        ("allegation-list", "POST"): (
            "/api/v1/allegations/", {"incident": i.pk, "unit": u.pk, "role": "unit_in_control"}, 201,
        ),
        ("allegation-detail", "GET"): (f"/api/v1/allegations/{a.pk}/", None, 200),
        ("allegation-detail", "PUT"): (
            f"/api/v1/allegations/{a.pk}/", {"incident": i.pk, "person": p.pk, "role": "commander"}, 200,
        ),
        ("allegation-detail", "PATCH"): (f"/api/v1/allegations/{a.pk}/", {"basis": "b"}, 200),
        ("allegation-revisions", "GET"): (f"/api/v1/allegations/{a.pk}/revisions/", None, 200),
        ("admin-area-list", "GET"): ("/api/v1/admin-areas/", None, 200),
        ("admin-area-detail", "GET"): (f"/api/v1/admin-areas/{w.area.pk}/", None, 200),
        ("crime-list", "GET"): ("/api/v1/crimes/", None, 200),
        ("crime-detail", "GET"): ("/api/v1/crimes/8(2)(a)(i)/", None, 200),
        ("national-offence-list", "GET"): ("/api/v1/national-offences/", None, 200),
        ("national-offence-detail", "GET"): ("/api/v1/national-offences/438(1)/", None, 200),
        ("evidence-list", "GET"): ("/api/v1/evidence/", None, 200),
        ("evidence-list", "POST"): ("/api/v1/evidence/", upload, 201),
        ("evidence-detail", "GET"): (f"/api/v1/evidence/{e.pk}/", None, 200),
        # What lawyers may correct too (the rule is WRITE or DISCLOSE); the title is for those who write.
        ("evidence-detail", "PATCH"): (f"/api/v1/evidence/{e.pk}/", {"exculpatory": True}, 200),
        ("evidence-revisions", "GET"): (f"/api/v1/evidence/{e.pk}/revisions/", None, 200),
        ("evidence-unlink", "POST"): (
            f"/api/v1/evidence/{e.pk}/unlink/", {"incident": i.pk, "reason": "linked by mistake"}, 200,
        ),
        ("evidence-custody", "GET"): (f"/api/v1/evidence/{e.pk}/custody/", None, 200),
        ("evidence-custody-proof", "GET"): (f"/api/v1/evidence/{e.pk}/custody/proof/", None, 200),
        ("evidence-custody-report", "GET"): (f"/api/v1/evidence/{e.pk}/custody/report/", None, 200),
        ("checkpoint-list", "GET"): ("/api/v1/checkpoints/", None, 200),
        ("evidence-download", "GET"): (f"/api/v1/evidence/{e.pk}/download/", None, 200),
        ("evidence-link", "POST"): (f"/api/v1/evidence/{e.pk}/incidents/", {"incident": w.spare_incident.pk}, 200),
        ("evidence-retry", "POST"): (f"/api/v1/evidence/{e.pk}/retry/", None, 400),  # it has not failed
        ("evidence-relations", "GET"): (f"/api/v1/evidence/{e.pk}/relations/", None, 200),
        ("evidence-relations", "POST"): (
            f"/api/v1/evidence/{e.pk}/relations/", {"kind": "same_event_as", "target": w.relation.source_id}, 201,
        ),
        ("evidence-relation", "DELETE"): (
            f"/api/v1/evidence/{e.pk}/relations/{w.relation.pk}/", {"reason": "The wrong file was linked"}, 200,
        ),
        ("evidence-disclosures", "GET"): (f"/api/v1/evidence/{e.pk}/disclosures/", None, 200),
        ("evidence-disclosures", "POST"): (
            f"/api/v1/evidence/{e.pk}/disclosures/",
            {"recipient_kind": "defence", "recipient_name": "Defence of A.", "disclosed": True,
             "disclosed_at": "2024-05-02", "package": x.pk, "rule": "rule_77"},
            201,
        ),
        ("evidence-collection", "POST"): (
            f"/api/v1/evidence/{e.pk}/collection/", {"collection": {"collected_by": "A", "collected_at": "2022-04-02"}},
            200,
        ),
        ("export-list", "GET"): ("/api/v1/exports/", None, 200),
        ("export-list", "POST"): ("/api/v1/exports/", {"case": c.pk, "evidence": [e.pk]}, 202),
        ("export-detail", "GET"): (f"/api/v1/exports/{x.pk}/", None, 200),
        ("export-download", "GET"): (f"/api/v1/exports/{x.pk}/download/", None, 200),
        ("incident-submit", "POST"): (f"/api/v1/incidents/{i.pk}/submit/", {}, 200),
        ("incident-verify", "POST"): (f"/api/v1/incidents/{w.review_incident.pk}/verify/", None, 200),
        ("incident-reject", "POST"): (f"/api/v1/incidents/{w.review_incident.pk}/reject/", {"reason": "r"}, 200),
        ("evidence-submit", "POST"): (f"/api/v1/evidence/{e.pk}/submit/", {}, 200),
        ("evidence-verify", "POST"): (f"/api/v1/evidence/{w.review_item.pk}/verify/", None, 200),
        ("evidence-reject", "POST"): (f"/api/v1/evidence/{w.review_item.pk}/reject/", {"reason": "r"}, 200),
        ("evidence-checklist", "GET"): (f"/api/v1/evidence/{e.pk}/checklist/", None, 200),
        ("evidence-checklist", "POST"): (f"/api/v1/evidence/{e.pk}/checklist/", {"box": "source", "note": "n"}, 200),
        ("assessment-list", "GET"): ("/api/v1/assessments/", None, 200),
        ("assessment-list", "POST"): ("/api/v1/assessments/", {
            "evidence": e.pk, "incident": w.review_incident.pk, "crime": "8(2)(a)(i)", "element": "crime:8(2)(a)(i):3",
            "relevance": "r", "probative_value": "low", "directness": "circumstantial",
        }, 201),  # fmt: skip
        ("assessment-detail", "GET"): (f"/api/v1/assessments/{w.assessment.pk}/", None, 200),
        ("assessment-detail", "PUT"): (f"/api/v1/assessments/{w.assessment.pk}/", {
            "evidence": e.pk, "incident": w.review_incident.pk, "crime": "8(2)(a)(i)", "element": "crime:8(2)(a)(i):1",
            "relevance": "r2", "probative_value": "low", "directness": "direct",
        }, 200),  # fmt: skip
        ("assessment-detail", "PATCH"): (f"/api/v1/assessments/{w.assessment.pk}/", {"relevance": "r3"}, 200),
        ("assessment-revisions", "GET"): (f"/api/v1/assessments/{w.assessment.pk}/revisions/", None, 200),
        ("assessment-submit", "POST"): (f"/api/v1/assessments/{w.assessment.pk}/submit/", {}, 200),
        ("assessment-verify", "POST"): (f"/api/v1/assessments/{w.review_assessment.pk}/verify/", None, 200),
        ("assessment-reject", "POST"): (
            f"/api/v1/assessments/{w.review_assessment.pk}/reject/", {"reason": "r"}, 200,
        ),
        ("review-list", "GET"): ("/api/v1/reviews/?state=under_review", None, 200),
        ("case-analysis-chart", "GET"): (f"/api/v1/cases/{c.pk}/analysis-chart/", None, 200),
        ("export-profile-list", "GET"): ("/api/v1/export-profiles/", None, 200),
        ("export-profile-list", "POST"): (
            "/api/v1/export-profiles/", {"case": c.pk, "name": "p1", "columns": [{"column": "ERN", "field": "ern"}]},
            201,
        ),
        ("export-profile-detail", "GET"): (f"/api/v1/export-profiles/{w.profile.pk}/", None, 200),
        ("export-profile-detail", "PATCH"): (f"/api/v1/export-profiles/{w.profile.pk}/", {"description": "x"}, 200),
        ("export-profile-retire", "POST"): (f"/api/v1/export-profiles/{w.profile.pk}/retire/", {"reason": "x"}, 200),
        ("export-profile-revisions", "GET"): (f"/api/v1/export-profiles/{w.profile.pk}/revisions/", None, 200),
    }  # fmt: skip
    for kind, person in (("witness", w.witness), ("victim", w.victim)):
        route = f"/api/v1/{kind}es/" if kind == "witness" else f"/api/v1/{kind}s/"
        table[(f"{kind}-list", "GET")] = (route, None, 200)
        table[(f"{kind}-list", "POST")] = (route, {"case": c.pk, "full_name": "Olena K."}, 201)
        table[(f"{kind}-detail", "GET")] = (f"{route}{person.pk}/", None, 200)
        table[(f"{kind}-detail", "PATCH")] = (f"{route}{person.pk}/", {"contact": "+380…"}, 200)
        table[(f"{kind}-identity", "GET")] = (f"{route}{person.pk}/identity/", None, 200)
    url, body, status = table[(name, method)]
    return url, body, "multipart" if name == "evidence-list" and method == "POST" else "json", status


def call(client, method: str, url: str, body, data_format: str):
    with transaction.atomic():  # every caller meets the same world
        response = getattr(client, method.lower())(url, body, format=data_format)
        transaction.set_rollback(True)
    return response


def is_list(name: str) -> bool:
    return name.endswith("-list")


def listed_ids(response) -> set[int]:
    body = response.json()
    return {row["id"] for row in body.get("results", body.get("features", []))}


def ids_of_case(w: World, list_name: str) -> set[int]:
    """The ids of the case's objects that a list route shows."""
    return {
        "case-list": {w.case.pk},
        "incident-list": {w.incident.pk, w.spare_incident.pk},
        "person-list": {w.person.pk},
        "unit-list": {w.unit.pk},
        "allegation-list": {w.allegation.pk},
        "evidence-list": {w.item.pk},
        "export-list": {w.export.pk},
        "witness-list": {w.witness.pk},
        "victim-list": {w.victim.pk},
        "assessment-list": {w.assessment.pk, w.review_assessment.pk},
        # The queue's ids are of incidents, items and assessments: none of the case's may show.
        "review-list": {w.review_incident.pk, w.review_item.pk, w.review_assessment.pk},
    }[list_name]


ROWS = sorted((name, method) for name, rules in ACCESS.items() for method in rules)


@pytest.mark.parametrize(("name", "method"), ROWS, ids=[f"{m} {n}" for n, m in ROWS])
def test_the_route_follows_its_rule(name, method, world, client_for, api):
    from rest_framework.test import APIClient

    rule = ACCESS[name][method]
    url, body, data_format, ok = request_for(world, name, method)

    anonymous = call(APIClient(), method, url, body, data_format)
    if rule == PUBLIC:
        assert anonymous.status_code not in (401, 403), anonymous.content
    else:
        assert anonymous.status_code == 401, (name, method, anonymous.status_code)

    callers = {**{r: world.users[r] for r in Role.values}, "outsider": world.users["outsider"],
               "staff": world.users["staff"]}  # fmt: skip
    if rule == ANY_CASE_MEMBER:
        callers["in no case"] = world.users["in no case"]
    for who, user in callers.items():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        body_now = request_for(world, name, method)[1]  # uploads are read once
        response = call(client_for(user), method, url, body_now, data_format)
        role = who if who in Role.values else None
        if rule in (PUBLIC, AUTHENTICATED):
            expected = ok
        elif rule == STAFF:
            expected = ok if who == "staff" else 403
        elif rule == ANY_CASE_MEMBER:
            expected = 403 if who == "in no case" else ok
        elif role is None:  # a case action, asked by someone who is not in the case
            if not is_list(name):
                expected = 404
            elif method == "GET":
                expected = 200
            else:
                expected = 400  # the case named in the body does not exist for them
        else:
            expected = ok if role_allows(role, rule) else 403
            # Rules of the object beyond the role: a collection record is declared later by the item's
            # uploader (here the lead) or a lead, not by every investigator (access.user_may_declare_collection).
            if (name, method) == ("evidence-collection", "POST") and role == Role.INVESTIGATOR:
                expected = 403
        assert response.status_code == expected, (name, method, who, response.status_code, response.content[:300])
        if role is None and isinstance(rule, Action) and is_list(name) and method == "GET":
            assert not listed_ids(response) & ids_of_case(world, name), (name, who)


def test_a_rule_of_several_actions_holds_none_that_needs_a_second_factor_or_named_readers():
    several = [rule for rules in ACCESS.values() for rule in rules.values() if isinstance(rule, frozenset)]

    assert several  # evidence-detail's PATCH: writing or disclosing
    assert all(not rule & {Action.EXPORT, Action.REVEAL_IDENTITY} for rule in several), several


def test_options_describes_a_route_to_signed_in_users_only(client_for, api, case_a, member_of):
    assert client_for(member_of(case_a, Role.ANALYST)).options("/api/v1/incidents/").status_code == 200
    assert api.options("/api/v1/incidents/").status_code == 401


def test_a_method_a_route_does_not_have_is_405_not_403(client_for, case_a, member_of):
    assert client_for(member_of(case_a, Role.LEAD)).delete(f"/api/v1/cases/{case_a.pk}/").status_code == 405


def test_an_account_with_an_issued_password_may_only_change_it_or_sign_out(world, client_for):
    """Every route and method of the table, called by a lead whose password a staff member issued: all but
    changing the password and signing out answer 403 saying what to do (logging in needs no account)."""
    lead = world.users[Role.LEAD]
    lead.set_password(PASSWORD)
    lead.save(update_fields=["password"])
    IssuedPassword.objects.create(user=lead, expires_at=timezone.now() + timedelta(days=1))
    allowed = {("auth-password", "POST"), ("auth-token", "DELETE"), ("auth-tokens", "DELETE"),
               ("auth-token-detail", "DELETE")}  # fmt: skip
    assert allowed == BEFORE_PASSWORD_CHANGE

    answers = {}
    for name, method in ROWS:
        url, body, data_format, ok = request_for(world, name, method)
        response = call(client_for(lead), method, url, body, data_format)
        answers[(name, method)] = response.status_code
        if (name, method) in allowed or (name, method) == ("auth-token", "POST"):
            assert response.status_code == ok, (name, method, response.status_code, response.content[:300])
        else:
            assert response.status_code == 403, (name, method, response.status_code)
            assert response.data["detail"] == CHOOSE_YOUR_OWN_FIRST, (name, method)  # whatever the renderer
    assert sum(code == 403 for code in answers.values()) == len(ROWS) - 5
