"""Register profiles: a case's own are defined by its leads and legal members, seen by its members
and used by its exports only; profiles shared by every case are defined by staff."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from evidence.models import AuditEntry, Export, ExportProfile, Role
from evidence.package import register
from evidence.services.packages import export_request
from tests.factories import CaseFactory, UserFactory
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, register_of

pytestmark = pytest.mark.django_db

COLUMNS = [{"column": "Evidence number", "field": "ern"}]
EXCULPATORY = "Exculpatory (art. 67(2))"  # in every register, whatever the profile names


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
            "id": ExportProfile.objects.get().pk,
            "case": case_a.pk,
            "name": "bucha-trial-chamber",
            "description": "Trial Chamber protocol for the Bucha case",
            "columns": [{"column": "Evidence number", "field": "ern", "date_format": "iso"}],
            "builtin": False,
            "retired_at": None,
        }


def test_a_case_profile_is_seen_by_every_member_of_its_case_and_by_nobody_else(
    client_for, member_of, case_a, case_b, lead, staff
):
    assert client_for(lead).post("/api/v1/export-profiles/", profile_body(case_a), format="json").status_code == 201

    for role in Role.values:
        assert listed(client_for(member_of(case_a, role))) == {
            "default": None,
            "e-court": None,
            "bucha-trial-chamber": case_a.pk,
        }, role
    for outsider in (member_of(case_b, Role.LEAD), member_of(case_b, Role.LEGAL), staff, UserFactory()):
        assert listed(client_for(outsider)) == {"default": None, "e-court": None}, outsider.username


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
        assert listed(client_for(user)) == {"default": None, "e-court": None, "icc-e-court": None}
    item = archived_item(case_a, lead, b"photo")
    export = build(export_request(actor=lead, case=case_a, evidence=[item], profile="icc-e-court"))
    assert register_of(export, tmp_path / "shared") == [["Evidence number", EXCULPATORY], [item.ern, "no"]]


def test_a_case_profile_may_not_take_a_name_its_exports_can_use_already(client_for, case_a, case_b, lead, staff):
    client_for(staff).post("/api/v1/export-profiles/", profile_body(None, name="icc-e-court"), format="json")
    case_b.memberships.create(user=lead, role=Role.LEAD)

    for name in ("default", "e-court", "icc-e-court"):
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
    assert register_of(bucha, tmp_path / "bucha") == [["Bucha number", EXCULPATORY], [bucha_item.ern, "no"]]
    assert register_of(izium, tmp_path / "izium") == [["Number", EXCULPATORY], [izium_item.ern, "no"]]


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


@pytest.mark.parametrize(
    ("column", "error"),
    [
        (
            {"column": "Date", "field": "captured_at", "date_format": "%d/%Q/%Y"},
            "column 1: date_format '%d/%Q/%Y' has %Q, which is not a date directive; use %A, %B, %H, %I, %M, %S, "
            "%Y, %Z, %a, %b, %d, %j, %m, %p, %y, %z (or 'iso')",
        ),
        (
            {"column": "Date", "field": "captured_at", "date_format": "dd/mm/yyyy"},
            "column 1: date_format 'dd/mm/yyyy' has no date directive; it is 'iso' or a pattern such as '%d/%m/%Y'",
        ),
        (
            {"column": "Size", "field": "size_bytes", "date_format": "%d/%m/%Y"},
            "column 1: date_format applies to date fields only (acquired_at, captured_at, document_date, "
            "document_date_from_file, received_at), not 'size_bytes'",
        ),
        ({"column": "Colour", "field": "colour"}, "column 1: unknown field 'colour'; known: ern, title"),
        ({"column": "ERN", "field": "ern", "width": 20}, "column 1: unknown key 'width'"),
    ],
)
def test_a_profile_with_an_invalid_column_is_refused_with_400_naming_what_is_wrong(
    client_for, case_a, lead, column, error
):
    response = client_for(lead).post("/api/v1/export-profiles/", profile_body(case_a, columns=[column]), format="json")

    assert response.status_code == 400
    (message,) = response.json()["columns"]
    assert message.startswith(error)
    assert not ExportProfile.objects.exists()


def test_two_columns_of_one_name_are_refused(client_for, case_a, lead):
    columns = [{"column": "Title", "field": "ern"}, {"column": "title", "field": "title"}]
    response = client_for(lead).post("/api/v1/export-profiles/", profile_body(case_a, columns=columns), format="json")

    assert response.status_code == 400
    assert response.json() == {"columns": ["column 2: the name 'title' is used by another column"]}


def test_the_built_in_profiles_are_listed_and_default_has_every_field_but_disclosures(client_for, lead):
    profiles = {profile["name"]: profile for profile in client_for(lead).get("/api/v1/export-profiles/").json()}

    assert {name: (p["builtin"], p["id"], p["case"]) for name, p in profiles.items()} == {
        "default": (True, None, None),
        "e-court": (True, None, None),
    }
    default_fields = [column["field"] for column in profiles["default"]["columns"]]
    assert "source_url" in default_fields and "received_at" in default_fields
    assert set(register.FIELDS) - set(default_fields) == {"disclosures"}
    assert len(default_fields) == len(set(default_fields)) == len(register.FIELDS) - 1
    assert [(c["column"], c["field"], c["date_format"]) for c in profiles["e-court"]["columns"]][:4] == [
        ("Document ID", "ern", "iso"),
        ("Title", "title", "iso"),
        ("Date", "document_date", "%d/%m/%Y"),
        ("Date precision", "document_date_precision", "iso"),
    ]
    for profile in profiles.values():  # what the API refuses, no built-in profile does
        assert register.column_errors(profile["columns"]) == [], profile["name"]


def test_a_profile_is_edited_with_a_revision_each_time_and_its_name_never_changes(client_for, case_a, lead):
    client = client_for(lead)
    profile_id = client.post("/api/v1/export-profiles/", profile_body(case_a), format="json").json()["id"]
    dated = [*COLUMNS, {"column": "Date", "field": "captured_at", "date_format": "%d.%m.%Y"}]

    edited = client.patch(f"/api/v1/export-profiles/{profile_id}/", {"columns": dated}, format="json")
    renamed = client.patch(f"/api/v1/export-profiles/{profile_id}/", {"name": "other"}, format="json")
    invalid = client.patch(
        f"/api/v1/export-profiles/{profile_id}/", {"columns": [{"column": "D", "field": "captured_at",
                                                                "date_format": "%Q"}]}, format="json"
    )  # fmt: skip

    assert edited.status_code == 200 and edited.json()["columns"][1]["date_format"] == "%d.%m.%Y"
    assert renamed.status_code == invalid.status_code == 400
    assert list(renamed.json()) == ["name"] and list(invalid.json()) == ["columns"]
    assert ExportProfile.objects.get().name == "bucha-trial-chamber"
    revisions = client.get(f"/api/v1/export-profiles/{profile_id}/revisions/").json()
    assert [(r["revision"], r["event"], r["user"]) for r in revisions] == [
        (1, "created", "prosecutor"),
        (2, "changed", "prosecutor"),
    ]
    assert revisions[1]["changes"] == {
        "columns": {"from": [{"column": "Evidence number", "field": "ern"}], "to": dated}
    }
    entry = AuditEntry.objects.get(action="export_profile.update")
    assert (entry.case_id, entry.actor_id, entry.target) == (case_a.pk, lead.pk, "bucha-trial-chamber")


def test_only_who_may_define_a_profile_edits_or_retires_it_and_another_case_gets_404(
    client_for, member_of, case_a, case_b, lead, staff
):
    case_profile = client_for(lead).post("/api/v1/export-profiles/", profile_body(case_a), format="json").json()["id"]
    shared = profile_body(None, name="icc-e-court")
    shared_profile = client_for(staff).post("/api/v1/export-profiles/", shared, format="json").json()["id"]
    analyst, outsider = client_for(member_of(case_a, Role.ANALYST)), client_for(member_of(case_b, Role.LEAD))
    change = {"description": "changed"}

    assert analyst.get(f"/api/v1/export-profiles/{case_profile}/").status_code == 200
    assert analyst.patch(f"/api/v1/export-profiles/{case_profile}/", change, format="json").status_code == 403
    assert outsider.get(f"/api/v1/export-profiles/{case_profile}/").status_code == 404
    assert outsider.patch(f"/api/v1/export-profiles/{case_profile}/", change, format="json").status_code == 404
    assert outsider.post(f"/api/v1/export-profiles/{case_profile}/retire/", {"reason": "x"}).status_code == 404
    assert (
        client_for(lead).patch(f"/api/v1/export-profiles/{shared_profile}/", change, format="json").status_code == 403
    )
    assert (
        client_for(lead).post(f"/api/v1/export-profiles/{shared_profile}/retire/", {"reason": "x"}).status_code == 403
    )
    assert set(ExportProfile.objects.values_list("description", flat=True)) == {
        "Trial Chamber protocol for the Bucha case"
    }
    assert not ExportProfile.objects.filter(retired_at__isnull=False).exists()
    assert (
        client_for(staff).patch(f"/api/v1/export-profiles/{shared_profile}/", change, format="json").status_code == 200
    )


def test_a_retired_profile_is_chosen_by_no_new_export_and_an_old_export_keeps_the_revision_it_asked_for(
    client_for, case_a, lead, tmp_path
):
    client = client_for(lead)
    profile_id = client.post("/api/v1/export-profiles/", profile_body(case_a), format="json").json()["id"]
    item = archived_item(case_a, lead, b"photo")
    requested = export_request(actor=lead, case=case_a, evidence=[item], profile="bucha-trial-chamber")
    # After the request, before the build: an edit, then the retirement.
    client.patch(
        f"/api/v1/export-profiles/{profile_id}/", {"columns": [{"column": "Renamed", "field": "ern"}]}, format="json"
    )
    no_reason = client.post(f"/api/v1/export-profiles/{profile_id}/retire/", {"reason": "  "}, format="json")
    retired = client.post(f"/api/v1/export-profiles/{profile_id}/retire/", {"reason": "Chamber changed"}, format="json")

    assert no_reason.status_code == 400
    assert retired.status_code == 200 and retired.json()["retired_at"] is not None
    refused = client.post(
        "/api/v1/exports/", {"case": case_a.pk, "evidence": [item.pk], "profile": "bucha-trial-chamber"}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json() == {"profile": ["No export profile 'bucha-trial-chamber'; see /api/v1/export-profiles/."]}
    again = client.post("/api/v1/export-profiles/", profile_body(case_a), format="json")
    assert again.status_code == 400 and list(again.json()) == ["name"]  # the name stays taken
    edit = client.patch(f"/api/v1/export-profiles/{profile_id}/", {"description": "x"}, format="json")
    assert edit.status_code == 400 and list(edit.json()) == ["retired"]
    assert listed(client)["bucha-trial-chamber"] == case_a.pk  # still listed, marked retired

    export = build(requested)
    assert export.status == "ready" and export.profile == "bucha-trial-chamber"
    assert register_of(export, tmp_path / "old") == [["Evidence number", EXCULPATORY], [item.ern, "no"]]
    events = [r["event"] for r in client.get(f"/api/v1/export-profiles/{profile_id}/revisions/").json()]
    assert events == ["created", "changed", "changed"]
    entry = AuditEntry.objects.get(action="export_profile.retire")
    assert entry.details == {"reason": "Chamber changed"}
