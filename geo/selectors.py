"""Spatial reads. Distances are metres on the WGS 84 ellipsoid, never degrees."""

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import Area, Distance
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db.models import F, QuerySet
from django.db.models.functions import Cast

from geo.models import AdminArea

# Geography casts of a geometry column; a functional index on the same expression makes them fast.
GEOGRAPHY = GeometryField(geography=True, srid=4326)


def as_geography(field: str) -> Cast:
    return Cast(F(field), output_field=GEOGRAPHY)


def within_metres(queryset: QuerySet, *, field: str, lon: float, lat: float, metres: float) -> QuerySet:
    """Rows whose ``field`` comes within ``metres`` of the point, annotated with ``distance_m``."""
    point = Point(lon, lat, srid=4326)
    return (
        queryset.annotate(_geog=as_geography(field))
        .filter(_geog__dwithin=(point, metres))
        .annotate(distance_m=Distance("_geog", point))
    )


def admin_area_containing(geometry: GEOSGeometry) -> AdminArea | None:
    """The smallest area that contains the geometry's point (its centroid for lines and polygons)."""
    point = geometry if geometry.geom_type == "Point" else geometry.centroid
    return AdminArea.objects.filter(boundary__contains=point).annotate(size=Area("boundary")).order_by("size").first()


def admin_area_with_descendants(area: AdminArea) -> list[int]:
    ids, frontier = [area.pk], [area.pk]
    while frontier:
        frontier = list(AdminArea.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids
