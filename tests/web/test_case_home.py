"""The case home: its map tiles (capped, of the case alone), the counts the database keeps for it, the
timeline, the counts, the newest activity as each role may see it, and the list under the map with the
API's filters in its address; and in a real browser, the map drawn, the timeline brushed, the list
following."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.db import connection
from django.test import Client
from django.urls import reverse

from evidence.models import IncidentDayCount, IncidentFacetCount, IncidentMapCell, Role
from evidence.services.record import incident_update
from tests.factories import MembershipFactory, UserFactory, give_verdict, make_area, make_incident

BUCHA = (30.2208, 50.5445)
IZIUM = (37.2556, 49.2122)
KHARKIV = (36.2304, 49.9935)


def lead_of(case):
    membership = case.memberships.filter(role=Role.LEAD).first()
    return membership.user if membership else MembershipFactory(case=case, role=Role.LEAD, user=UserFactory()).user


def member(case, role: str):
    return MembershipFactory(case=case, role=role, user=UserFactory()).user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def home(case) -> str:
    return reverse("web:case-home", kwargs={"reference": case.reference})


def tile_url(case) -> str:
    return reverse("web:case-map", kwargs={"reference": case.reference})


# --- Reading a vector tile (the few parts of the MVT protobuf a test needs) ------------------------------


def _varint(data: bytes, at: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[at]
        at += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, at
        shift += 7


def _fields(data: bytes):
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, kind = key >> 3, key & 7
        if kind == 0:
            value, at = _varint(data, at)
        elif kind == 2:
            length, at = _varint(data, at)
            value, at = data[at : at + length], at + length
        elif kind == 1:
            value, at = data[at : at + 8], at + 8
        elif kind == 5:
            value, at = data[at : at + 4], at + 4
        else:
            raise ValueError(f"wire type {kind}")
        yield number, value


def _value(data: bytes):
    for number, value in _fields(data):
        if number == 1:
            return value.decode()
        if number in (4, 5):  # int64, uint64
            return value
        if number == 6:  # sint64
            return (value >> 1) ^ -(value & 1)
    return None


def decode_tile(content: bytes) -> dict[str, list[dict]]:
    """{layer name: [the features' properties]}."""
    layers = {}
    for number, layer in _fields(content):
        if number != 3:
            continue
        name, keys, values, features = "", [], [], []
        for field, value in _fields(layer):
            if field == 1:
                name = value.decode()
            elif field == 2:
                features.append(value)
            elif field == 3:
                keys.append(value.decode())
            elif field == 4:
                values.append(_value(value))
        decoded = []
        for feature in features:
            properties = {}
            for field, value in _fields(feature):
                if field == 2:  # packed tags: key index, value index, …
                    tags, at = [], 0
                    while at < len(value):
                        index, at = _varint(value, at)
                        tags.append(index)
                    properties = {keys[k]: values[v] for k, v in zip(tags[::2], tags[1::2], strict=True)}
            decoded.append(properties)
        layers[name] = decoded
    return layers


def tile_features(client: Client, case, z: int, x: int, y: int) -> list[dict]:
    response = client.get(tile_url(case), {"z": z, "x": x, "y": y})
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return decode_tile(response.content).get("incidents", [])


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


# --- The map's tiles ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_tile_holds_at_most_64_features_however_many_incidents_it_covers(case_a):
    lead = lead_of(case_a)
    # 30 × 30 incidents on a grid of about 300 m around Bucha: 900 in one tile at any zoom below 12.
    for i in range(30):
        for j in range(30):
            make_incident(
                case_a, actor=lead, title=f"Grid {i}-{j}", location=Point(30.10 + i * 0.004, 50.45 + j * 0.003)
            )
    client = signed_in(lead)

    for z in (5, 9, 11, 13):  # from the kept cells (up to 9) and from the incidents (10 and closer)
        x, y = tile_of(30.16, 50.49, z)
        features = tile_features(client, case_a, z, x, y)
        assert 0 < len(features) <= 64, (z, len(features))
    # Far out, the whole grid is one cluster holding every incident.
    x, y = tile_of(30.16, 50.49, 5)
    assert tile_features(client, case_a, 5, x, y) == [{"count": 900}]


@pytest.mark.django_db
def test_close_in_a_lone_incident_is_itself_and_a_crowd_is_a_cluster(case_a):
    lead = lead_of(case_a)
    alone = make_incident(case_a, actor=lead, title="Killings on Yablunska Street", location=Point(*BUCHA))
    for n in range(3):  # three at the same crossroads in Izium
        make_incident(case_a, actor=lead, title=f"Shelling {n}", location=Point(*IZIUM))
    client = signed_in(lead)

    x, y = tile_of(*BUCHA, 14)
    assert tile_features(client, case_a, 14, x, y) == [
        {"count": 1, "id": alone.pk, "title": "Killings on Yablunska Street"}
    ]
    x, y = tile_of(*IZIUM, 14)
    assert tile_features(client, case_a, 14, x, y) == [{"count": 3}]
    # Far out, one cluster each: the kept cells hold no titles.
    x, y = tile_of(*BUCHA, 3)
    assert sorted(f["count"] for f in tile_features(client, case_a, 3, x, y)) == [1, 3]


@pytest.mark.django_db
def test_a_tile_shows_the_case_asked_for_and_no_other(case_a, case_b):
    lead_a, lead_b = lead_of(case_a), lead_of(case_b)
    make_incident(case_a, actor=lead_a, title="Case A's", location=Point(*BUCHA))
    secret = make_incident(case_b, actor=lead_b, title="Case B's", location=Point(BUCHA[0] + 1e-4, BUCHA[1]))
    both = UserFactory()
    case_a.memberships.create(user=both, role=Role.ANALYST)
    case_b.memberships.create(user=both, role=Role.ANALYST)

    for z in (4, 15):
        x, y = tile_of(*BUCHA, z)
        features = tile_features(signed_in(both), case_a, z, x, y)
        assert sum(f["count"] for f in features) == 1, z
        assert secret.pk not in [f.get("id") for f in features] and "Case B's" not in str(features)
    # A member of case B alone cannot ask for case A's tiles: there is no such case for them.
    x, y = tile_of(*BUCHA, 15)
    response = signed_in(lead_b).get(tile_url(case_a), {"z": 15, "x": x, "y": y})
    assert response.status_code == 404
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"z": "19", "x": "0", "y": "0"}, "z:"),
        ({"z": "3", "x": "8", "y": "0"}, "x:"),
        ({"z": "3", "x": "0", "y": "-1"}, "y:"),
        ({"z": "3", "x": "0"}, "y:"),
        ({"z": "3", "x": "1e3", "y": "0"}, "x:"),
        ({"z": "3\x00", "x": "0", "y": "0"}, "z:"),
        ({"z": "99999999999999999999", "x": "0", "y": "0"}, "z:"),
    ],
)
def test_a_tile_that_does_not_exist_is_a_400_naming_the_parameter(case_a, query, field):
    response = signed_in(lead_of(case_a)).get(tile_url(case_a), query)

    assert response.status_code == 400
    assert response.content.decode().startswith(field)


