"""The database itself refuses any change of an evidence item's status that the state machine does
not allow (evidence/services/processing.py; the table is in the README). A plain trigger, not a
pgtrigger one, so that no session setting can switch it off."""

from django.db import migrations

ALLOWED = [
    ("received", "processing"),  # a worker claims the item
    ("processing", "received"),  # the worker gives it back before a retry
    ("processing", "archived"),
    ("processing", "duplicate"),
    ("processing", "corrupt"),
    ("processing", "failed"),
    ("failed", "received"),  # a member asks for a retry
]

CREATE = """
CREATE FUNCTION evidence_status_transition_allowed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status
       AND (OLD.status, NEW.status) NOT IN ({pairs}) THEN
        RAISE EXCEPTION 'An evidence item cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER evidence_status_transition
    BEFORE UPDATE OF status ON evidence_evidenceitem
    FOR EACH ROW EXECUTE FUNCTION evidence_status_transition_allowed();
""".format(pairs=", ".join(f"('{old}', '{new}')" for old, new in ALLOWED))

DROP = """
DROP TRIGGER evidence_status_transition ON evidence_evidenceitem;
DROP FUNCTION evidence_status_transition_allowed();
"""


class Migration(migrations.Migration):
    dependencies = [("evidence", "0011_processing_leases_outbox_and_vocabularies")]

    operations = [migrations.RunSQL(CREATE, DROP)]
