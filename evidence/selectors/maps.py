"""Reads for a case's map, timeline and counts, made to stay fast with a million incidents in a case.

The map is served as vector tiles (geo.tiles) of clusters: each 512-pixel tile is cut into 8 × 8 cells and
holds at most one feature per cell (CLUSTER_CAP), a cluster with its count or, where a cell holds one
incident and the map is close enough to tell, the incident itself. Up to tile zoom 9 the clusters are sums of
the counts the database keeps per cell (evidence.models.summaries), so a tile over the whole country reads a
few thousand rows, not the incidents; closer in, a tile covers a few kilometres and reads its incidents
through the (case, location) index. The timeline and the counts by status and crime come from the same
kept counts."""

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection

from evidence.models import (
    Case,
    IncidentDayCount,
    IncidentFacetCount,
)
from evidence.models.summaries import CELL_LEVEL
from geo.tiles import BUFFER, EXTENT, Tile

# A tile is cut into 2**CLUSTER_LEVELS cells across: 8 × 8 on a 512-pixel tile, 64 pixels each.
CLUSTER_LEVELS = 3
CLUSTER_CAP = (2**CLUSTER_LEVELS) ** 2
# Half the width of the world in Web Mercator metres.
HALF_WORLD = 20037508.342789244


def incident_tile(*, case: Case, tile: Tile) -> bytes:
    """The case's incidents in the tile as one MVT layer ``incidents``: per cell, either a cluster (a point,
    with ``count``) or one incident (its shape, with ``count`` 1, ``id`` and ``title``). At most
    CLUSTER_CAP features, whatever the number of incidents."""
    level = tile.z + CLUSTER_LEVELS
    if level <= CELL_LEVEL:
        sql, params = _tile_from_cells(case, tile, level)
    else:
        sql, params = _tile_from_incidents(case, tile, level)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def _tile_from_cells(case: Case, tile: Tile, level: int) -> tuple[str, dict]:
    # The kept cells inside the tile (a range of the key), summed into the tile's own cells.
    span = 2 ** (CELL_LEVEL - tile.z)
    sql = """
        WITH clusters AS (
            SELECT sum(incidents)::integer AS count,
                   ST_SetSRID(ST_MakePoint(sum(sum_x) / sum(incidents), sum(sum_y) / sum(incidents)), 3857) AS point
            FROM evidence_incidentmapcell
            WHERE case_id = %(case)s AND cx >= %(x0)s AND cx < %(x1)s AND cy >= %(y0)s AND cy < %(y1)s
            GROUP BY cx >> %(shift)s, cy >> %(shift)s
            HAVING sum(incidents) > 0
        ),
        features AS (
            SELECT count, ST_AsMVTGeom(point, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true)
                   AS geom
            FROM clusters
        )
        SELECT ST_AsMVT(features, 'incidents', %(extent)s, 'geom') FROM features WHERE geom IS NOT NULL
    """
    params = {
        "case": case.pk,
        "x0": tile.x * span,
        "x1": (tile.x + 1) * span,
        "y0": tile.y * span,
        "y1": (tile.y + 1) * span,
        "shift": CELL_LEVEL - level,
        **_tile_params(tile),
    }
    return sql, params


def _tile_from_incidents(case: Case, tile: Tile, level: int) -> tuple[str, dict]:
    # Each incident belongs to the tile and cell of its point (evidence_incident_mercator, as the kept
    # cells); the index finds those whose shape reaches into the tile, and the point decides.
    sql = """
        WITH bounds AS (
            SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS box,
                   ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326) AS degrees
        ),
        points AS (
            -- The envelope as values the planner sees, so that it takes the (case, location) index.
            SELECT i.id, i.title, i.location, evidence_incident_mercator(i.location) AS m
            FROM evidence_incident i
            WHERE i.case_id = %(case)s
              AND i.location && ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326)
        ),
        placed AS (
            SELECT id, title, location, m,
                   floor((ST_X(m) + %(half)s) / (2 * %(half)s) * %(cells)s)::bigint AS cx,
                   floor((%(half)s - ST_Y(m)) / (2 * %(half)s) * %(cells)s)::bigint AS cy
            FROM points
        ),
        inside AS (
            SELECT * FROM placed
            WHERE cx >= %(x0)s AND cx < %(x1)s AND cy >= %(y0)s AND cy < %(y1)s
        ),
        cells AS (
            SELECT count(*)::integer AS count, min(id) AS first, avg(ST_X(m)) AS x, avg(ST_Y(m)) AS y
            FROM inside GROUP BY cx, cy
        ),
        features AS (
            SELECT cells.count, NULL::bigint AS id, NULL::text AS title,
                   ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(cells.x, cells.y), 3857), bounds.box, %(extent)s,
                                %(buffer)s, true) AS geom
            FROM cells, bounds WHERE cells.count > 1
            UNION ALL
            SELECT 1, inside.id, inside.title,
                   ST_AsMVTGeom(ST_Transform(ST_ClipByBox2D(inside.location, ST_Expand(bounds.degrees, %(margin)s)),
                                             3857),
                                bounds.box, %(extent)s, %(buffer)s, true)
            FROM cells JOIN inside ON inside.id = cells.first, bounds WHERE cells.count = 1
        )
        SELECT ST_AsMVT(features, 'incidents', %(extent)s, 'geom') FROM features WHERE geom IS NOT NULL
    """
    cells_per_tile = 2**CLUSTER_LEVELS
    tile_degrees = 360 / 2**tile.z
    west, south, east, north = tile_degrees_box(tile)
    params = {
        "west": west,
        "south": south,
        "east": east,
        "north": north,
        "case": case.pk,
        "half": HALF_WORLD,
        "cells": 2**level,
        "x0": tile.x * cells_per_tile,
        "x1": (tile.x + 1) * cells_per_tile,
        "y0": tile.y * cells_per_tile,
        "y1": (tile.y + 1) * cells_per_tile,
        # A shape is cut a little beyond the tile (the buffer's worth), so that its edge is not drawn.
        "margin": tile_degrees * BUFFER / EXTENT * 2,
        **_tile_params(tile),
    }
    return sql, params


