"""Errors that say what to do: a choice error names the valid choices, in every choice field of the
API's input (serializers and list filters alike), and a case is named by its id or its reference, a
reference of another case answering as one that does not exist."""

import importlib
import pkgutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import serializers

import api
from api.fields import StrictSerializerMixin
from evidence.models import Role
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

KINDS = "photo, video, audio, document, testimony, other"


def upload(client, case, **fields):
    file = SimpleUploadedFile("note.txt", b"what was seen", "text/plain")
    return client.post("/api/v1/evidence/", {"file": file, "case": case, **fields}, format="multipart")


def feature(case, **properties) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [30.2208, 50.5445]},
        "properties": {"case": case, "title": "Shelling", "occurred_from": "2022-03-04", **properties},
    }


# --- Choices ---------------------------------------------------------------------------------------


def test_a_choice_error_names_the_valid_choices(client_for, member_of, case_a):
    response = upload(client_for(member_of(case_a)), case_a.pk, kind="фото", source_type="telegram")

    assert response.status_code == 400
    assert response.json() == {
        "kind": [f'"фото" is not a valid choice; use one of {KINDS}.'],
        "source_type": [
            '"telegram" is not a valid choice; use one of witness, open_source, forensic, official, other.'
        ],
    }


def test_the_choice_fields_a_model_serializer_makes_name_their_choices_too(client_for, member_of, case_a):
    response = client_for(member_of(case_a)).post(
        "/api/v1/incidents/", feature(case_a.pk, date_precision="week", status="published"), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "date_precision": ['"week" is not a valid choice; use one of exact, day, month, year, approximate.'],
        "status": ['"published" is not a valid choice; use one of draft, under_review, verified, rejected.'],
    }


def input_serializers() -> list[type]:
    """Every serializer of the API that reads input (they all refuse unknown fields)."""
    for module in pkgutil.walk_packages(api.__path__, "api."):
        importlib.import_module(module.name)
    found, todo = [], [StrictSerializerMixin]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if issubclass(cls, serializers.BaseSerializer) and not cls.__name__.endswith("Mixin"):
            found.append(cls)
    return found


def choice_fields(fields) -> list[serializers.ChoiceField]:
    found = []
    for field in fields:
        if field.read_only:  # shown, never read (an assessment's review_state): nothing to refuse
            continue
        if isinstance(field, serializers.ChoiceField):
            found.append(field)
        if isinstance(getattr(field, "child", None), serializers.Field):
            found.extend(choice_fields([field.child]))
    return found


def test_every_choice_field_of_the_api_s_input_names_its_choices():
    checked = 0
    for serializer_class in input_serializers():
        for field in choice_fields(serializer_class().fields.values()):
            with pytest.raises(serializers.ValidationError) as refused:
                field.run_validation("no such choice")
            (message,) = refused.value.detail
            assert message.startswith('"no such choice" is not a valid choice; use one of '), serializer_class
            assert ", ".join(field.choice_strings_to_values) in message
            checked += 1

    assert checked >= 8  # kind, source_type, confidentiality, role, date_precision, status, confidence...


@pytest.mark.parametrize(
    ("route", "query", "message"),
    [
        ("/api/v1/evidence/", "kind=фото", f'"фото" is not a valid choice; use one of {KINDS}.'),
        (
            "/api/v1/incidents/", "status=published",
            '"published" is not a valid choice; use one of draft, under_review, verified, rejected.',
        ),
        (
            "/api/v1/exports/", "status=done",
            '"done" is not a valid choice; use one of queued, building, ready, failed.',
        ),
    ],
)  # fmt: skip
def test_a_list_filter_s_choice_error_names_the_valid_choices(client_for, member_of, case_a, route, query, message):
    response = client_for(member_of(case_a)).get(f"{route}?{query}")

    assert response.status_code == 400
    assert response.json() == {query.partition("=")[0]: [message]}


# --- A case by its reference -------------------------------------------------------------------------


def test_an_upload_names_its_case_by_reference_and_is_answered_with_the_id(client_for, member_of, case_a):
    response = upload(client_for(member_of(case_a)), "UA-2022-BUCHA")

    assert response.status_code == 201, response.json()
    assert response.json()["case"] == case_a.pk


def test_an_incident_names_its_case_by_reference(client_for, member_of, case_a):
    client = client_for(member_of(case_a))

    created = client.post("/api/v1/incidents/", feature("UA-2022-BUCHA"), format="json")
    changed = client.patch(
        f"/api/v1/incidents/{created.json()['id']}/", {"properties": {"case": "UA-2022-BUCHA"}}, format="json"
    )

    assert created.status_code == 201, created.json()
    assert created.json()["properties"]["case"] == case_a.pk
    assert changed.status_code == 200, changed.json()


def test_a_package_request_names_its_case_by_reference(client_for, member_of, case_a):
    incident = make_incident(case_a)

    response = client_for(member_of(case_a, Role.LEGAL)).post(
        "/api/v1/exports/", {"case": "UA-2022-BUCHA", "incidents": [incident.pk]}, format="json"
    )

    assert response.status_code == 202, response.json()
    assert response.json()["case"] == case_a.pk


@pytest.mark.parametrize(
    "reference",
    ["UA-2022-IZIUM", "UA-2099-NOWHERE", "ua-2022-bucha", "UA 2022 BUCHA", "UA-2022-BUCHA\x00", "Ж-1"],
)
def test_another_case_s_reference_answers_as_one_that_does_not_exist(client_for, member_of, case_a, case_b, reference):
    response = upload(client_for(member_of(case_a)), reference)

    assert response.status_code == 400
    assert response.json() == {
        "case": [f'No case "{reference}" among your cases: give the id or the reference of one.']
    }


def test_a_reference_of_ten_thousand_characters_is_refused_without_echoing_it_whole(client_for, member_of, case_a):
    response = upload(client_for(member_of(case_a)), "A" * 10_000)

    assert response.status_code == 400
    assert response.json() == {
        "case": [f'No case "{"A" * 100}" among your cases: give the id or the reference of one.']
    }


def test_an_id_of_another_case_still_answers_as_one_that_does_not_exist(client_for, member_of, case_a, case_b):
    response = upload(client_for(member_of(case_a)), str(case_b.pk))

    assert response.status_code == 400
    assert response.json() == {"case": [f'Invalid pk "{case_b.pk}" - object does not exist.']}


def test_a_case_of_another_type_is_refused_naming_what_is_expected(client_for, member_of, case_a):
    response = client_for(member_of(case_a)).post("/api/v1/incidents/", feature(["UA-2022-BUCHA"]), format="json")

    assert response.status_code == 400
    assert response.json()["case"] == ["Incorrect type. Expected a case id or reference, received list."]


def test_a_choice_error_repeats_at_most_a_hundred_characters_of_what_was_given(client_for, member_of, case_a):
    response = upload(client_for(member_of(case_a)), case_a.pk, kind="x" * 100_000)

    assert response.status_code == 400
    assert response.json() == {"kind": [f'"{"x" * 100}…" is not a valid choice; use one of {KINDS}.']}


def test_a_filter_with_more_choices_than_can_be_listed_points_to_the_docs(client_for, member_of, case_a):
    response = client_for(member_of(case_a)).get("/api/v1/incidents/?crime=8(2)(z)")

    assert response.status_code == 400
    assert response.json() == {
        "crime": ['"8(2)(z)" is not a valid choice; the valid ones are listed at /api/v1/docs/.']
    }
