from datetime import UTC, datetime

import pytest
from django.contrib.gis.geos import LineString, Point, Polygon

from evidence.models import AllegationRole, Incident, IncidentStatus, Role
from evidence.services.record import allegation_create, person_create, unit_create
from tests.factories import make_area, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(case_a, member_of, client_for):
    return client_for(member_of(case_a, Role.ANALYST))


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(feature["properties"]["title"] for feature in response.json()["features"])


def test_bbox_finds_points_inside_and_a_polygon_that_only_partly_overlaps(analyst, case_a):
    make_incident(case_a, title="inside", location=Point(30.5, 50.5, srid=4326))
    make_incident(case_a, title="outside", location=Point(33.0, 50.5, srid=4326))
    make_incident(case_a, title="overlapping", location=Polygon.from_bbox((30.9, 50.9, 31.5, 51.5)))
    make_incident(case_a, title="crossing line", location=LineString((29.0, 50.5), (32.0, 50.5), srid=4326))

    assert titles(analyst.get("/api/v1/incidents/", {"bbox": "30,50,31,51"})) == [
        "crossing line",
        "inside",
        "overlapping",
    ]


def test_the_bbox_count_is_exact_at_the_edges(analyst, case_a, case_b):
    # The count is taken in two parts (footprints inside, then those crossing an edge, tested
    # exactly); it must agree with the features, edge cases included.
    make_incident(case_a, title="on the east edge", location=Point(31.0, 50.5, srid=4326))
    make_incident(case_a, title="in a corner", location=Point(30.0, 50.0, srid=4326))
    make_incident(case_a, title="inside polygon", location=Polygon.from_bbox((30.2, 50.2, 30.4, 50.4)))
    make_incident(case_a, title="overlapping", location=Polygon.from_bbox((30.9, 50.9, 31.5, 51.5)))
    # Its bounding box overlaps the rectangle's corner, the triangle itself does not.
    make_incident(
        case_a, title="near miss", location=Polygon(((30.95, 51.2), (31.3, 50.95), (31.3, 51.2), (30.95, 51.2)))
    )
    # PostgreSQL's box operators have a tolerance of 1e-6: a millionth of a degree must still count.
    make_incident(case_a, title="just outside", location=Point(31.000001, 50.5, srid=4326))
    make_incident(case_a, title="just inside", location=Point(30.999999, 50.5, srid=4326))
    make_incident(case_b, title="another case", location=Point(30.5, 50.5, srid=4326))

    response = analyst.get("/api/v1/incidents/", {"bbox": "30,50,31,51"})

    assert titles(response) == ["in a corner", "inside polygon", "just inside", "on the east edge", "overlapping"]
    assert response.json()["count"] == 5
    narrowed = analyst.get("/api/v1/incidents/", {"bbox": "30,50,31,51", "occurred_after": "2022-03-01"})
    assert narrowed.json()["count"] == 5


def test_a_bbox_count_follows_filters_added_afterwards(case_a):
    make_incident(case_a, title="one", location=Point(30.5, 50.5, srid=4326))
    make_incident(case_a, title="two", location=Point(30.6, 50.6, srid=4326))
    in_bbox = Incident.objects.in_bbox((30, 50, 31, 51))

    assert in_bbox.order_by("title").count() == 2
    assert in_bbox.filter(title="one").count() == 1
    assert in_bbox.exclude(title="one").order_by("title").count() == 1


@pytest.mark.parametrize("bbox", ["30,50,31", "31,50,30,51", "a,b,c,d", "30,50,31,95"])
def test_a_malformed_bbox_is_a_400_naming_it(analyst, bbox):
    response = analyst.get("/api/v1/incidents/", {"bbox": bbox})

    assert response.status_code == 400
    assert "bbox" in response.json()


def test_near_uses_true_metres_on_the_ellipsoid(analyst, case_a):
    # At latitude 60 a degree of longitude is about 55.8 km, half of a degree of latitude: a
    # degree-based radius would get one of these two wrong.
    make_incident(case_a, title="9 km east", location=Point(30.1613, 60.0, srid=4326))
    make_incident(case_a, title="11 km east", location=Point(30.1971, 60.0, srid=4326))
    make_incident(case_a, title="9 km north", location=Point(30.0, 60.0808, srid=4326))
    make_incident(case_a, title="11 km north", location=Point(30.0, 60.0988, srid=4326))

    assert titles(analyst.get("/api/v1/incidents/", {"near": "30,60", "radius_m": 10_000})) == [
        "9 km east",
        "9 km north",
    ]