@pytest.mark.django_db
def test_the_admin_areas_and_the_outline_are_served_for_the_base_map(case_a):
    make_area("Kyivska", (29.3, 49.2, 32.2, 51.5))
    client = signed_in(lead_of(case_a))

    x, y = tile_of(30.5, 50.4, 6)
    areas = client.get(reverse("web:map-areas"), {"z": 6, "x": x, "y": y})
    outline = client.get(reverse("web:map-outline"))

    assert areas.status_code == 200
    assert decode_tile(areas.content)["areas"] == [{"name_uk": "Kyivska", "name_en": "Kyivska", "level": "oblast"}]
    assert outline.status_code == 200 and outline["Content-Type"] == "application/geo+json"
    assert b'"FeatureCollection"' in outline.content[:200]
    # Far from any area, an empty tile.
    assert client.get(reverse("web:map-areas"), {"z": 6, "x": 0, "y": 0}).content == b""


# --- The counts the database keeps -------------------------------------------------------------------------


def kept_counts(case) -> tuple[dict, dict, int]:
    facets = {(f.facet, f.value): f.incidents for f in IncidentFacetCount.objects.filter(case=case) if f.incidents}
    days = {d.day: d.incidents for d in IncidentDayCount.objects.filter(case=case) if d.incidents}
    cells = sum(c.incidents for c in IncidentMapCell.objects.filter(case=case))
    return facets, days, cells


