"""Querysets of things with a location and a ``footprint`` (the location's bounding box, a
generated BoxField with a GiST index on (case, footprint))."""

from functools import reduce
from operator import or_
from typing import Self

from django.contrib.gis.geos import Polygon
from django.db.models import Q, QuerySet

from geo.fields import Rectangle

# PostgreSQL compares boxes with a tolerance of 1e-6 (EPSILON in its geometric types): a point
# 1e-6 outside a box counts as inside. The part counted from the index alone keeps further in.
EDGE_MARGIN = 1e-5


class FootprintQuerySet(QuerySet):
    # The same count, asked in parts the indexes can answer; set by in_bbox, kept only by order_by
    # (any other change to the query drops it, and count() counts the plain way again).
    _count_parts: tuple[QuerySet, QuerySet] | None = None

    def in_bbox(self, bbox: Rectangle) -> Self:
        """Rows whose location intersects the rectangle: exactly (ST_Intersects), so a polygon
        that only partly overlaps is in, and one whose bounding box overlaps but not itself is out."""
        envelope = Polygon.from_bbox(bbox)
        envelope.srid = 4326
        result = self.filter(location__intersects=envelope)
        minx, miny, maxx, maxy = bbox
        if maxx - minx <= 2 * EDGE_MARGIN or maxy - miny <= 2 * EDGE_MARGIN:
            return result
        # A row whose footprint lies well inside the rectangle intersects it: the index alone counts
        # those. Any other match has a footprint reaching into the margin along one of the edges;
        # only those few (polygons and lines across the border, points right at it) need their
        # exact geometry read. "Not disjoint" is "intersects"; asked that way, the planner does not
        # add a scan of the location index (~50,000 entries for an oblast) to find those few.
        inner = (minx + EDGE_MARGIN, miny + EDGE_MARGIN, maxx - EDGE_MARGIN, maxy - EDGE_MARGIN)
        margins = [
            (minx, miny, inner[0], maxy),
            (inner[2], miny, maxx, maxy),
            (minx, miny, maxx, inner[1]),
            (minx, inner[3], maxx, maxy),
        ]
        in_a_margin = reduce(or_, (Q(footprint__overlaps=margin) for margin in margins))
        result._count_parts = (
            self.filter(footprint__contained_by=inner),
            self.filter(in_a_margin).exclude(footprint__contained_by=inner).exclude(location__disjoint=envelope),
        )
        return result

    def order_by(self, *field_names) -> Self:
        ordered = super().order_by(*field_names)
        ordered._count_parts = self._count_parts
        return ordered

    def count(self) -> int:
        if self._count_parts is None or self._result_cache is not None:
            return super().count()
        return sum(part.count() for part in self._count_parts)
