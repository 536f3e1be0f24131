"""Counts of each case's incidents by map cell, by day and by status and crime, kept by triggers in the
same transaction as the change (evidence.models.summaries), so that the case home reads a few thousand rows
however many incidents a case holds. The counts of the incidents already recorded are made here. Going back
drops the triggers, the functions and the tables."""

import django.db.models.deletion
from django.db import migrations, models


# The point of an incident in Web Mercator metres: the middle of its bounding box (for a line or an area; it
# cannot fail as a point on the surface could on a shape GEOS dislikes), the latitude kept where Web Mercator
# is defined. The formulas are EPSG:3857's, cheaper than ST_Transform for a million rows.
FUNCTIONS = r"""
CREATE FUNCTION evidence_incident_mercator(location geometry) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ST_SetSRID(ST_MakePoint(
        (ST_XMin(box) + ST_XMax(box)) / 2 * 20037508.342789244 / 180,
        ln(tan(pi() / 4 + radians(greatest(-85.0511287798, least(85.0511287798, (ST_YMin(box) + ST_YMax(box)) / 2))) / 2))
            * 20037508.342789244 / pi()
    ), 3857)
    FROM (SELECT Box2D(location) AS box) AS bounds
$$;

-- The cell of the map's grid (2^12 across the world, numbered from the top left as map tiles are).
CREATE FUNCTION evidence_map_cell(metres double precision, flip boolean) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT least(4095, greatest(0, floor(
        (CASE WHEN flip THEN 20037508.342789244 - metres ELSE metres + 20037508.342789244 END)
        / (2 * 20037508.342789244) * 4096)))::integer
$$;

-- Adds the incidents of `changes` (a query: case_id, location, occurred_from, status, crimes, sign) to the
-- counts, with their sign (+1 or -1). Rows in key order, so that two writers lock them in the same order.
CREATE FUNCTION evidence_incident_summaries_sql(changes text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY[
        format($q$
            WITH changes AS (%s)
            INSERT INTO evidence_incidentfacetcount AS t (case_id, facet, value, incidents)
            SELECT case_id, facet, value, sum(sign) FROM (
                SELECT case_id, 'status' AS facet, status AS value, sign FROM changes
                UNION ALL
                SELECT case_id, 'crime', unnest(CASE WHEN cardinality(crimes) > 0 THEN crimes ELSE ARRAY[''] END),
                       sign
                FROM changes
            ) AS facets
            GROUP BY case_id, facet, value ORDER BY case_id, facet, value
            ON CONFLICT (case_id, facet, value) DO UPDATE SET incidents = t.incidents + EXCLUDED.incidents
        $q$, changes),
        format($q$
            WITH changes AS (%s)
            INSERT INTO evidence_incidentdaycount AS t (case_id, day, incidents)
            SELECT changes.case_id, (changes.occurred_from AT TIME ZONE c.time_zone)::date AS day, sum(sign)
            FROM changes JOIN evidence_case c ON c.id = changes.case_id
            GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (case_id, day) DO UPDATE SET incidents = t.incidents + EXCLUDED.incidents
        $q$, changes),
        format($q$
            WITH changes AS (%s),
            points AS (SELECT case_id, sign, evidence_incident_mercator(location) AS m FROM changes)
            INSERT INTO evidence_incidentmapcell AS t (case_id, cx, cy, incidents, sum_x, sum_y)
            SELECT case_id, evidence_map_cell(ST_X(m), false), evidence_map_cell(ST_Y(m), true),
                   sum(sign), sum(sign * ST_X(m)), sum(sign * ST_Y(m))
            FROM points GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (case_id, cx, cy) DO UPDATE SET incidents = t.incidents + EXCLUDED.incidents,
                sum_x = t.sum_x + EXCLUDED.sum_x, sum_y = t.sum_y + EXCLUDED.sum_y
        $q$, changes)
    ]
$$;

CREATE FUNCTION evidence_incident_summaries_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changes text;
    kept text := 'case_id, location, occurred_from, status, crimes';
    statement text;
    case_id_changed bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        changes := format('SELECT %s, 1 AS sign FROM new_incidents', kept);
    ELSIF TG_OP = 'DELETE' THEN
        changes := format('SELECT %s, -1 AS sign FROM old_incidents', kept);
    ELSE
        -- Only the incidents whose case, place, start, status or crimes changed: a new title counts nothing.
        changes := 'SELECT o.case_id, o.location, o.occurred_from, o.status, o.crimes, -1 AS sign
                    FROM old_incidents o JOIN new_incidents n ON n.id = o.id
                    WHERE (o.case_id, o.location, o.occurred_from, o.status, o.crimes)
                          IS DISTINCT FROM (n.case_id, n.location, n.occurred_from, n.status, n.crimes)
                    UNION ALL
                    SELECT n.case_id, n.location, n.occurred_from, n.status, n.crimes, 1
                    FROM old_incidents o JOIN new_incidents n ON n.id = o.id
                    WHERE (o.case_id, o.location, o.occurred_from, o.status, o.crimes)
                          IS DISTINCT FROM (n.case_id, n.location, n.occurred_from, n.status, n.crimes)';
    END IF;
    -- Writers of one case's incidents take turns on its counts, in the order of the cases' ids.
    FOR case_id_changed IN EXECUTE format('SELECT DISTINCT case_id FROM (%s) AS c ORDER BY 1', changes) LOOP
        PERFORM pg_advisory_xact_lock((7114100::bigint << 32) | case_id_changed);
    END LOOP;
    FOREACH statement IN ARRAY evidence_incident_summaries_sql(changes) LOOP
        EXECUTE statement;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER evidence_incident_summaries_insert AFTER INSERT ON evidence_incident
    REFERENCING NEW TABLE AS new_incidents
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_incident_summaries_apply();
CREATE TRIGGER evidence_incident_summaries_update AFTER UPDATE ON evidence_incident
    REFERENCING OLD TABLE AS old_incidents NEW TABLE AS new_incidents
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_incident_summaries_apply();
CREATE TRIGGER evidence_incident_summaries_delete AFTER DELETE ON evidence_incident
    REFERENCING OLD TABLE AS old_incidents
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_incident_summaries_apply();

-- A case moved to another time zone: its days are counted again.
CREATE FUNCTION evidence_incident_days_recount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock((7114100::bigint << 32) | NEW.id);
    DELETE FROM evidence_incidentdaycount WHERE case_id = NEW.id;
    INSERT INTO evidence_incidentdaycount (case_id, day, incidents)
    SELECT NEW.id, (occurred_from AT TIME ZONE NEW.time_zone)::date, count(*)
    FROM evidence_incident WHERE case_id = NEW.id GROUP BY 2;
    RETURN NULL;
END
$$;
CREATE TRIGGER evidence_incident_days_recount AFTER UPDATE OF time_zone ON evidence_case
    FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)
    EXECUTE FUNCTION evidence_incident_days_recount();

-- Every count made again from the incidents (after a bulk load with the triggers off, or to check them).
CREATE FUNCTION evidence_incident_summaries_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    statement text;
BEGIN
    DELETE FROM evidence_incidentfacetcount;
    DELETE FROM evidence_incidentdaycount;
    DELETE FROM evidence_incidentmapcell;
    FOREACH statement IN ARRAY evidence_incident_summaries_sql(
        'SELECT case_id, location, occurred_from, status, crimes, 1 AS sign FROM evidence_incident'
    ) LOOP
        EXECUTE statement;
    END LOOP;
END
$$;

SELECT evidence_incident_summaries_rebuild();
"""