@pytest.mark.django_db
def test_the_kept_counts_follow_every_create_change_and_move(case_a, case_b):
    lead = lead_of(case_a)
    first = make_incident(
        case_a, actor=lead, occurred_from=datetime(2022, 3, 4, 22, 30, tzinfo=UTC), crimes=["8(2)(a)(i)"]
    )
    make_incident(
        case_a,
        actor=lead,
        occurred_from=datetime(2022, 3, 5, 9, tzinfo=UTC),
        location=Polygon.from_bbox((37.2, 49.2, 37.3, 49.3)),
        crimes=["8(2)(a)(i)", "7(1)(a)"],
        status="verified",
    )
    # 22:30 UTC on 4 March is 00:30 on 5 March in Kyiv (the case's zone).
    assert kept_counts(case_a) == (
        {
            ("status", "draft"): 1,
            ("status", "verified"): 1,
            ("crime", "8(2)(a)(i)"): 2,
            ("crime", "7(1)(a)"): 1,
        },
        {date(2022, 3, 5): 2},
        2,
    )

    incident_update(actor=lead, incident=first, status="under_review", crimes=[], title="Renamed")

    assert kept_counts(case_a)[0] == {
        ("status", "under_review"): 1,
        ("status", "verified"): 1,
        ("crime", "8(2)(a)(i)"): 1,
        ("crime", "7(1)(a)"): 1,
        ("crime", ""): 1,
    }
    # Moved to another case behind the services' back (as an operator might): both cases follow.
    type(first).objects.filter(pk=first.pk).update(case=case_b, location=Point(*KHARKIV))
    assert kept_counts(case_a)[2] == 1 and kept_counts(case_b)[2] == 1
    assert kept_counts(case_b)[0] == {("status", "under_review"): 1, ("crime", ""): 1}


@pytest.mark.django_db
def test_counting_again_from_the_incidents_gives_the_kept_counts(case_a):
    lead = lead_of(case_a)
    for n, place in enumerate((BUCHA, IZIUM, KHARKIV, BUCHA)):
        incident = make_incident(case_a, actor=lead, location=Point(*place), crimes=["8(2)(b)(i)"][: n % 2])
        if n == 2:
            incident_update(actor=lead, incident=incident, location=Point(*IZIUM), status="under_review")
            give_verdict(incident, "verified")
    kept = kept_counts(case_a)

    with connection.cursor() as cursor:
        cursor.execute("SELECT evidence_incident_summaries_rebuild()")

    assert kept_counts(case_a) == kept
    assert kept[2] == 4


@pytest.mark.django_db
def test_a_case_moved_to_another_time_zone_has_its_days_counted_again(case_a):
    make_incident(case_a, actor=lead_of(case_a), occurred_from=datetime(2022, 3, 4, 23, 30, tzinfo=UTC))
    assert kept_counts(case_a)[1] == {date(2022, 3, 5): 1}  # Kyiv

    type(case_a).objects.filter(pk=case_a.pk).update(time_zone="America/New_York")

    assert kept_counts(case_a)[1] == {date(2022, 3, 4): 1}


# --- The page ----------------------------------------------------------------------------------------------


@pytest.fixture
def bucha(case_a):
    """Case A with incidents in three places, two crimes, statuses and dates over two months."""
    lead = lead_of(case_a)
    made = {}
    for title, place, day, crimes, status in (
        ("Killings on Yablunska Street", BUCHA, datetime(2022, 3, 4, 9, tzinfo=UTC), ["8(2)(a)(i)"], "verified"),
        ("Mass grave at the church", BUCHA, datetime(2022, 4, 3, 9, tzinfo=UTC), ["8(2)(a)(i)"], "under_review"),
        ("Burial site in the forest", IZIUM, datetime(2022, 9, 16, 9, tzinfo=UTC), ["7(1)(a)"], "draft"),
        ("Shelling of a residential block", KHARKIV, datetime(2022, 3, 1, 9, tzinfo=UTC), [], "draft"),
    ):
        made[title] = make_incident(
            case_a, actor=lead, title=title, location=Point(*place), occurred_from=day, crimes=crimes, status=status
        )
    return made


@pytest.mark.django_db
def test_the_case_home_shows_the_counts_the_timeline_and_the_list(case_a, bucha):
    response = signed_in(lead_of(case_a)).get(home(case_a))
    page = response.content.decode()

    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert "data-case-map" in page and "/static/web/vendor/ol-7.2.2/dist/ol.js" in page
    assert "4 incidents." in page
    counts = response.context["counts"]
    assert counts["status"] == {"draft": 2, "verified": 1, "under_review": 1}
    assert counts["crime"] == {"8(2)(a)(i)": 2, "": 1, "7(1)(a)": 1}
    # From 1 March to 16 September 2022 is more than 120 days: by week, from the Monday of the first.
    timeline = response.context["timeline"]
    assert timeline["period"] == "week"
    assert timeline["bars"][0] == ["2022-02-28", "2022-03-06", 2]
    assert timeline["bars"][-1] == ["2022-09-12", "2022-09-18", 1]
    assert sum(bar[2] for bar in timeline["bars"]) == 4
    assert [i.title for i in response.context["list"].incidents] == [
        "Burial site in the forest",
        "Mass grave at the church",
        "Killings on Yablunska Street",
        "Shelling of a residential block",
    ]
    assert response.context["map"]["extent"][0] == pytest.approx(30.2, abs=0.1)


