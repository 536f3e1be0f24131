import pytest

from evidence.models import AuditEntry, Incident, Role
from tests.factories import make_area, make_incident

pytestmark = pytest.mark.django_db


def feature(case, geometry=None, **properties):
    return {
        "type": "Feature",
        "geometry": geometry or {"type": "Point", "coordinates": [30.2208, 50.5445]},
        "properties": {
            "case": case.pk,
            "title": "Killings on Yablunska Street",
            "occurred_from": "2022-03-04",
            **properties,
        },
    }


def test_an_investigator_creates_an_incident_from_a_geojson_feature(client_for, case_a, member_of):
    response = client_for(member_of(case_a, Role.INVESTIGATOR)).post(
        "/api/v1/incidents/",
        feature(case_a, crimes=["8(2)(a)(i)"], killed=7, occurred_to="2022-03-06", date_precision="day"),
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["type"] == "Feature"
    assert isinstance(body["id"], int)
    assert body["geometry"] == {"type": "Point", "coordinates": [30.2208, 50.5445]}
    assert body["properties"]["crimes"] == ["8(2)(a)(i)"]
    # Whole days in the case's time zone, Europe/Kyiv (UTC+2 in March 2022), shown in that offset.
    assert body["properties"]["occurred_from"] == "2022-03-04T00:00:00+02:00"
    assert body["properties"]["occurred_to"] == "2022-03-06T23:59:59.999999+02:00"
    assert body["properties"]["killed"] == 7
    assert body["properties"]["injured"] is None
    assert AuditEntry.objects.filter(action="incident.create", case=case_a).exists()


def test_polygons_and_lines_are_accepted(client_for, case_a, member_of):
    client = client_for(member_of(case_a, Role.LEAD))
    grave_site = {
        "type": "Polygon",
        "coordinates": [[[37.244, 49.1735], [37.249, 49.1735], [37.249, 49.1765], [37.244, 49.1735]]],
    }
    route = {"type": "LineString", "coordinates": [[30.22, 50.54], [30.30, 50.60], [30.40, 50.70]]}

    assert client.post("/api/v1/incidents/", feature(case_a, grave_site), format="json").status_code == 201
    assert client.post("/api/v1/incidents/", feature(case_a, route), format="json").status_code == 201
    assert Incident.objects.filter(location__isnull=False).count() == 2


def test_the_detail_is_a_feature_with_the_id_at_the_top(client_for, case_a, member_of):
    incident = make_incident(case_a, place_name="Bucha")

    body = client_for(member_of(case_a, Role.ANALYST)).get(f"/api/v1/incidents/{incident.pk}/").json()

    assert body["id"] == incident.pk
    assert body["type"] == "Feature"
    assert body["properties"]["place_name"] == "Bucha"
    assert body["properties"]["case"] == case_a.pk
    assert "id" not in body["properties"]


def test_the_list_is_a_paginated_feature_collection_with_the_total(client_for, case_a, member_of):
    for _ in range(3):
        make_incident(case_a)

    body = client_for(member_of(case_a, Role.ANALYST)).get("/api/v1/incidents/", {"page_size": 2}).json()

    assert body["type"] == "FeatureCollection"
    assert body["count"] == 3
    assert len(body["features"]) == 2
    assert body["next"]


def test_the_smallest_containing_admin_area_is_set_on_save(client_for, case_a, member_of):
    oblast = make_area("Kyivska", (29.0, 49.0, 32.0, 51.5))
    raion = make_area("Buchanskyi", (29.8, 50.3, 30.5, 50.9), level="raion", parent=oblast)

    response = client_for(member_of(case_a)).post("/api/v1/incidents/", feature(case_a), format="json")

    assert response.json()["properties"]["admin_area"] == raion.pk


def test_a_polygon_gets_the_area_of_its_centroid(case_a):
    west = make_area("West", (30.0, 50.0, 31.0, 51.0))
    make_area("East", (31.0, 50.0, 32.0, 51.0))
    from django.contrib.gis.geos import Polygon

    incident = make_incident(case_a, location=Polygon.from_bbox((30.5, 50.4, 31.2, 50.6)))

    assert incident.admin_area == west


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ({"type": "Point", "coordinates": [200, 50]}, "Longitude 200.0 is out of range"),
        ({"type": "Point", "coordinates": [30, -95]}, "Latitude -95.0 is out of range"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]},
            "Self-intersection",
        ),
        ({"type": "Point", "coordinates": [30]}, "A position has two numbers"),
        ({"type": "Circle", "coordinates": [30, 50]}, "Unsupported geometry type"),
        (
            {"type": "Point", "coordinates": [30, 50], "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}},
            '"crs" is not accepted',
        ),
    ],
)
def test_a_bad_geometry_is_refused_with_the_reason_and_nothing_is_written(
    client_for, case_a, member_of, geometry, reason
):
    response = client_for(member_of(case_a)).post("/api/v1/incidents/", feature(case_a, geometry), format="json")

    assert response.status_code == 400
    assert reason in response.json()["location"][0]
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("properties", "field", "reason"),
    [
        ({"occurred_from": "2022-03-10", "occurred_to": "2022-03-01"}, "occurred_to", "before the start"),
        ({"crimes": ["8(2)(a)(i)", "9(1)"]}, "crimes", "Unknown crime code '9(1)'"),
        ({"occurred_from": "2022-02-30"}, "occurred_from", "not an ISO 8601 date"),
        ({"date_precision": "week"}, "date_precision", "not a valid choice"),
        ({"killed": -1}, "killed", "greater than or equal to 0"),
        ({"status": "published"}, "status", "not a valid choice"),
        ({"titel": "typo"}, "titel", "Unknown field"),
    ],
)
def test_bad_properties_are_refused_by_name_and_nothing_is_written(
    client_for, case_a, member_of, properties, field, reason
):
    response = client_for(member_of(case_a)).post("/api/v1/incidents/", feature(case_a, **properties), format="json")

    assert response.status_code == 400
    assert reason in str(response.json()[field])
    assert not Incident.objects.exists()