def test_near_orders_by_distance_and_reports_it(analyst, case_a):
    make_incident(case_a, title="far", location=Point(30.10, 50.0, srid=4326))
    make_incident(case_a, title="near", location=Point(30.01, 50.0, srid=4326))

    body = analyst.get("/api/v1/incidents/", {"near": "30,50", "radius_m": 50_000, "ordering": "distance"}).json()

    assert [f["properties"]["title"] for f in body["features"]] == ["near", "far"]
    assert 700 < body["features"][0]["properties"]["distance_m"] < 730


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"near": "30,50"}, "radius_m"),
        ({"radius_m": 100}, "near"),
        ({"near": "30,50", "radius_m": -5}, "radius_m"),
        ({"near": "300,50", "radius_m": 10}, "near"),
        ({"ordering": "distance"}, "ordering"),
        ({"ordering": "title"}, "ordering"),
    ],
)
def test_bad_near_parameters_are_a_400_naming_them(analyst, params, field):
    response = analyst.get("/api/v1/incidents/", params)

    assert response.status_code == 400
    assert field in response.json()


def test_admin_area_includes_its_descendants(analyst, case_a):
    oblast = make_area("Kyivska", (29.0, 49.0, 32.0, 51.5))
    raion = make_area("Buchanskyi", (29.8, 50.3, 30.5, 50.9), level="raion", parent=oblast)
    make_area("Elsewhere", (35.0, 48.0, 38.0, 50.0))
    make_incident(case_a, title="in the raion", location=Point(30.2, 50.5, srid=4326))
    make_incident(case_a, title="in the oblast only", location=Point(31.5, 50.0, srid=4326))
    make_incident(case_a, title="in another oblast", location=Point(36.0, 49.0, srid=4326))

    assert titles(analyst.get("/api/v1/incidents/", {"admin_area": oblast.pk})) == [
        "in the oblast only",
        "in the raion",
    ]
    assert titles(analyst.get("/api/v1/incidents/", {"admin_area": raion.pk})) == ["in the raion"]


def test_an_unknown_admin_area_is_a_400(analyst):
    response = analyst.get("/api/v1/incidents/", {"admin_area": 999999})

    assert response.status_code == 400
    assert "admin_area" in response.json()


def test_a_date_window_matches_every_period_that_overlaps_it(analyst, case_a):
    def at(day: int) -> datetime:
        return datetime(2022, 3, day, tzinfo=UTC)

    make_incident(case_a, title="before", occurred_from=at(1), occurred_to=at(4))
    make_incident(case_a, title="spans the start", occurred_from=at(3), occurred_to=at(12))
    make_incident(case_a, title="inside, one moment", occurred_from=at(15))
    make_incident(case_a, title="spans the end", occurred_from=at(18), occurred_to=at(28))
    make_incident(case_a, title="after", occurred_from=at(25))
    make_incident(case_a, title="spans everything", occurred_from=at(1), occurred_to=at(30))

    found = titles(analyst.get("/api/v1/incidents/", {"occurred_after": "2022-03-10", "occurred_before": "2022-03-20"}))

    assert found == ["inside, one moment", "spans everything", "spans the end", "spans the start"]


def test_a_window_end_date_includes_that_whole_day(analyst, case_a):
    # 23:30 in Kyiv, the case's time zone (UTC+2 in March 2022).
    make_incident(case_a, title="late that day", occurred_from=datetime(2022, 3, 20, 21, 30, tzinfo=UTC))

    assert titles(analyst.get("/api/v1/incidents/", {"occurred_before": "2022-03-20"})) == ["late that day"]
    assert titles(analyst.get("/api/v1/incidents/", {"occurred_after": "2022-03-21"})) == []