@pytest.mark.django_db
def test_the_crimes_counted_and_offered_are_named_in_the_page_s_language(case_a, bucha):
    client = signed_in(lead_of(case_a))
    client.cookies["django_language"] = "uk"

    response = client.get(home(case_a), headers={"Accept-Language": "uk"})

    assert response.context["crime_counts"] == [
        ("8(2)(a)(i)", "Воєнний злочин: умисне вбивство", 2),
        ("", "Злочин ще не визначено", 1),
        ("7(1)(a)", "Злочин проти людяності: вбивство", 1),
    ]
    assert response.context["choices"]["crimes"] == [
        ("7(1)(a)", "Злочин проти людяності: вбивство"),
        ("8(2)(a)(i)", "Воєнний злочин: умисне вбивство"),
    ]
    assert "War crime of wilful killing" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ({"crime": "7(1)(a)"}, ["Burial site in the forest"]),
        ({"status": "draft"}, ["Burial site in the forest", "Shelling of a residential block"]),
        ({"q": "grave"}, ["Mass grave at the church"]),
        ({"occurred_after": "2022-03-02", "occurred_before": "2022-04-30"}, ["Mass grave at the church",
                                                                            "Killings on Yablunska Street"]),
        ({"bbox": "29.9,50.3,30.5,50.7"}, ["Mass grave at the church", "Killings on Yablunska Street"]),
        ({"bbox": "29.9,50.3,30.5,50.7", "status": "verified"}, ["Killings on Yablunska Street"]),
    ],
)  # fmt: skip
def test_the_list_takes_the_apis_filters_from_the_address(case_a, bucha, query, titles):
    response = signed_in(lead_of(case_a)).get(home(case_a), query)

    assert [i.title for i in response.context["list"].incidents] == titles
    assert response.context["list"].count == len(titles)


@pytest.mark.django_db
def test_the_list_filters_by_suspect_and_by_unit_with_its_subordinates(case_a, bucha):
    from evidence.services.record import allegation_create, person_create, unit_create

    lead = lead_of(case_a)
    brigade = unit_create(actor=lead, case=case_a, name="64th Separate Motor Rifle Brigade")
    battalion = unit_create(actor=lead, case=case_a, name="1st Battalion", parent=brigade)
    soldier = person_create(actor=lead, case=case_a, full_name="Ivan Petrov", unit=battalion)
    allegation_create(
        actor=lead, case=case_a, incident=bucha["Burial site in the forest"], person=soldier, role="direct_perpetrator"
    )
    client = signed_in(lead)

    by_suspect = client.get(home(case_a), {"suspect": soldier.pk}).context["list"].incidents
    by_brigade = client.get(home(case_a), {"unit": brigade.pk}).context["list"].incidents
    with_subordinates = client.get(home(case_a), {"unit": brigade.pk, "include_subordinates": "true"})

    assert [i.title for i in by_suspect] == ["Burial site in the forest"]
    assert by_brigade == []
    assert [i.title for i in with_subordinates.context["list"].incidents] == ["Burial site in the forest"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"bbox": "nonsense"}, "bbox"),
        ({"bbox": "30,50,29,51"}, "bbox"),
        ({"occurred_after": "4 March"}, "occurred_after"),
        ({"occurred_after": "2022-04-01", "occurred_before": "2022-03-01"}, "occurred_before"),
        ({"status": "buried"}, "status"),
        ({"crime": "8(2)(z)"}, "crime"),
        ({"unit": "999999"}, "unit"),
        ({"suspect": "not a number"}, "suspect"),
        ({"q": "\x00' OR 1=1 --"}, None),
        ({"q": "x" * 10_000}, None),
        ({"page": "99999999999999"}, None),
        ({"page": "-3"}, None),
        ({"bbox": " "}, None),  # blank: no filter, and no extent for the map
        ({"bbox": ["nonsense", "30,50,31,51"]}, None),  # the filter reads the last; so does the map
        ({"bbox": ["30,50,31,51", "nonsense"]}, "bbox"),
    ],
)
def test_a_filter_that_cannot_be_applied_is_named_next_to_the_list_never_a_500(case_a, bucha, query, field):
    response = signed_in(lead_of(case_a)).get(home(case_a), query)

    assert response.status_code == 200
    errors = response.context["list"].errors
    assert list(errors) == ([field] if field else [])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "extent"),
    [
        ({"bbox": " 30,50,31,51 "}, [30.0, 50.0, 31.0, 51.0]),
        ({"bbox": ["nonsense", "30,50,31,51"]}, [30.0, 50.0, 31.0, 51.0]),
        ({"bbox": " "}, None),
        ({"bbox": "30,50,29,51"}, None),
    ],
)
def test_the_map_opens_on_the_extent_the_list_was_filtered_by(case_a, bucha, query, extent):
    """The map shows what the list shows: the bbox the filter applied, else the case's incidents."""
    response = signed_in(lead_of(case_a)).get(home(case_a), query)

    options = response.context["map"]
    if extent is None:  # where the case's incidents are: around Bucha (30.2208, 50.5445) to Izium (37.2556, 49.2122)
        west, south, east, north = options["extent"]
        assert west <= 30.2208 and east >= 37.2556 and south <= 49.2122 and north >= 50.5445
        assert east - west < 8 and north - south < 2
    else:
        assert options["extent"] == extent


