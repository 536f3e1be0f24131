"""Vector tiles (Mapbox Vector Tile, made by PostGIS's ST_AsMVT) in the web map's tile scheme: Web Mercator
(EPSG:3857), tiles numbered from the top left as OpenStreetMap's and OpenLayers' are.

A tile is asked for as (z, x, y); ``tile_envelope_sql`` is its square in metres. The admin areas' boundaries
come from here; the incidents' clusters from evidence.selectors.maps, which uses the same grid."""

from dataclasses import dataclass

from django.db import connection

from geo.models import AdminArea

# Deep enough for a street; the map scales the deepest tile up beyond it.
MAX_ZOOM = 18
# Units across a tile inside the MVT (the format's usual 4096), and the margin drawn beyond its edge so
# lines that cross it join up.
EXTENT = 4096
BUFFER = 64
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"

# Which areas a tile shows at which zoom: oblasts everywhere, raions and hromadas once they are large
# enough on the screen to tell apart.
LEVELS_FROM_ZOOM = (
    (AdminArea.Level.COUNTRY, 0),
    (AdminArea.Level.OBLAST, 0),
    (AdminArea.Level.RAION, 6),
    (AdminArea.Level.HROMADA, 9),
)


class TileError(ValueError):
    """A tile that does not exist: a zoom out of range, or x or y outside the zoom's grid."""


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    @classmethod
    def parse(cls, z: object, x: object, y: object) -> "Tile":
        """A tile from the request's z, x and y (text); TileError names what is wrong."""
        values = {}
        for name, raw in (("z", z), ("x", x), ("y", y)):
            text = str(raw if raw is not None else "")
            if not (text.isascii() and text.isdigit() and len(text) <= 8):
                raise TileError(f"{name}: a whole number from 0 is expected.")
            values[name] = int(text)
        if values["z"] > MAX_ZOOM:
            raise TileError(f"z: at most {MAX_ZOOM}.")
        side = 2 ** values["z"]
        for name in ("x", "y"):
            if values[name] >= side:
                raise TileError(f"{name}: below {side} at zoom {values['z']}.")
        return cls(**values)


def admin_area_tile(tile: Tile) -> bytes:
    """The boundaries of the admin areas in the tile, as one MVT layer ``areas`` (name_uk, name_en, level),
    simplified to the tile's resolution; empty bytes when there are none."""
    levels = [level for level, from_zoom in LEVELS_FROM_ZOOM if tile.z >= from_zoom]
    sql = """
        WITH bounds AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS box),
        shapes AS (
            SELECT a.name_uk, a.name_en, a.level,
                   ST_AsMVTGeom(
                       ST_Boundary(ST_Transform(ST_SimplifyPreserveTopology(a.boundary, %(tolerance)s), 3857)),
                       bounds.box, %(extent)s, %(buffer)s, true
                   ) AS geom
            FROM geo_adminarea a, bounds
            WHERE a.boundary && ST_Transform(bounds.box, 4326) AND a.level = ANY(%(levels)s)
        )
        SELECT ST_AsMVT(shapes, 'areas', %(extent)s, 'geom') FROM shapes WHERE geom IS NOT NULL
    """
    # A pixel of the tile in degrees, about: finer detail than that cannot be seen.
    tolerance = 360 / (2**tile.z * EXTENT)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {**tile.__dict__, "extent": EXTENT, "buffer": BUFFER, "levels": levels, "tolerance": tolerance},
        )
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""
