"""Benchmark of the case home with 1,000,000 incidents in one case: its map tiles and the page itself.

    make bench-map            # or: scripts/with-env --owner python bench/map.py --rows 1000000

Loads the incidents (bench/incidents.py's loader, all of them into one case this time) into the database
<name>_bench, counts them into the kept summaries (evidence_incident_summaries_rebuild(), as after any bulk
load with the triggers off), then asks, as an analyst of the case, through the workspace's routes:
- map tiles (web:case-map) at the zooms a person uses: the whole country (tile zoom 5), an oblast (8), the
  last zoom answered from the kept counts (9), the first answered from the incidents (10), a town (12) and a
  street (14), every tile of the country at that zoom up to 24 of them; the median and the slowest, and the
  most features any tile held;
- the case home (web:case-home), whole, and its list alone as htmx asks for it after the map moved.
Results are recorded in docs/performance.md ("The case home and its map").
"""

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import median_ms, use_bench_database  # noqa: E402
from bench.incidents import UKRAINE, load  # noqa: E402

KYIV_OBLAST_BBOX = "29.27,49.18,32.16,51.55"
ZOOMS = (5, 8, 9, 10, 12, 14)
TILES_PER_ZOOM = 24


def tile_range(z: int) -> list[tuple[int, int]]:
    """The tiles over Ukraine at zoom z, spread evenly when there are more than TILES_PER_ZOOM."""

    def xy(lon: float, lat: float) -> tuple[int, int]:
        n = 2**z
        return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

    x0, y0 = xy(UKRAINE[0], UKRAINE[3])
    x1, y1 = xy(UKRAINE[2], UKRAINE[1])
    tiles = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    step = max(1, len(tiles) // TILES_PER_ZOOM)
    return tiles[::step][:TILES_PER_ZOOM]


def timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-load", action="store_true", help="reuse the incidents of an earlier run of this bench")
    parser.add_argument("--only", choices=["tiles", "page"], help="ask only for the map's tiles, or only for the page")
    options = parser.parse_args()
    use_bench_database()
    from django.conf import settings
    from django.test.utils import override_settings

    # The pages name their static files; the bench has not collected them (make run does), so it serves
    # them from the apps as the tests do.
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()

    from django.db import connection
    from django.test import Client

    from evidence.models import Case, CaseMembership, Incident, Role
    from tests.factories import UserFactory

    case = Case.objects.get_or_create(reference="BENCH-MAP", defaults={"title": "Bench: one case, every incident"})[0]
    analyst = UserFactory(username="bench-map-analyst")
    CaseMembership.objects.get_or_create(case=case, user=analyst, defaults={"role": Role.ANALYST})
    loaded = Incident.objects.filter(case=case).count()
    if not options.skip_load or loaded != options.rows:
        seconds = load(options.rows, [case.pk] * 4, bulk=True)
        print(f"Bulk load: {options.rows:,} incidents in {seconds:.1f} s")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT evidence_incident_summaries_rebuild()")
            cursor.execute("VACUUM ANALYZE evidence_incidentmapcell")
            cursor.execute("VACUUM ANALYZE evidence_incidentfacetcount")
            cursor.execute("VACUUM ANALYZE evidence_incidentdaycount")
        print(f"Counted into the summaries in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM evidence_incidentmapcell WHERE case_id = %s", [case.pk])
        cells = cursor.fetchone()[0]
    total = Incident.objects.filter(case=case).count()
    print(f"\n{total:,} incidents in one case; {cells:,} map cells kept for it.\n")

    client = Client(HTTP_HOST="localhost")
    client.force_login(analyst)
    tiles_url = f"/cases/{case.reference}/map/"

    if options.only != "page":
        ask_tiles(client, tiles_url, repeat=options.repeat)
    if options.only != "tiles":
        ask_pages(client, case, repeat=options.repeat)


def ask_tiles(client, tiles_url: str, *, repeat: int) -> None:
    from tests.web.test_case_home import decode_tile

    print("| tile zoom | from | tiles | median (ms) | slowest (ms) | most features in a tile | incidents in them |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for z in ZOOMS:
        times, most, counted = [], 0, 0
        for x, y in tile_range(z):

            def ask(x=x, y=y, z=z):
                response = client.get(tiles_url, {"z": z, "x": x, "y": y})
                assert response.status_code == 200, response.content[:200]
                return response

            ask()  # warm
            samples = []
            for _ in range(repeat):
                ms, response = timed(ask)
                samples.append(ms)
            times.append(statistics.median(samples))
            features = decode_tile(response.content).get("incidents", [])
            most = max(most, len(features))
            counted += sum(f.get("count", 1) for f in features)
        source = "kept cells" if z <= 9 else "incidents"
        print(
            f"| {z} | {source} | {len(times)} | {statistics.median(times):.1f} | {max(times):.1f} | {most} | "
            f"{counted:,} |"
        )


def ask_pages(client, case, *, repeat: int) -> None:
    home = f"/cases/{case.reference}/"
    print("\n| the case home | median (ms) |")
    print("|---|---:|")
    for name, params, headers in (
        ("whole page, no filter", {}, {}),
        ("whole page, the map's view on Kyiv oblast", {"bbox": KYIV_OBLAST_BBOX}, {}),
        ("the list alone (htmx), Kyiv oblast", {"bbox": KYIV_OBLAST_BBOX}, {"HX-Request": "true"}),
        (
            "the list alone (htmx), Kyiv oblast, March 2022, one crime",
            {"bbox": KYIV_OBLAST_BBOX, "occurred_after": "2022-03-01", "occurred_before": "2022-03-31",
             "crime": "8(2)(a)(i)"},
            {"HX-Request": "true"},
        ),
    ):  # fmt: skip

        def ask_page(params=params, headers=headers):
            response = client.get(home, params, headers=headers)
            assert response.status_code == 200, response.content[:300]
            return response

        print(f"| {name} | {median_ms(ask_page, repeat=repeat):.1f} |")


if __name__ == "__main__":
    main()
