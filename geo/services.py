"""Writes of places."""

from dataclasses import dataclass

from django.contrib.gis.gdal import DataSource, OGRGeometry
from django.contrib.gis.gdal.error import GDALException
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import transaction

from geo.models import AdminArea


class AreaImportError(ValueError):
    """The file cannot be imported as it is; nothing was written."""


@dataclass(frozen=True)
class AreaFieldMapping:
    """Which attribute of the source holds what. Only ``name_uk`` is required."""

    name_uk: str
    name_en: str | None = None
    code: str | None = None
    parent_code: str | None = None


@dataclass
class AreaRow:
    number: int
    name_uk: str
    name_en: str
    code: str
    parent_code: str
    boundary: MultiPolygon


def admin_areas_read(path: str, *, mapping: AreaFieldMapping, layer: int = 0) -> tuple[list[AreaRow], list[str]]:
    """Reads every feature, checking each; returns (rows, errors) and writes nothing."""
    try:
        source = DataSource(path)
    except GDALException as error:
        raise AreaImportError(f"GDAL cannot read {path}: {error}") from None
    source_layer = source[layer]
    missing = [f for f in (mapping.name_uk, mapping.name_en, mapping.code, mapping.parent_code) if f]
    missing = [f for f in missing if f not in source_layer.fields]
    if missing:
        raise AreaImportError(f"No field {missing[0]!r} in the layer; it has: {', '.join(source_layer.fields)}")
    rows, errors = [], []
    for number, feature in enumerate(source_layer, start=1):
        try:
            rows.append(_row(number, feature, mapping))
        except (ValueError, GDALException) as error:
            errors.append(f"feature {number}: {error}")
    return rows, errors


def _text(feature, field: str | None) -> str:
    if not field:
        return ""
    value = feature.get(field)
    return "" if value is None else str(value).strip()


def _row(number: int, feature, mapping: AreaFieldMapping) -> AreaRow:
    name_uk = _text(feature, mapping.name_uk)
    if not name_uk:
        raise ValueError(f"empty {mapping.name_uk}")
    geometry: OGRGeometry = feature.geom
    geometry.transform(4326)
    boundary = GEOSGeometry(geometry.wkb, srid=4326)
    if boundary.geom_type == "Polygon":
        boundary = MultiPolygon(boundary, srid=4326)
    if boundary.geom_type != "MultiPolygon":
        raise ValueError(f"a boundary must be a polygon, not a {boundary.geom_type}")
    if not boundary.valid:
        raise ValueError(f"invalid boundary: {boundary.valid_reason}")
    return AreaRow(
        number=number,
        name_uk=name_uk,
        name_en=_text(feature, mapping.name_en),
        code=_text(feature, mapping.code),
        parent_code=_text(feature, mapping.parent_code),
        boundary=boundary,
    )


@transaction.atomic
def admin_areas_import(rows: list[AreaRow], *, level: str, parent: AdminArea | None = None) -> list[AdminArea]:
    """Creates the areas, or updates those whose code exists already. All or nothing."""
    areas = []
    for row in rows:
        row_parent = parent
        if row.parent_code:
            row_parent = AdminArea.objects.filter(code=row.parent_code).first()
            if row_parent is None:
                raise AreaImportError(f"feature {row.number}: no admin area with code {row.parent_code!r}")
        fields = {
            "name_uk": row.name_uk,
            "name_en": row.name_en,
            "level": level,
            "parent": row_parent,
            "boundary": row.boundary,
        }
        if row.code:
            area, _ = AdminArea.objects.update_or_create(code=row.code, defaults=fields)
        else:
            area = AdminArea.objects.create(**fields)
        areas.append(area)
    return areas
