"""The words ?q= searches an item by, in a table of their own (EvidenceSearchDocument), kept by a trigger when
the item's title, description, source, file name or metadata change. Intake updates an item's row at every step;
with the full-text index on that row, each update also rewrote the index's entries for every word of the
file's metadata."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

DOCUMENT = """
    to_tsvector('simple', concat_ws(' ', NEW.title, NEW.description, NEW.source, NEW.original_filename,
        translate(NEW.original_filename, '._-', '   '),
        left(jsonb_path_query_array(NEW.metadata, 'strict $.** ? (@.type() == "string")')::text, 100000)))
"""

KEEP = f"""
CREATE FUNCTION evidence_search_document_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO evidence_evidencesearchdocument (item_id, document) VALUES (NEW.id, {DOCUMENT})
    ON CONFLICT (item_id) DO UPDATE SET document = EXCLUDED.document;
    RETURN NULL;
END
$$;
CREATE TRIGGER evidence_search_document_insert AFTER INSERT ON evidence_evidenceitem
    FOR EACH ROW EXECUTE FUNCTION evidence_search_document_keep();
CREATE TRIGGER evidence_search_document_update
    AFTER UPDATE OF title, description, source, original_filename, metadata ON evidence_evidenceitem
    FOR EACH ROW WHEN (
        OLD.title IS DISTINCT FROM NEW.title OR OLD.description IS DISTINCT FROM NEW.description
        OR OLD.source IS DISTINCT FROM NEW.source OR OLD.original_filename IS DISTINCT FROM NEW.original_filename
        OR OLD.metadata IS DISTINCT FROM NEW.metadata
    )
    EXECUTE FUNCTION evidence_search_document_keep();
"""

# Items received before: their documents, as the trigger would have made them.
BACKFILL = f"""
INSERT INTO evidence_evidencesearchdocument (item_id, document)
SELECT NEW.id, {DOCUMENT} FROM evidence_evidenceitem AS NEW;
"""

DROP = """
DROP TRIGGER evidence_search_document_update ON evidence_evidenceitem;
DROP TRIGGER evidence_search_document_insert ON evidence_evidenceitem;
DROP FUNCTION evidence_search_document_keep();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0029_corrections_with_history_and_dates_as_given'),
    ]

    operations = [
        migrations.CreateModel(
            name='EvidenceSearchDocument',
            fields=[
                ('item', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='search_document', serialize=False, to='evidence.evidenceitem')),
                ('document', django.contrib.postgres.search.SearchVectorField()),
            ],
            options={
                'indexes': [django.contrib.postgres.indexes.GinIndex(fields=['document'], name='evidence_search')],
            },
        ),
        migrations.RunSQL(KEEP + BACKFILL, DROP),
    ]
