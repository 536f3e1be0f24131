"""PostgreSQL's native ``box``: a geometry's bounding rectangle, in double precision.

PostGIS' GiST index on a geometry stores float4 boxes and cannot return them, so every match costs
a visit to the table. A GiST index on a ``box`` column can answer by itself (an index-only scan),
which makes counting large spatial results cheap; see geo.querysets."""

from django.db import models
from django.db.models import Lookup

Rectangle = tuple[float, float, float, float]  # minlon, minlat, maxlon, maxlat


class BoxField(models.Field):
    description = "A rectangle (PostgreSQL box)"

    def db_type(self, connection) -> str:
        return "box"

    def get_prep_value(self, value: Rectangle | str | None) -> str | None:
        if value is None or isinstance(value, str):
            return value
        minx, miny, maxx, maxy = (float(number) for number in value)
        return f"({minx!r},{miny!r}),({maxx!r},{maxy!r})"


class _BoxOperator(Lookup):
    operator = ""

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} {self.operator} {rhs}::box", [*lhs_params, *rhs_params]


@BoxField.register_lookup
class ContainedBy(_BoxOperator):
    lookup_name = "contained_by"
    operator = "<@"


@BoxField.register_lookup
class Overlaps(_BoxOperator):
    lookup_name = "overlaps"
    operator = "&&"
