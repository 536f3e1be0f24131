"""Every list of the API runs a fixed number of queries, whatever the page size: nothing is asked per row.

Each test fills a list with rows that differ in everything a row shows (users, related objects,
witnesses, near duplicates...), then reads a page of 1 and a page of 50 and counts the queries.
The counts are written out query by query: "token" is the authentication, "cases" the user's case
ids (the need-to-know restriction), "count" and "page" the paginator's two queries. The lists that
are not paginated (an incident's revisions, an item's custody, the export profiles) are read with
1 and with 50 rows."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile

from evidence.models import (
    AllegationRole,
    EvidenceItem,
    Export,
    ExportProfile,
    ProtectedKind,
    Role,
)
from evidence.services.audit import audit_record
from evidence.services.custody import evidence_record_access
from evidence.services.intake import evidence_receive
from evidence.services.record import allegation_create, incident_update, person_create, unit_create
from evidence.services.relations import evidence_relate
from evidence.services.witnesses import protected_person_create
from tests.factories import CaseFactory, MembershipFactory, UserFactory, make_area, make_incident

pytestmark = pytest.mark.django_db

PAGE_SIZES = [1, 50]
ROWS = 50


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD)


@pytest.fixture
def reader(client_for, lead):
    return client_for(lead)


def get_page(reader, url: str, page_size: int, **params):
    response = reader.get(url, {"page_size": page_size, **params})
    assert response.status_code == 200, response.content
    return response.json()


def pages_with_queries(assert_num_queries, expected: int, reader, url: str, *, rows: str = "results", **params):
    """Reads a page of 1 and a page of 50, each in exactly ``expected`` queries; returns the page of 50."""
    for page_size in PAGE_SIZES:
        with assert_num_queries(expected):
            body = get_page(reader, url, page_size, **params)
        assert len(body[rows]) == page_size
    return body


def witnesses(case, actor, kind=ProtectedKind.WITNESS, count=3) -> list:
    return [
        protected_person_create(actor=actor, case=case, kind=kind, identity={"full_name": f"Person {n}"})
        for n in range(count)
    ]


def evidence_items(case, actor, count: int, **fields) -> list[EvidenceItem]:
    return [
        evidence_receive(
            actor=actor,
            case=case,
            upload=ContentFile(f"photo {case.pk}-{n}".encode(), name=f"IMG_{n:04d}.jpg"),
            original_filename=f"IMG_{n:04d}.jpg",
            **fields,
        )
        for n in range(count)
    ]


def test_the_case_list_runs_four_queries(client_for, django_assert_num_queries):
    user = UserFactory()
    for _ in range(ROWS):
        MembershipFactory(user=user, case=CaseFactory(created_by=UserFactory()), role=Role.ANALYST)

    # token, cases, count, page (with my_role and created_by)
    body = pages_with_queries(django_assert_num_queries, 4, client_for(user), "/api/v1/cases/")

    assert {case["my_role"] for case in body["results"]} == {"analyst"}


def test_the_member_list_runs_six_queries(reader, case_a, django_assert_num_queries):
    for _ in range(ROWS):
        MembershipFactory(case=case_a, added_by=UserFactory())

    # token, cases, the case, your role in it, count, page
    pages_with_queries(django_assert_num_queries, 6, reader, f"/api/v1/cases/{case_a.pk}/members/")


def test_the_case_audit_log_runs_six_queries(reader, case_a, django_assert_num_queries):
    for n in range(ROWS):
        audit_record(actor=UserFactory(), case=case_a, action="incident.update", target=f"target {n}")

    # token, cases, the case, your role in it, count, page
    pages_with_queries(django_assert_num_queries, 6, reader, f"/api/v1/cases/{case_a.pk}/audit/")


def test_the_whole_audit_log_runs_three_queries(client_for, django_assert_num_queries):
    for n in range(ROWS):
        audit_record(actor=UserFactory(), case=CaseFactory(), action="case.create", target=f"target {n}")
    reader = client_for(UserFactory(is_staff=True, is_superuser=True))

    # token, count, page (with actor and case)
    pages_with_queries(django_assert_num_queries, 3, reader, "/api/v1/audit/")


def test_a_staff_members_audit_log_across_cases_runs_four_queries(client_for, django_assert_num_queries):
    staff = UserFactory(is_staff=True)
    for n in range(ROWS):
        case = MembershipFactory(user=staff, role=Role.LEAD).case
        audit_record(actor=UserFactory(), case=case, action="case.create", target=f"target {n}")

    # token, the cases whose log the user reads, count, page (with actor and case)
    pages_with_queries(django_assert_num_queries, 4, client_for(staff), "/api/v1/audit/")


def test_the_incident_list_runs_five_queries(reader, case_a, lead, django_assert_num_queries):
    area = make_area("Kyivska", (29.0, 49.0, 32.0, 52.0))
    people = witnesses(case_a, lead)
    for n in range(ROWS):
        incident = make_incident(
            case_a, actor=UserFactory(), title=f"Incident {n}", location=Point(30.0 + n / 100, 50.5, srid=4326),
            protected_persons=people[: n % 3 + 1],
        )  # fmt: skip
        incident_update(actor=UserFactory(), incident=incident, killed=n)

    # token, cases, count, page (with the area and the users), witnesses
    body = pages_with_queries(django_assert_num_queries, 5, reader, "/api/v1/incidents/", rows="features")

    properties = [feature["properties"] for feature in body["features"]]
    assert {each["admin_area"] for each in properties} == {area.pk}
    assert {len(each["pseudonyms"]) for each in properties} == {1, 2, 3}
    assert all(each["created_by"] != each["updated_by"] for each in properties)


def test_a_filtered_incident_list_runs_eight_queries(reader, case_a, django_assert_num_queries):
    for n in range(ROWS):
        start = datetime(2022, 3, 5, tzinfo=UTC) + timedelta(hours=n)
        make_incident(case_a, title=f"Incident {n}", occurred_from=start)

    # token, cases, the case named by ?case= (your cases, then it, with its zone: 2), count (from the bbox index:
    # 2), page, witnesses
    pages_with_queries(
        django_assert_num_queries, 8, reader, "/api/v1/incidents/", rows="features",
        case=case_a.pk, occurred_after="2022-03-01", occurred_before="2022-03-31", bbox="29,49,32,52",
    )  # fmt: skip


@pytest.mark.parametrize("revisions", [1, ROWS])
def test_the_revision_list_runs_six_queries_however_many_revisions(
    reader, case_a, django_assert_num_queries, revisions
):
    incident = make_incident(case_a, actor=UserFactory())
    for n in range(1, revisions):
        incident_update(actor=UserFactory(), incident=incident, killed=n)

    # token, cases, the incident, your role, the revisions (with their context), their users
    with django_assert_num_queries(6):
        response = reader.get(f"/api/v1/incidents/{incident.pk}/revisions/")

    assert response.status_code == 200
    body = response.json()
    assert len(body) == revisions
    assert len({revision["user"] for revision in body} - {None}) == revisions


def test_the_person_list_runs_four_queries(reader, case_a, lead, django_assert_num_queries):
    for n in range(ROWS):
        unit = unit_create(actor=lead, case=case_a, name=f"Unit {n}")
        person_create(actor=lead, case=case_a, full_name=f"Person {n:02d}", unit=unit)

    # token, cases, count, page
    body = pages_with_queries(django_assert_num_queries, 4, reader, "/api/v1/persons/")

    assert all(person["unit"] for person in body["results"])


def test_the_unit_list_runs_four_queries(reader, case_a, lead, django_assert_num_queries):
    parent = None
    for n in range(ROWS):
        parent = unit_create(actor=lead, case=case_a, name=f"Unit {n:02d}", parent=parent)

    # token, cases, count, page
    pages_with_queries(django_assert_num_queries, 4, reader, "/api/v1/units/")


def test_the_allegation_list_runs_four_queries(reader, case_a, lead, django_assert_num_queries):
    for n in range(ROWS):
        incident = make_incident(case_a, title=f"Incident {n}")
        if n % 2:
            named = {"person": person_create(actor=lead, case=case_a, full_name=f"Person {n}")}
        else:
            named = {"unit": unit_create(actor=lead, case=case_a, name=f"Unit {n}")}
        allegation_create(
            actor=UserFactory(), case=case_a, incident=incident, role=AllegationRole.DIRECT_PERPETRATOR, **named
        )

    # token, cases, count, page (with the users)
    pages_with_queries(django_assert_num_queries, 4, reader, "/api/v1/allegations/")


def test_the_admin_area_list_runs_three_queries(reader, django_assert_num_queries):
    oblast = make_area("Oblast", (29.0, 49.0, 32.0, 52.0))
    for n in range(ROWS):
        make_area(f"Raion {n:02d}", (30.0, 50.0, 30.1, 50.1), level="raion", parent=oblast)

    # token, count, page
    pages_with_queries(django_assert_num_queries, 3, reader, "/api/v1/admin-areas/")


def test_the_crime_list_runs_one_query(reader, django_assert_num_queries):
    # token; the crimes are a file read once
    pages_with_queries(django_assert_num_queries, 1, reader, "/api/v1/crimes/")


def test_the_evidence_list_runs_ten_queries(reader, case_a, lead, django_assert_num_queries):
    people = witnesses(case_a, lead)
    incidents = [make_incident(case_a, title=f"Incident {n}") for n in range(3)]
    items = evidence_items(case_a, lead, ROWS, incidents=incidents[:2], protected_persons=people[:2])
    for n, item in enumerate(items):
        # What the worker finds: images in pairs of near duplicates (the pairs' hashes are far apart),
        # and one exact duplicate.
        pair_hash = hashlib.sha256(str(n // 2).encode()).hexdigest()[:16]
        EvidenceItem.objects.filter(pk=item.pk).update(perceptual_hash=pair_hash)
    EvidenceItem.objects.filter(pk=items[1].pk).update(duplicate_of=items[0])

    for first, second in zip(items[::2], items[1::2], strict=False):
        evidence_relate(actor=lead, item=second, target=first, kind="transcript_of")

    # token, cases, count, page (with the case and the receiver), incidents, witnesses, timestamp tokens,
    # copies, near duplicates, related items (both ways)
    body = pages_with_queries(django_assert_num_queries, 10, reader, "/api/v1/evidence/")

    expected_incidents = sorted(incident.pk for incident in incidents[:2])
    assert all(sorted(item["incidents"]) == expected_incidents for item in body["results"])
    assert all(item["pseudonyms"] == ["W-0001", "W-0002"] for item in body["results"])
    assert all(len(item["near_duplicates"]) == 1 for item in body["results"])
    assert all(len(item["related"]) == 1 for item in body["results"])


def test_the_list_shows_the_same_near_duplicates_as_the_detail(reader, case_a, case_b, lead):
    first, second, third, fourth = evidence_items(case_a, lead, 4)
    hashes = {
        first: "ffffffffffffffff",
        second: "fffffffffffffffe",  # 1 bit from the first
        third: "ffffffffffffff00",  # 8 bits from the first, 7 from the second
        fourth: "0000000000000000",  # far from all
    }
    for item, value in hashes.items():
        EvidenceItem.objects.filter(pk=item.pk).update(perceptual_hash=value)
    (elsewhere,) = evidence_items(case_b, UserFactory(), 1)
    EvidenceItem.objects.filter(pk=elsewhere.pk).update(perceptual_hash="ffffffffffffffff")  # another case

    listed = {row["ern"]: row["near_duplicates"] for row in get_page(reader, "/api/v1/evidence/", 50)["results"]}
    detail = reader.get(f"/api/v1/evidence/{first.pk}/").json()["near_duplicates"]

    assert listed == {
        "UA-2022-BUCHA-000001": [
            {"id": second.pk, "ern": "UA-2022-BUCHA-000002", "distance_bits": 1},
            {"id": third.pk, "ern": "UA-2022-BUCHA-000003", "distance_bits": 8},
        ],
        "UA-2022-BUCHA-000002": [
            {"id": first.pk, "ern": "UA-2022-BUCHA-000001", "distance_bits": 1},
            {"id": third.pk, "ern": "UA-2022-BUCHA-000003", "distance_bits": 7},
        ],
        "UA-2022-BUCHA-000003": [
            {"id": second.pk, "ern": "UA-2022-BUCHA-000002", "distance_bits": 7},
            {"id": first.pk, "ern": "UA-2022-BUCHA-000001", "distance_bits": 8},
        ],
        "UA-2022-BUCHA-000004": [],
    }
    assert detail == listed["UA-2022-BUCHA-000001"]


@pytest.mark.parametrize("entries", [1, ROWS])
def test_the_custody_list_runs_five_queries_however_long_the_chain(
    reader, case_a, lead, django_assert_num_queries, entries
):
    (item,) = evidence_items(case_a, lead, 1)
    for _ in range(entries - 1):
        evidence_record_access(actor=lead, item=item, byte_range=None)

    with django_assert_num_queries(5):  # token, cases, the item (with its case), your role, the entries
        response = reader.get(f"/api/v1/evidence/{item.pk}/custody/")

    assert response.status_code == 200
    assert len(response.json()) == entries


def test_the_export_list_runs_four_queries(reader, case_a, django_assert_num_queries):
    incident = make_incident(case_a)
    for _ in range(ROWS):
        Export.objects.create(case=case_a, requested_by=UserFactory(), incident_ids=[incident.pk])

    # token, cases, count, page (with who asked)
    pages_with_queries(django_assert_num_queries, 4, reader, "/api/v1/exports/")


@pytest.mark.parametrize("profiles", [1, ROWS])
def test_the_export_profile_list_runs_three_queries_however_many_profiles(reader, django_assert_num_queries, profiles):
    for n in range(profiles):
        ExportProfile.objects.create(
            name=f"chamber-{n}", columns=[{"column": "ERN", "field": "ern"}], created_by=UserFactory()
        )

    with django_assert_num_queries(3):  # token, cases, the profiles
        response = reader.get("/api/v1/export-profiles/")

    assert response.status_code == 200
    assert len(response.json()) == profiles + 2  # and the built-in default and e-court


@pytest.mark.parametrize("kind", [ProtectedKind.WITNESS, ProtectedKind.VICTIM])
def test_the_witness_and_victim_lists_run_five_queries(
    reader, case_a, lead, member_of, django_assert_num_queries, kind
):
    members = [member_of(case_a, Role.INVESTIGATOR) for _ in range(3)]
    for n in range(ROWS):
        protected_person_create(
            actor=lead, case=case_a, kind=kind, identity={"full_name": f"Person {n}"}, readers=members[: n % 3 + 1]
        )
    url = {ProtectedKind.WITNESS: "/api/v1/witnesses/", ProtectedKind.VICTIM: "/api/v1/victims/"}[kind]

    # token, cases, count, page, readers
    body = pages_with_queries(django_assert_num_queries, 5, reader, url)

    assert {len(person["readers"]) for person in body["results"]} == {1, 2, 3}


def test_the_page_size_is_capped_at_one_hundred(reader, case_a):
    for n in range(101):
        make_incident(case_a, title=f"Incident {n}")

    assert len(get_page(reader, "/api/v1/incidents/", 500)["features"]) == 100
    assert len(get_page(reader, "/api/v1/crimes/", 500)["results"]) == 100  # of 102


def test_an_upload_reads_back_only_its_incidents_and_witnesses(case_a, lead, client_for, django_assert_num_queries):
    """Bulk intake answers thousands of uploads: what a just-received item cannot have yet — timestamps, copies,
    links to other items — is not read back for its answer."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(lead)
    photo = SimpleUploadedFile("IMG_0042.jpg", b"\xff\xd8\xff\xe0 a photo of Yablunska Street")

    # token; the case named (the user's cases, the case, the role); the receipt in a savepoint: the case's number
    # (select, update), the item, the chain's head, the entry, the audit entry, the outbox; then the answer's
    # incidents and witnesses
    with django_assert_num_queries(15):
        answer = client.post("/api/v1/evidence/", {"file": photo, "case": case_a.pk}, format="multipart")

    assert answer.status_code == 201, answer.content
    shown = answer.json()
    assert (shown["timestamps"], shown["copies"], shown["related"], shown["incidents"]) == ([], [], [], [])
    assert shown["ern"] == "UA-2022-BUCHA-000001" and shown["status"] == "received"