DROP_FUNCTIONS = """
DROP TRIGGER evidence_incident_days_recount ON evidence_case;
DROP TRIGGER evidence_incident_summaries_delete ON evidence_incident;
DROP TRIGGER evidence_incident_summaries_update ON evidence_incident;
DROP TRIGGER evidence_incident_summaries_insert ON evidence_incident;
DROP FUNCTION evidence_incident_summaries_rebuild();
DROP FUNCTION evidence_incident_days_recount();
DROP FUNCTION evidence_incident_summaries_apply();
DROP FUNCTION evidence_incident_summaries_sql(text);
DROP FUNCTION evidence_map_cell(double precision, boolean);
DROP FUNCTION evidence_incident_mercator(geometry);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0021_graphic_evidence_and_viewing_preferences'),
    ]

    operations = [
        migrations.CreateModel(
            name='IncidentDayCount',
            fields=[
                ('pk', models.CompositePrimaryKey('case', 'day', blank=True, editable=False, primary_key=True, serialize=False)),
                ('day', models.DateField()),
                ('incidents', models.IntegerField()),
                ('case', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='evidence.case')),
            ],
        ),
        migrations.CreateModel(
            name='IncidentFacetCount',
            fields=[
                ('pk', models.CompositePrimaryKey('case', 'facet', 'value', blank=True, editable=False, primary_key=True, serialize=False)),
                ('facet', models.CharField(choices=[('status', 'Status'), ('crime', 'Crime')], max_length=8)),
                ('value', models.CharField(blank=True, max_length=24)),
                ('incidents', models.IntegerField()),
                ('case', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='evidence.case')),
            ],
        ),
        migrations.CreateModel(
            name='IncidentMapCell',
            fields=[
                ('pk', models.CompositePrimaryKey('case', 'cx', 'cy', blank=True, editable=False, primary_key=True, serialize=False)),
                ('cx', models.IntegerField()),
                ('cy', models.IntegerField()),
                ('incidents', models.IntegerField()),
                ('sum_x', models.FloatField()),
                ('sum_y', models.FloatField()),
                ('case', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='evidence.case')),
            ],
        ),
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
    ]