def test_a_bad_window_is_a_400(analyst):
    assert "occurred_after" in analyst.get("/api/v1/incidents/", {"occurred_after": "yesterday"}).json()
    response = analyst.get("/api/v1/incidents/", {"occurred_after": "2022-03-20", "occurred_before": "2022-03-01"})
    assert response.status_code == 400


def test_crime_is_repeatable_and_matches_any(analyst, case_a):
    make_incident(case_a, title="killing", crimes=["8(2)(a)(i)"])
    make_incident(case_a, title="torture", crimes=["8(2)(a)(ii)-1"])
    make_incident(case_a, title="pillage", crimes=["8(2)(b)(xvi)"])

    found = analyst.get("/api/v1/incidents/?crime=8(2)(a)(i)&crime=8(2)(a)(ii)-1")

    assert titles(found) == ["killing", "torture"]
    assert analyst.get("/api/v1/incidents/", {"crime": "99"}).status_code == 400


def test_suspect_and_unit_with_subordinates(analyst, case_a):
    army = unit_create(actor=None, case=case_a, name="Army")
    brigade = unit_create(actor=None, case=case_a, name="Brigade", parent=army)
    battalion = unit_create(actor=None, case=case_a, name="Battalion", parent=brigade)
    soldier = person_create(actor=None, case=case_a, full_name="Ivan Petrov", unit=battalion)
    by_brigade = make_incident(case_a, title="by the brigade")
    by_soldier = make_incident(case_a, title="by the soldier")
    make_incident(case_a, title="unattributed")
    allegation_create(actor=None, case=case_a, incident=by_brigade, unit=brigade, role=AllegationRole.UNIT_IN_CONTROL)
    allegation_create(
        actor=None, case=case_a, incident=by_soldier, person=soldier, role=AllegationRole.DIRECT_PERPETRATOR
    )

    assert titles(analyst.get("/api/v1/incidents/", {"suspect": soldier.pk})) == ["by the soldier"]
    assert titles(analyst.get("/api/v1/incidents/", {"unit": brigade.pk})) == ["by the brigade"]
    assert titles(analyst.get("/api/v1/incidents/", {"unit": army.pk})) == []
    assert titles(analyst.get("/api/v1/incidents/", {"unit": army.pk, "include_subordinates": "true"})) == [
        "by the brigade",
        "by the soldier",
    ]


def test_status_case_and_full_text_filters(analyst, case_a, case_b):
    make_incident(case_a, title="Shelling of the maternity hospital", status=IncidentStatus.VERIFIED)
    make_incident(case_a, title="Filtration camp", description="Detention and interrogation", place_name="Olenivka")
    make_incident(case_b, title="Shelling elsewhere")

    assert titles(analyst.get("/api/v1/incidents/", {"status": "verified"})) == ["Shelling of the maternity hospital"]
    assert len(titles(analyst.get("/api/v1/incidents/", {"case": case_a.pk}))) == 2
    assert titles(analyst.get("/api/v1/incidents/", {"q": "shelling"})) == ["Shelling of the maternity hospital"]
    assert titles(analyst.get("/api/v1/incidents/", {"q": "olenivka interrogation"})) == ["Filtration camp"]


def test_filters_combine(analyst, case_a):
    make_incident(case_a, title="match", crimes=["8(2)(b)(ix)"], location=Point(30.5, 50.5, srid=4326))
    make_incident(case_a, title="wrong crime", crimes=["8(2)(b)(i)"], location=Point(30.5, 50.5, srid=4326))
    make_incident(case_a, title="wrong place", crimes=["8(2)(b)(ix)"], location=Point(36.5, 49.5, srid=4326))

    found = analyst.get("/api/v1/incidents/", {"crime": "8(2)(b)(ix)", "bbox": "30,50,31,51", "status": "draft"})

    assert titles(found) == ["match"]


def test_ordering_by_date(analyst, case_a):
    make_incident(case_a, title="older", occurred_from=datetime(2022, 3, 1, tzinfo=UTC))
    make_incident(case_a, title="newer", occurred_from=datetime(2022, 4, 1, tzinfo=UTC))

    def order(**params):
        return [f["properties"]["title"] for f in analyst.get("/api/v1/incidents/", params).json()["features"]]

    assert order() == ["newer", "older"]
    assert order(ordering="occurred_from") == ["older", "newer"]
