import pytest

from geo.validation import GeometryError, geometry_from_geojson, parse_bbox


def test_a_valid_polygon_becomes_a_geometry_in_wgs84():
    geometry = geometry_from_geojson({"type": "Polygon", "coordinates": [[[30, 50], [31, 50], [31, 51], [30, 50]]]})

    assert geometry.srid == 4326
    assert geometry.geom_type == "Polygon"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("{not json", "Not valid JSON"),
        ([1, 2], "Expected a GeoJSON geometry object"),
        ({"type": "Point", "coordinates": []}, "non-empty coordinates"),
        ({"type": "Point", "coordinates": [True, 50]}, "A position has two numbers"),
        ({"type": "Point", "coordinates": [float("nan"), 50]}, "out of range"),
        ({"type": "LineString", "coordinates": [[30, 50]]}, "Not a valid LineString"),
        ({"type": "Polygon", "coordinates": [[[30, 50], [31, 50], [30, 50]]]}, "Invalid Polygon: Too few points"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}, "Self-intersection"),
    ],
)
def test_bad_geometries_are_refused_with_a_reason(value, reason):
    with pytest.raises(GeometryError, match=reason):
        geometry_from_geojson(value)


def test_a_bbox_is_read_in_lon_lat_order():
    assert parse_bbox("22.1,44.3,40.2,52.4") == (22.1, 44.3, 40.2, 52.4)
