"""Benchmark of the incident queries on 1,000,000 incidents spread over Ukraine.

    make bench-incidents            # or: scripts/with-env python bench/incidents.py --rows 1000000

Loads the incidents with COPY into the database <name>_bench, then asks three questions through the
API (first page of 100, as a case member) and as raw SQL, and prints medians, the API/SQL ratio and
the query plans. Results are recorded in docs/performance.md.
"""

import argparse
import io
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import median_ms, use_bench_database  # noqa: E402

UKRAINE = (22.15, 44.39, 40.22, 52.38)
KYIV_OBLAST_BBOX = "29.27,49.18,32.16,51.55"
BUCHA = (30.2208, 50.5445)
CRIMES = ["8(2)(a)(i)", "8(2)(b)(i)", "8(2)(b)(ii)", "8(2)(b)(ix)", "8(2)(a)(ii)-1", "7(1)(a)", "8(2)(b)(xvi)"]
START = datetime(2022, 2, 24, tzinfo=UTC)
DAYS = (datetime(2025, 12, 31, tzinfo=UTC) - START).days
CASES = 4


def load(rows: int, case_ids: list[int], *, bulk: bool) -> float:
    """COPY the incidents in; with ``bulk``, the way a million-row import should run: secondary
    indexes and the revision trigger off during COPY, then the revisions written in one set-based
    INSERT and the indexes rebuilt (one sorted build is far cheaper than a million inserts)."""
    from django.db import connection, transaction

    random.seed(8493)
    columns = (
        "public_id, case_id, title, description, occurred_from, occurred_to, date_precision, location, "
        "place_name, crimes, killed, status, created_at, updated_at, warnings"
    )
    now = datetime.now(UTC).isoformat()
    # Incidents are recorded roughly as they happen, so rows arrive in time order (not in space).
    day_offsets = sorted(random.randrange(DAYS) for _ in range(rows))
    started = time.perf_counter()
    # One transaction: a load that fails half-way (a column the loader does not know yet) leaves the table
    # and its indexes as they were, instead of a table without its secondary indexes.
    with transaction.atomic(), connection.cursor() as cursor:
        # The bench database's incidents have no evidence; the cascade reaches the (empty) link table,
        # whose truncation the database refuses unless its owner lifts that for this statement.
        cursor.execute("ALTER TABLE evidence_evidenceincidentlink DISABLE TRIGGER evidence_links_never_truncated")
        cursor.execute("TRUNCATE evidence_incidentrevision, evidence_allegation, evidence_incident CASCADE")
        cursor.execute("ALTER TABLE evidence_evidenceincidentlink ENABLE TRIGGER evidence_links_never_truncated")
        index_definitions = []
        if bulk:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'evidence_incident' AND indexname "
                "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'evidence_incident'::regclass)"
            )
            index_definitions = cursor.fetchall()
            for name, _ in index_definitions:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("ALTER TABLE evidence_incident DISABLE TRIGGER USER")
        raw = cursor.connection
        with raw.cursor().copy(f"COPY evidence_incident ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for number in range(rows):
                lon = random.uniform(UKRAINE[0], UKRAINE[2])
                lat = random.uniform(UKRAINE[1], UKRAINE[3])
                if number % 20 == 0:  # one in twenty is a site, not a point
                    size = random.uniform(0.001, 0.01)
                    wkt = (
                        f"SRID=4326;POLYGON(({lon} {lat},{lon + size} {lat},{lon + size} {lat + size},"
                        f"{lon} {lat + size},{lon} {lat}))"
                    )
                else:
                    wkt = f"SRID=4326;POINT({lon} {lat})"
                start = START + timedelta(days=day_offsets[number], minutes=random.randrange(1440))
                end = (start + timedelta(days=random.randrange(1, 30))).isoformat() if number % 3 == 0 else r"\N"
                crimes = "{" + ",".join(f'"{c}"' for c in random.sample(CRIMES, random.randint(1, 3))) + "}"
                buffer.write(
                    f"{uuid.uuid4()}\t{case_ids[number % CASES]}\tIncident {number}\tShelling near settlement "
                    f"{number % 5000}\t{start.isoformat()}\t{end}\tday\t{wkt}\tsettlement {number % 5000}\t"
                    f"{crimes}\t{random.randint(0, 20)}\tdraft\t{now}\t{now}\t[]\n"
                )
                if number % 10_000 == 9_999:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
                    print(f"\r  loaded {number + 1:,} of {rows:,}", end="", file=sys.stderr, flush=True)
            copy.write(buffer.getvalue())
        print(file=sys.stderr)
        if bulk:
            # The foreign keys' checks of the rows copied wait for the commit; they must run before the
            # table can be altered again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE evidence_incident ENABLE TRIGGER USER")
            cursor.execute(revisions_insert_sql())
            for _, definition in index_definitions:
                cursor.execute(definition)
    with connection.cursor() as cursor:
        # What autovacuum would soon do; until then every scan of the fresh rows sets their hint
        # bits, and no index-only scan can skip the table (the visibility map is empty).
        cursor.execute("VACUUM ANALYZE evidence_incident")
    return time.perf_counter() - started


def revisions_insert_sql() -> str:
    """One INSERT … SELECT writing the "created" revision of every incident, as the trigger would."""
    from evidence.models import IncidentRevision

    tracked = [
        field.column
        for field in IncidentRevision._meta.concrete_fields
        if not field.column.startswith("pgh_") and field.column != "id"
    ]
    columns = ", ".join(f'"{c}"' for c in tracked)
    return (
        f'INSERT INTO evidence_incidentrevision (pgh_created_at, pgh_label, pgh_obj_id, "id", {columns}) '
        f'SELECT now(), \'created\', "id", "id", {columns} FROM evidence_incident'
    )


def bbox_count_parts(bbox: str) -> list[str]:
    """The bbox count as the API takes it (geo.querysets): footprints well inside the rectangle,
    from the index alone, plus the exact test of those reaching into the margin along its edges."""
    from geo.querysets import EDGE_MARGIN as m

    minx, miny, maxx, maxy = (float(n) for n in bbox.split(","))
    inside = f"i.footprint <@ box '({minx + m},{miny + m}),({maxx - m},{maxy - m})'"
    margins = [
        (minx, miny, minx + m, maxy),
        (maxx - m, miny, maxx, maxy),
        (minx, miny, maxx, miny + m),
        (minx, maxy - m, maxx, maxy),
    ]
    in_a_margin = " OR ".join(f"i.footprint && box '({a},{b}),({c},{d})'" for a, b, c, d in margins)
    exact = f"NOT ST_Disjoint(i.location, ST_MakeEnvelope({bbox}, 4326))"
    return [inside, f"({in_a_margin}) AND NOT {inside} AND {exact}"]


QUESTIONS = {
    "bbox: Kyiv oblast": (
        {"bbox": KYIV_OBLAST_BBOX},
        f"ST_Intersects(i.location, ST_MakeEnvelope({KYIV_OBLAST_BBOX}, 4326))",
        "i.occurred_from DESC, i.id DESC",
        bbox_count_parts(KYIV_OBLAST_BBOX),
    ),
    "radius: 10 km around Bucha": (
        {"near": f"{BUCHA[0]},{BUCHA[1]}", "radius_m": 10000, "ordering": "distance"},
        "ST_DWithin(i.location::geography(Geometry,4326), "
        f"ST_SetSRID(ST_MakePoint({BUCHA[0]}, {BUCHA[1]}), 4326)::geography(Geometry,4326), 10000)",
        f"ST_Distance(i.location::geography(Geometry,4326), ST_SetSRID(ST_MakePoint({BUCHA[0]}, {BUCHA[1]}), 4326)"
        "::geography(Geometry,4326)), i.id",
        [],
    ),
    "date window: March 2022": (
        {"occurred_after": "2022-03-01", "occurred_before": "2022-03-31"},
        # Bare dates are days in the case's time zone (Europe/Kyiv, UTC+2 in March before the clocks change).
        "i.period && tstzrange('2022-02-28T22:00:00Z', '2022-03-31T20:59:59.999999Z', '[]') "
        "AND i.occurred_from <= '2022-03-31T20:59:59.999999Z'",
        "i.occurred_from DESC, i.id DESC",
        [],
    ),
}


def sql_for(where: str, order: str, visible_case_ids: list[int], count_parts: list[str]) -> tuple[str, str]:
    visible = f"i.case_id IN ({', '.join(map(str, visible_case_ids))})"
    page = (
        "SELECT i.id, i.title, i.occurred_from, ST_AsGeoJSON(i.location) FROM evidence_incident i "
        f"WHERE {visible} AND {where} ORDER BY {order} LIMIT 100"
    )
    parts = count_parts or [where]
    counts = [f"(SELECT count(*) FROM evidence_incident i WHERE {visible} AND {part})" for part in parts]
    return page, "SELECT " + " + ".join(counts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--skip-load", action="store_true", help="reuse the incidents loaded by an earlier run")
    parser.add_argument(
        "--row-by-row-sample",
        type=int,
        default=50_000,
        help="also time COPY into the live table (every index and trigger) on this many rows",
    )
    options = parser.parse_args()
    use_bench_database()

    from django.db import connection
    from rest_framework.test import APIClient

    from evidence.models import Case, CaseMembership, Incident, Role
    from tests.factories import UserFactory

    cases = [Case.objects.get_or_create(reference=f"BENCH-{n}", defaults={"title": f"Bench {n}"})[0] for n in range(4)]
    case_ids = [case.pk for case in cases]
    analyst = UserFactory(username="bench-analyst")
    for case in cases[:2]:  # the analyst sees half of the incidents
        CaseMembership.objects.get_or_create(case=case, user=analyst, defaults={"role": Role.ANALYST})
    if not options.skip_load or not Incident.objects.exists():
        if options.row_by_row_sample:
            sample = options.row_by_row_sample
            seconds = load(sample, case_ids, bulk=False)
            print(f"COPY into the live table: {sample:,} incidents in {seconds:.1f} s ({sample / seconds:,.0f}/s)")
        seconds = load(options.rows, case_ids, bulk=True)
        print(f"Bulk load: {options.rows:,} incidents in {seconds:.1f} s ({options.rows / seconds:,.0f}/s)")
    total = Incident.objects.count()

    from evidence.services.accounts import token_issue

    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=analyst, name='bench', second_factor=False)[1]}")
    print(f"\n{total:,} incidents; the analyst is a member of 2 of {len(cases)} cases.\n")
    print("| question | matches | API median (ms) | SQL median (ms) | API/SQL |")
    print("|---|---:|---:|---:|---:|")
    plans = {}
    for name, (params, where, order, count_parts) in QUESTIONS.items():
        visible = list(CaseMembership.objects.filter(user=analyst).values_list("case_id", flat=True))
        page_sql, count_sql = sql_for(where, order, visible, count_parts)
        with connection.cursor() as cursor:  # the count in parts must be the plain count
            cursor.execute(count_sql)
            in_parts = cursor.fetchone()[0]
            cursor.execute(sql_for(where, order, visible, [])[1])
            assert in_parts == cursor.fetchone()[0], f"{name}: the count in parts differs from the plain count"

        def ask_api(params=params):
            response = client.get("/api/v1/incidents/", {**params, "page_size": 100})
            assert response.status_code == 200, response.content
            return response

        def ask_sql(page_sql=page_sql, count_sql=count_sql):
            with connection.cursor() as cursor:
                cursor.execute(count_sql)
                cursor.execute(page_sql)
                return cursor.fetchall()

        matches = ask_api().data["count"]
        assert matches == in_parts, f"{name}: the API counts {matches}, SQL {in_parts}"
        api_ms = median_ms(ask_api, repeat=options.repeat)
        sql_ms = median_ms(ask_sql, repeat=options.repeat)
        print(f"| {name} | {matches:,} | {api_ms:.1f} | {sql_ms:.1f} | {api_ms / sql_ms:.1f} |")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + count_sql)
            plans[name] = "\n".join(row[0] for row in cursor.fetchall())

    print()
    for name, plan in plans.items():
        spatial = [line.strip() for line in plan.splitlines() if "Index" in line]
        print(f"EXPLAIN ({name}):\n  " + "\n  ".join(spatial or ["NO INDEX USED"]))
        if not spatial:
            sys.exit(f"{name}: the filter did not use an index")


if __name__ == "__main__":
    main()
