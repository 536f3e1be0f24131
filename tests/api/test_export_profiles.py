"""Register profiles: a case's own are defined by its leads and legal members, seen by its members
and used by its exports only; profiles shared by every case are defined by staff."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from evidence.models import AuditEntry, Export, ExportProfile, Role
from evidence.services.packages import export_request
from tests.factories import CaseFactory, UserFactory
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, register_of

pytestmark = pytest.mark.django_db

COLUMNS = [{"column": "Evidence number", "field": "ern"}]


def profile_body(case, name: str = "bucha-trial-chamber", **fields) -> dict:
    body = {"name": name, "description": "Trial Chamber protocol for the Bucha case", "columns": COLUMNS, **fields}
    if case is not None:
        body["case"] = case.pk
    return body


def listed(client) -> dict[str, object]:
    response = client.get("/api/v1/export-profiles/")
    assert response.status_code == 200
    return {profile["name"]: profile["case"] for profile in response.json()}


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


@pytest.fixture
def staff(db):
    return UserFactory(username="operator", is_staff=True)


@pytest.mark.parametrize(("role", "status"), [(Role.LEAD, 201), (Role.LEGAL, 201), (Role.INVESTIGATOR, 403),
                                              (Role.ANALYST, 403)])  # fmt: skip
def test_leads_and_legal_members_define_profiles_of_their_case_and_other_roles_get_403(
    client_for, member_of, case_a, role, status
):
    response = client_for(member_of(case_a, role)).post("/api/v1/export-profiles/", profile_body(case_a), format="json")

    assert response.status_code == status, response.content
    assert ExportProfile.objects.filter(case=case_a, name="bucha-trial-chamber").count() == (status == 201)
    if status == 201:
        assert response.json() == {
            "case": case_a.pk,
            "name": "bucha-trial-chamber",
            "description": "Trial Chamber protocol for the Bucha case",
            "columns": [{"column": "Evidence number", "field": "ern", "date_format": "iso"}],
            "builtin": False,
        }


def test_a_case_profile_is_seen_by_every_member_of_its_case_and_by_nobody_else(
    client_for, member_of, case_a, case_b, lead, staff
):
    assert client_for(lead).post("/api/v1/export-profiles/", profile_body(case_a), format="json").status_code == 201

    for role in Role.values:
        assert listed(client_for(member_of(case_a, role))) == {"default": None, "bucha-trial-chamber": case_a.pk}, role
    for outsider in (member_of(case_b, Role.LEAD), member_of(case_b, Role.LEGAL), staff, UserFactory()):
        assert listed(client_for(outsider)) == {"default": None}, outsider.username


def test_a_member_of_another_case_cannot_define_a_profile_for_it_and_learns_nothing(
    client_for, member_of, case_a, case_b
):
    outsider = client_for(member_of(case_b, Role.LEAD))

    foreign = outsider.post("/api/v1/export-profiles/", profile_body(case_a), format="json")
    missing = outsider.post("/api/v1/export-profiles/", {**profile_body(None), "case": 999_999}, format="json")

    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == {"case": [f'Invalid pk "{case_a.pk}" - object does not exist.']}
    assert missing.json() == {"case": ['Invalid pk "999999" - object does not exist.']}
    assert not ExportProfile.objects.exists()


def test_a_profile_of_another_case_is_not_found_by_an_export_even_for_a_member_of_both(
    client_for, member_of, case_a, case_b, lead
):
    case_b.memberships.create(user=lead, role=Role.LEAD)
    izium_profile = profile_body(case_b, name="izium-protocol")
    assert client_for(lead).post("/api/v1/export-profiles/", izium_profile, format="json").status_code == 201
    item = archived_item(case_a, lead, b"photo")

    foreign = client_for(lead).post(
        "/api/v1/exports/", {"case": case_a.pk, "evidence": [item.pk], "profile": "izium-protocol"}, format="json"
    )
    missing = client_for(lead).post(
        "/api/v1/exports/", {"case": case_a.pk, "evidence": [item.pk], "profile": "no-such-profile"}, format="json"
    )

    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == {"profile": ["No export profile 'izium-protocol'; see /api/v1/export-profiles/."]}
    assert missing.json() == {"profile": ["No export profile 'no-such-profile'; see /api/v1/export-profiles/."]}
    assert not Export.objects.exists()


def test_only_staff_define_a_shared_profile_which_everyone_sees_and_every_case_uses(
    client_for, member_of, case_a, case_b, lead, staff, tmp_path
):
    shared = profile_body(None, name="icc-e-court", description="ICC e-Court protocol")

    refused = client_for(lead).post("/api/v1/export-profiles/", shared, format="json")
    created = client_for(staff).post("/api/v1/export-profiles/", shared, format="json")

    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Only staff define profiles shared by every case; name the case the profile is for."
    }
    assert created.status_code == 201 and created.json()["case"] is None
    for user in (lead, member_of(case_b, Role.ANALYST), UserFactory()):
        assert listed(client_for(user)) == {"default": None, "icc-e-court": None}
    item = archived_item(case_a, lead, b"photo")
    export = build(export_request(actor=lead, case=case_a, evidence=[item], profile="icc-e-court"))
    # Every register says whether an item may be exculpatory, whatever its profile names (art. 67(2)).
    assert register_of(export, tmp_path / "shared") == [
        ["Evidence number", "Exculpatory (art. 67(2))"],
        [item.ern, "no"],
    ]


def test_a_case_profile_may_not_take_a_name_its_exports_can_use_already(client_for, case_a, case_b, lead, staff):
    client_for(staff).post("/api/v1/export-profiles/", profile_body(None, name="icc-e-court"), format="json")
    case_b.memberships.create(user=lead, role=Role.LEAD)

    for name in ("default", "icc-e-court"):
        response = client_for(lead).post("/api/v1/export-profiles/", profile_body(case_a, name=name), format="json")
        assert response.status_code == 400
        assert response.json() == {"name": [f"A profile named '{name}' exists already."]}
    for case in (case_a, case_b):  # the same name in two cases: each case has its own
        assert client_for(lead).post("/api/v1/export-profiles/", profile_body(case), format="json").status_code == 201
    again = client_for(lead).post("/api/v1/export-profiles/", profile_body(case_a), format="json")
    assert again.status_code == 400 and list(again.json()) == ["name"]


def test_a_shared_profile_may_take_a_name_a_case_uses_and_the_case_keeps_its_own(
    client_for, case_a, case_b, lead, staff, member_of, tmp_path
):
    own = profile_body(case_a, name="chamber", columns=[{"column": "Bucha number", "field": "ern"}])
    shared = profile_body(None, name="chamber", columns=[{"column": "Number", "field": "ern"}])
    assert client_for(lead).post("/api/v1/export-profiles/", own, format="json").status_code == 201

    # Refusing it would tell staff, who are in no case, the names of a case's profiles.
    assert client_for(staff).post("/api/v1/export-profiles/", shared, format="json").status_code == 201

    izium_lead = member_of(case_b, Role.LEAD)
    bucha_item, izium_item = archived_item(case_a, lead, b"bucha"), archived_item(case_b, izium_lead, b"izium")
    bucha = build(export_request(actor=lead, case=case_a, evidence=[bucha_item], profile="chamber"))
    izium = build(export_request(actor=izium_lead, case=case_b, evidence=[izium_item], profile="chamber"))
    assert register_of(bucha, tmp_path / "bucha") == [
        ["Bucha number", "Exculpatory (art. 67(2))"],
        [bucha_item.ern, "no"],
    ]
    assert register_of(izium, tmp_path / "izium") == [["Number", "Exculpatory (art. 67(2))"], [izium_item.ern, "no"]]


def test_defining_a_profile_is_audited_in_its_case(client_for, case_a, lead, staff):
    client_for(lead).post("/api/v1/export-profiles/", profile_body(case_a), format="json")
    client_for(staff).post("/api/v1/export-profiles/", profile_body(None, name="icc-e-court"), format="json")

    entries = AuditEntry.objects.filter(action="export_profile.create").order_by("at")
    assert [(entry.case_id, entry.actor_id, entry.target) for entry in entries] == [
        (case_a.pk, lead.pk, "bucha-trial-chamber"),
        (None, staff.pk, "icc-e-court"),
    ]


def test_profiles_made_before_they_belonged_to_cases_are_given_to_the_cases_that_may_have_meant_them(
    case_a, case_b, member_of
):
    migration = importlib.import_module("evidence.migrations.0015_export_profiles_by_case")
    author = member_of(case_a, Role.LEGAL, username="counsel")
    case_b.memberships.create(user=author, role=Role.INVESTIGATOR)  # may not export there
    user_of_it = CaseFactory(reference="UA-2022-IRPIN")
    Export.objects.create(case=user_of_it, requested_by=UserFactory(), profile="chamber")
    ExportProfile.objects.create(name="chamber", description="Bucha", columns=COLUMNS, created_by=author)
    ExportProfile.objects.create(name="orphan", columns=COLUMNS, created_by=None)

    with connection.schema_editor() as schema_editor:
        migration.give_profiles_to_their_cases(apps, schema_editor)

    assert sorted(ExportProfile.objects.values_list("name", "case__reference")) == [
        ("chamber", "UA-2022-BUCHA"),
        ("chamber", "UA-2022-IRPIN"),
        ("orphan", None),  # nobody's: stays shared, as it was
    ]
    assert set(ExportProfile.objects.filter(name="chamber").values_list("description", flat=True)) == {"Bucha"}

    with connection.schema_editor() as schema_editor:
        migration.share_profiles_again(apps, schema_editor)

    assert sorted(ExportProfile.objects.values_list("name", "case")) == [("chamber", None), ("orphan", None)]


def test_going_back_merges_only_the_copies_and_keeps_every_different_profile_under_a_free_name(
    case_a, case_b, member_of
):
    migration = importlib.import_module("evidence.migrations.0015_export_profiles_by_case")
    irpin = CaseFactory(reference="UA-2022-IRPIN")
    dated = [{"column": "Date", "field": "captured_at", "date_format": "%d/%m/%Y"}]
    # "chamber" of Bucha and its copy for Irpin (as the forward step makes them), and Izium's own
    # "chamber", defined once profiles belonged to cases, with other columns.
    ExportProfile.objects.create(case=case_a, name="chamber", description="Bucha", columns=COLUMNS)
    ExportProfile.objects.create(case=irpin, name="chamber", description="Bucha", columns=COLUMNS)
    ExportProfile.objects.create(case=case_b, name="chamber", description="Izium", columns=dated)
    ExportProfile.objects.create(case=None, name="chamber-2", description="Shared", columns=COLUMNS)
    long_name = "x" * 64
    ExportProfile.objects.create(case=case_a, name=long_name, description="One", columns=COLUMNS)
    ExportProfile.objects.create(case=case_b, name=long_name, description="Two", columns=COLUMNS)

    with connection.schema_editor() as schema_editor:
        migration.share_profiles_again(apps, schema_editor)

    assert sorted(ExportProfile.objects.values_list("name", "case", "description")) == [
        ("chamber", None, "Bucha"),
        ("chamber-2", None, "Shared"),
        ("chamber-3", None, "Izium"),
        ("x" * 62 + "-2", None, "Two"),
        (long_name, None, "One"),
    ]
    assert ExportProfile.objects.get(name="chamber-3").columns == dated
