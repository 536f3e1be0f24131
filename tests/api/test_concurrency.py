"""The same request sent several times at once answers 2xx or a clear 4xx naming the field, never a
5xx: real threads, each with its own client and database connection, against the real database."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from api.exceptions import UNIQUE_CONFLICTS, exception_handler
from evidence.models import ApiToken, Case, CaseMembership, EvidenceIncidentLink, EvidenceItem, ExportProfile, Role
from evidence.models.accounts import token_hash
from tests.factories import CaseFactory, UserFactory, make_incident
from tests.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5
PASSWORD = "correct horse battery staple"  # noqa: S105 - tests.factories.UserFactory's


def at_once(requests: list[Callable[[], object]]) -> list:
    """Runs the requests in threads released together; each thread closes its database connection."""
    barrier = threading.Barrier(len(requests))

    def run(request: Callable[[], object]):
        try:
            barrier.wait(timeout=30)
            return request()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(run, requests))


def client_for(user) -> APIClient:
    client = APIClient(raise_request_exception=False)  # a 500 is an answer to assert on, not an exception
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def assert_one_succeeded_and_the_rest_name(responses, field: str, success: int) -> None:
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(success) == 1, [(r.status_code, r.content[:300]) for r in responses]
    for response in responses:
        if response.status_code != success:
            assert response.status_code in (400, 409), response.content[:300]
            assert list(response.json()) == [field], response.json()


def test_parallel_logins_of_one_device_all_succeed_and_leave_one_token():
    user = UserFactory(username="investigator-k")
    body = {"username": "investigator-k", "password": PASSWORD}

    responses = at_once([lambda: APIClient().post("/api/v1/auth/token/", body, format="json") for _ in range(8)])

    assert [response.status_code for response in responses] == [200] * 8, [r.content[:300] for r in responses]
    assert ApiToken.objects.filter(user=user).count() == 1
    assert ApiToken.objects.get(user=user).key_hash in {token_hash(response.json()["token"]) for response in responses}


def test_linking_the_same_incident_twice_at_once_links_it_once():
    case = CaseFactory(reference="UA-2022-RACE")
    investigator = CaseMembership.objects.create(case=case, user=UserFactory(), role=Role.INVESTIGATOR).user
    first, second = make_incident(case), make_incident(case, title="Second site")
    uploaded = client_for(investigator).post(
        "/api/v1/evidence/",
        {"file": SimpleUploadedFile("a.jpg", b"photo"), "case": case.pk, "incidents": [first.pk]},
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.content
    item = EvidenceItem.objects.get(pk=uploaded.json()["id"])
    clients = [client_for(investigator) for _ in range(6)]

    responses = at_once(
        [
            lambda client=client: client.post(
                f"/api/v1/evidence/{item.pk}/incidents/", {"incident": second.pk}, format="json"
            )
            for client in clients
        ]
    )

    assert_one_succeeded_and_the_rest_name(responses, "incident", success=200)
    assert EvidenceIncidentLink.objects.filter(evidence=item, incident=second).count() == 1
    assert item.custody.filter(event_type="linked", details__incident=second.pk).count() == 1


def test_creating_the_same_case_reference_twice_at_once_creates_one_case():
    staff = UserFactory(is_staff=True)
    clients = [client_for(staff) for _ in range(6)]
    body = {"reference": "UA-2022-IRPIN", "title": "Irpin"}

    responses = at_once([lambda c=client: c.post("/api/v1/cases/", body, format="json") for client in clients])

    assert_one_succeeded_and_the_rest_name(responses, "reference", success=201)
    assert Case.objects.filter(reference="UA-2022-IRPIN").count() == 1
    assert CaseMembership.objects.filter(case__reference="UA-2022-IRPIN", role=Role.LEAD).count() == 1


def test_creating_the_same_export_profile_twice_at_once_creates_one_profile():
    case = CaseFactory()
    legal = CaseMembership.objects.create(case=case, user=UserFactory(), role=Role.LEGAL).user
    clients = [client_for(legal) for _ in range(6)]
    body = {"case": case.pk, "name": "icc-trial-chamber", "columns": [{"column": "Evidence number", "field": "ern"}]}

    responses = at_once(
        [lambda client=client: client.post("/api/v1/export-profiles/", body, format="json") for client in clients]
    )

    assert_one_succeeded_and_the_rest_name(responses, "name", success=201)
    assert ExportProfile.objects.filter(name="icc-trial-chamber").count() == 1


def test_twenty_parallel_uploads_of_the_same_file_are_all_received_and_numbered_in_turn():
    case = CaseFactory(reference="UA-2022-HOSTOMEL")
    investigator = CaseMembership.objects.create(case=case, user=UserFactory(), role=Role.INVESTIGATOR).user
    clients = [client_for(investigator) for _ in range(20)]
    content = b"the same photo, sent twenty times" * 1000

    def send(client: APIClient):
        file = SimpleUploadedFile("IMG_0042.jpg", content)
        return client.post("/api/v1/evidence/", {"file": file, "case": case.pk}, format="multipart")

    responses = at_once([lambda client=client: send(client) for client in clients])

    assert [response.status_code for response in responses] == [201] * 20, [r.content[:300] for r in responses]
    erns = sorted(response.json()["ern"] for response in responses)
    assert erns == [f"UA-2022-HOSTOMEL-{number:06d}" for number in range(1, 21)]
    assert EvidenceItem.objects.filter(case=case).count() == 20


def test_adding_the_same_member_twice_at_once_adds_one_membership():
    case = CaseFactory()
    lead = CaseMembership.objects.create(case=case, user=UserFactory(), role=Role.LEAD).user
    newcomer = UserFactory()
    clients = [client_for(lead) for _ in range(6)]
    body = {"username": newcomer.username, "role": "analyst"}

    responses = at_once(
        [lambda c=client: c.post(f"/api/v1/cases/{case.pk}/members/", body, format="json") for client in clients]
    )

    # The first adds the member (201); the others find the member there and set the same role (200).
    assert sorted(response.status_code for response in responses) == [200] * 5 + [201]
    assert CaseMembership.objects.filter(case=case, user=newcomer).count() == 1


def test_two_leads_demoting_each_other_at_once_leave_the_case_one_lead():
    case = CaseFactory()
    lead_a = CaseMembership.objects.create(case=case, user=UserFactory(), role=Role.LEAD).user
    lead_b = CaseMembership.objects.create(case=case, user=UserFactory(), role=Role.LEAD).user
    client_a, client_b = client_for(lead_a), client_for(lead_b)
    url = f"/api/v1/cases/{case.pk}/members/"

    for _ in range(ROUNDS):  # the interleaving that deadlocked happens in about half the rounds
        CaseMembership.objects.filter(case=case).update(role=Role.LEAD)
        responses = at_once(
            [
                lambda: client_a.post(url, {"username": lead_b.username, "role": "investigator"}, format="json"),
                lambda: client_b.post(url, {"username": lead_a.username, "role": "investigator"}, format="json"),
            ]
        )

        # The second is refused: 400 if it was checked while its sender was still a lead, else 403.
        statuses = sorted(response.status_code for response in responses)
        assert statuses in ([200, 400], [200, 403]), [r.content for r in responses]
        refused = next(response for response in responses if response.status_code != 200)
        if refused.status_code == 400:
            assert "at least one lead" in refused.json()["role"][0]
        assert CaseMembership.objects.filter(case=case, role=Role.LEAD).count() == 1


# --- The exception handler's table: every constraint it names exists and answers 409 ------------


def test_every_constraint_the_exception_handler_names_exists_in_the_database():
    with connection.cursor() as cursor:
        # A unique constraint with a condition is a unique index, not a table constraint.
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conname = ANY(%(names)s)"
            " UNION SELECT indexname FROM pg_indexes WHERE indexname = ANY(%(names)s)",
            {"names": list(UNIQUE_CONFLICTS)},
        )
        existing = {name for (name,) in cursor.fetchall()}

    assert existing == set(UNIQUE_CONFLICTS)


def duplicate_link() -> None:
    case = CaseFactory()
    item = EvidenceItem.objects.create(case=case, ern="UA-X-000001", original_filename="a", intake_key="k")
    incident = make_incident(case)
    EvidenceIncidentLink.objects.create(evidence=item, incident=incident)
    EvidenceIncidentLink.objects.create(evidence=item, incident=incident)


def duplicate_case() -> None:
    Case.objects.create(reference="UA-DUP", title="a")
    Case.objects.create(reference="UA-DUP", title="b")


def duplicate_profile() -> None:
    ExportProfile.objects.create(name="chamber", columns=[])
    ExportProfile.objects.create(name="chamber", columns=[])


def duplicate_case_profile() -> None:
    case = CaseFactory()
    ExportProfile.objects.create(case=case, name="chamber", columns=[])
    ExportProfile.objects.create(case=case, name="chamber", columns=[])


def duplicate_token() -> None:
    user = UserFactory()
    for _ in range(2):
        ApiToken.objects.create_with_key(user=user, name="phone", lifetime=timedelta(hours=1))


@pytest.mark.parametrize(
    ("make_duplicate", "field"),
    [
        (duplicate_link, "incident"),
        (duplicate_case, "reference"),
        (duplicate_profile, "name"),
        (duplicate_case_profile, "name"),
        (duplicate_token, "name"),
    ],
)
def test_a_unique_constraint_met_by_a_race_answers_409_naming_the_field(make_duplicate, field):
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        make_duplicate()

    response = exception_handler(raised.value, {})

    assert response.status_code == 409
    assert list(response.data) == [field]