def test_a_geometry_with_too_many_vertices_is_refused(client_for, case_a, member_of, settings):
    settings.SLID_MAX_GEOMETRY_VERTICES = 100
    line = {"type": "LineString", "coordinates": [[30 + i / 1000, 50] for i in range(101)]}

    response = client_for(member_of(case_a)).post("/api/v1/incidents/", feature(case_a, line), format="json")

    assert response.status_code == 400
    assert "Too many vertices" in response.json()["location"][0]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.LEGAL])
def test_readers_cannot_create_or_change_incidents(client_for, case_a, member_of, role):
    client = client_for(member_of(case_a, role))
    incident = make_incident(case_a)

    assert client.post("/api/v1/incidents/", feature(case_a), format="json").status_code == 403
    assert client.patch(f"/api/v1/incidents/{incident.pk}/", {"title": "x"}, format="json").status_code == 403
    assert Incident.objects.count() == 1


def test_a_member_of_another_case_sees_none_of_its_incidents(client_for, case_a, case_b, member_of):
    incident = make_incident(case_b)
    client = client_for(member_of(case_a, Role.LEAD))

    assert client.get("/api/v1/incidents/").json()["count"] == 0
    assert client.get(f"/api/v1/incidents/{incident.pk}/").status_code == 404
    assert client.get(f"/api/v1/incidents/{incident.pk}/revisions/").status_code == 404
    assert client.patch(f"/api/v1/incidents/{incident.pk}/", {"title": "x"}, format="json").status_code == 404


def test_an_incident_cannot_be_created_in_someone_elses_case(client_for, case_a, case_b, member_of):
    response = client_for(member_of(case_a, Role.LEAD)).post("/api/v1/incidents/", feature(case_b), format="json")

    assert response.status_code == 400
    assert "case" in response.json()
    assert not Incident.objects.exists()


def test_an_incident_cannot_move_to_another_case(client_for, case_a, case_b, member_of):
    user = member_of(case_a, Role.LEAD)
    case_b.memberships.create(user=user, role=Role.LEAD)
    incident = make_incident(case_a)

    response = client_for(user).patch(f"/api/v1/incidents/{incident.pk}/", {"case": case_b.pk}, format="json")

    assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.case == case_a