def tile_degrees_box(tile: Tile) -> tuple[float, float, float, float]:
    """The tile's (west, south, east, north) in degrees of longitude and latitude."""
    side = 2**tile.z

    def lat(y: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / side))))

    return tile.x / side * 360 - 180, lat(tile.y + 1), (tile.x + 1) / side * 360 - 180, lat(tile.y)


def _tile_params(tile: Tile) -> dict:
    return {"z": tile.z, "x": tile.x, "y": tile.y, "extent": EXTENT, "buffer": BUFFER}


@dataclass(frozen=True)
class Bar:
    """Incidents that began in a period of the timeline (a day, or the week from its Monday)."""

    start: date
    end: date  # the last day of the period
    incidents: int


def incident_timeline(*, case: Case, max_bars: int = 120) -> tuple[str, list[Bar]]:
    """How many of the case's incidents began on each day, in the case's time zone; by week (from
    Monday) when the days from the first to the last are more than ``max_bars``. Returns the period's
    name ("day" or "week") and the bars, the empty periods between the first and the last included."""
    days = dict(
        IncidentDayCount.objects.filter(case=case, incidents__gt=0).order_by("day").values_list("day", "incidents")
    )
    if not days:
        return "day", []
    first, last = min(days), max(days)
    if (last - first).days + 1 <= max_bars:
        return "day", [
            Bar(day, day, days.get(day, 0)) for day in (first + timedelta(n) for n in range((last - first).days + 1))
        ]
    weeks: dict[date, int] = {}
    for day, count in days.items():
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + count
    start = first - timedelta(days=first.weekday())
    bars = []
    while start <= last:
        bars.append(Bar(start, start + timedelta(days=6), weeks.get(start, 0)))
        start += timedelta(days=7)
    return "week", bars


def incident_counts(*, case: Case) -> dict[str, dict[str, int]]:
    """The case's incidents by status and by crime ({"status": {"draft": 12, …}, "crime": {"8(2)(a)(i)": 7,
    "": 3 (no crime named), …}}), largest first; and the total under "total"."""
    rows = IncidentFacetCount.objects.filter(case=case, incidents__gt=0).order_by("-incidents", "value")
    counts: dict[str, dict[str, int]] = {"status": {}, "crime": {}}
    for facet, value, incidents in rows.values_list("facet", "value", "incidents"):
        counts[facet][value] = incidents
    return {**counts, "total": {"incidents": sum(counts["status"].values())}}


def incident_mapped_extent(*, case: Case) -> tuple[float, float, float, float] | None:
    """Where the case's incidents are (minlon, minlat, maxlon, maxlat), from the kept cells: the map opens
    there. None when the case has no incidents."""
    from math import atan, degrees, exp, pi

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(cx), min(cy), max(cx) + 1, max(cy) + 1 FROM evidence_incidentmapcell "
            "WHERE case_id = %s AND incidents > 0",
            [case.pk],
        )
        x0, y0, x1, y1 = cursor.fetchone()
    if x0 is None:
        return None
    side = 2**CELL_LEVEL

    def lon(cx: int) -> float:
        return cx / side * 360 - 180

    def lat(cy: int) -> float:
        return degrees(atan(exp(pi * (1 - 2 * cy / side))) * 2 - pi / 2)

    return lon(x0), lat(y1), lon(x1), lat(y0)