@pytest.mark.django_db
def test_the_list_is_paged_and_its_links_keep_the_filters(case_a):
    lead = lead_of(case_a)
    for n in range(27):
        make_incident(case_a, actor=lead, title=f"Shelling {n:02}", occurred_from=datetime(2022, 3, 1 + n, tzinfo=UTC))
    client = signed_in(lead)

    first = client.get(home(case_a), {"q": "shelling"})
    second = client.get(home(case_a), {"q": "shelling", "page": "2"})

    assert [i.title for i in first.context["list"].incidents][:2] == ["Shelling 26", "Shelling 25"]
    assert first.context["list"].next_query() == "q=shelling&page=2"
    assert 'href="?q=shelling&amp;page=2"' in first.content.decode()
    assert [i.title for i in second.context["list"].incidents] == ["Shelling 01", "Shelling 00"]
    assert second.context["list"].previous_query() == "q=shelling"
    assert second.context["list"].count == 27


@pytest.mark.django_db
def test_htmx_gets_the_list_alone(case_a, bucha):
    response = signed_in(lead_of(case_a)).get(home(case_a), {"status": "verified"}, headers={"HX-Request": "true"})
    page = response.content.decode()

    assert page.lstrip().startswith('<div id="incident-list"')
    assert "Killings on Yablunska Street" in page and "Burial site" not in page
    assert "<html" not in page and "data-case-map" not in page


@pytest.mark.django_db
def test_the_newest_activity_is_the_audit_log_for_leads_and_the_record_for_the_others(case_a, bucha):
    lead_page = signed_in(lead_of(case_a)).get(home(case_a))
    assert lead_page.context["activity_is_audit"] is True
    assert "Newest in the audit log" in lead_page.content.decode()
    # Four incidents recorded, and one of them verified by a reviewer.
    assert [a.kind for a in lead_page.context["activity"]] == ["audit"] * 5

    for role in (Role.INVESTIGATOR, Role.ANALYST, Role.LEGAL):
        response = signed_in(member(case_a, role)).get(home(case_a))
        page = response.content.decode()
        assert response.context["activity_is_audit"] is False, role
        assert "audit log" not in page and reverse("web:audit", args=[case_a.reference]) not in page, role
        assert [a.subject for a in response.context["activity"]][:2] == [
            "Shelling of a residential block",
            "Burial site in the forest",
        ], role


@pytest.mark.django_db
def test_the_case_home_answers_in_a_fixed_number_of_queries(case_a, bucha, django_assert_max_num_queries):
    client = signed_in(lead_of(case_a))
    client.get(home(case_a))  # sessions, caches

    with django_assert_max_num_queries(25):
        client.get(home(case_a), {"status": "draft", "bbox": "20,40,40,55"})


def test_the_tile_servers_origin_is_allowed_for_images_alone(settings):
    from web.middleware import content_security_policy

    settings.SLID_MAP_TILE_URL = "https://{a-c}.tiles.example.org/{z}/{x}/{y}.png"
    policy = dict(part.split(" ", 1) for part in content_security_policy().split("; "))

    assert policy["img-src"] == "'self' https://*.tiles.example.org"
    assert all("example.org" not in sources for name, sources in policy.items() if name != "img-src")