def test_every_change_keeps_a_revision_with_who_when_and_what(client_for, case_a, member_of):
    creator = member_of(case_a, Role.INVESTIGATOR, username="olena")
    editor = member_of(case_a, Role.LEAD, username="taras")
    created = client_for(creator).post("/api/v1/incidents/", feature(case_a), format="json").json()
    client_for(editor).patch(
        f"/api/v1/incidents/{created['id']}/",
        {"type": "Feature", "properties": {"status": "under_review", "killed": 9}},
        format="json",
    )

    revisions = client_for(member_of(case_a, Role.ANALYST)).get(f"/api/v1/incidents/{created['id']}/revisions/")

    assert revisions.status_code == 200
    first, second = revisions.json()
    assert (first["revision"], first["user"], first["event"]) == (1, "olena", "created")
    assert first["changes"]["title"] == {"from": None, "to": "Killings on Yablunska Street"}
    assert (second["user"], second["event"]) == ("taras", "changed")
    assert second["changes"] == {
        "status": {"from": "draft", "to": "under_review"},
        "killed": {"from": None, "to": 9},
    }


def test_the_database_refuses_to_rewrite_a_revision(case_a):
    from django.db import connection, transaction
    from django.db.utils import DatabaseError

    make_incident(case_a)

    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE evidence_incidentrevision SET title = 'forged'")


def test_the_incident_list_is_geojson_that_gdal_reads(client_for, case_a, member_of, tmp_path):
    from django.contrib.gis.gdal import DataSource

    make_incident(case_a, title="Bucha", place_name="Bucha")
    from django.contrib.gis.geos import Polygon

    make_incident(case_a, title="Izium", location=Polygon.from_bbox((37.244, 49.1735, 37.249, 49.1765)))
    saved = tmp_path / "incidents.geojson"
    saved.write_bytes(client_for(member_of(case_a)).get("/api/v1/incidents/").content)

    layer = DataSource(str(saved))[0]

    assert len(layer) == 2
    assert {"title", "place_name", "occurred_from", "crimes"} <= set(layer.fields)
    assert sorted(feature.get("title") for feature in layer) == ["Bucha", "Izium"]
    assert sorted(feature.geom.geom_type.name for feature in layer) == ["Point", "Polygon"]


def test_a_point_outside_the_country_is_kept_with_a_warning(client_for, case_a, member_of):
    warsaw = {"type": "Point", "coordinates": [21.0122, 52.2297]}

    response = client_for(member_of(case_a)).post("/api/v1/incidents/", feature(case_a, warsaw), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["geometry"] == warsaw
    assert [w["code"] for w in response.json()["properties"]["warnings"]] == ["outside_country"]
    assert [w["code"] for w in Incident.objects.get().warnings] == ["outside_country"]


def test_swapped_coordinates_are_warned_about_and_the_warning_goes_once_corrected(client_for, case_a, member_of):
    client = client_for(member_of(case_a))
    swapped = {"type": "Point", "coordinates": [50.5445, 30.2208]}  # Bucha, latitude first

    created = client.post("/api/v1/incidents/", feature(case_a, swapped), format="json").json()
    assert [w["code"] for w in created["properties"]["warnings"]] == ["coordinates_swapped"]
    assert "longitude first" in created["properties"]["warnings"][0]["message"]
    shown = client.get(f"/api/v1/incidents/{created['id']}/").json()
    assert shown["properties"]["warnings"] == created["properties"]["warnings"]

    corrected = client.patch(
        f"/api/v1/incidents/{created['id']}/",
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.2208, 50.5445]}, "properties": {}},
        format="json",
    )

    assert corrected.status_code == 200, corrected.content
    assert corrected.json()["properties"]["warnings"] == []
    assert Incident.objects.get().warnings == []


def test_a_client_cannot_silence_a_warning(client_for, case_a, member_of):
    client = client_for(member_of(case_a))
    swapped = {"type": "Point", "coordinates": [50.5445, 30.2208]}

    response = client.post("/api/v1/incidents/", feature(case_a, swapped, warnings=[]), format="json")

    assert response.status_code == 201, response.content
    assert [w["code"] for w in response.json()["properties"]["warnings"]] == ["coordinates_swapped"]
    assert client.post("/api/v1/incidents/", feature(case_a), format="json").json()["properties"]["warnings"] == []
