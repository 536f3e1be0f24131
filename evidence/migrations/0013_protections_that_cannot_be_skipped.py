"""The protections of custody, audit and evidence, as plain triggers that no session can switch off.

pgtrigger's triggers skip themselves when the session variable `pgtrigger.ignore` names them, and
any role may set a session variable. These have no such switch: only the owner of the tables (the
role that runs migrations, never the application's) could disable or drop them. They refuse:
- UPDATE and DELETE of custody entries and audit entries (both append-only);
- DELETE of evidence items;
- a change to an item's sha256, md5, size_bytes, digests or archive_key once it holds a value (set
  once: intake records the hashes at receipt, the worker the archive key);
- TRUNCATE, which fires no row trigger, of custody entries, audit entries, evidence items and their
  links to incidents.
"""

import pgtrigger.migrations
from django.db import migrations

# (table, trigger, when, level, message)
REFUSALS = [
    ("evidence_custodyentry", "custody_append_only", "UPDATE OR DELETE", "ROW",
     "Cannot update or delete a custody entry: the chain of custody is append-only"),
    ("evidence_custodyentry", "custody_never_truncated", "TRUNCATE", "STATEMENT",
     "Cannot truncate the chain of custody: it is append-only"),
    ("evidence_auditentry", "audit_append_only", "UPDATE OR DELETE", "ROW",
     "Cannot update or delete an audit entry: the audit log is append-only"),
    ("evidence_auditentry", "audit_never_truncated", "TRUNCATE", "STATEMENT",
     "Cannot truncate the audit log: it is append-only"),
    ("evidence_evidenceitem", "evidence_never_deleted", "DELETE", "ROW",
     "Cannot delete an evidence item: evidence is never deleted"),
    ("evidence_evidenceitem", "evidence_never_truncated", "TRUNCATE", "STATEMENT",
     "Cannot truncate evidence items: evidence is never deleted"),
    ("evidence_evidenceincidentlink", "evidence_links_never_truncated", "TRUNCATE", "STATEMENT",
     "Cannot truncate the links of evidence to incidents"),
]  # fmt: skip

# Each column and when it counts as set; once set, it never changes.
SET_ONCE = [
    ("sha256", "coalesce(OLD.sha256, '') <> ''"),
    ("md5", "coalesce(OLD.md5, '') <> ''"),
    ("size_bytes", "OLD.size_bytes IS NOT NULL"),
    ("digests", "coalesce(OLD.digests, 'null') NOT IN ('null'::jsonb, '{}'::jsonb)"),
    ("archive_key", "OLD.archive_key <> ''"),
]

SET_ONCE_CHECKS = "\n".join(
    f"""    IF {is_set} AND NEW.{column} IS DISTINCT FROM OLD.{column} THEN
        RAISE EXCEPTION 'Cannot change the {column} of evidence item %: it is set once', OLD.ern;
    END IF;"""
    for column, is_set in SET_ONCE
)

CREATE = (
    """
CREATE FUNCTION evidence_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0];
END
$$;
"""
    + "".join(
        f"CREATE TRIGGER {trigger} BEFORE {when} ON {table} FOR EACH {level} "
        f"EXECUTE FUNCTION evidence_refuse('{message}');\n"
        for table, trigger, when, level, message in REFUSALS
    )
    + f"""
CREATE FUNCTION evidence_set_once_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{SET_ONCE_CHECKS}
    RETURN NEW;
END
$$;
CREATE TRIGGER evidence_set_once BEFORE UPDATE ON evidence_evidenceitem
    FOR EACH ROW EXECUTE FUNCTION evidence_set_once_unchanged();
"""
)

DROP = (
    "DROP TRIGGER evidence_set_once ON evidence_evidenceitem;\n"
    "DROP FUNCTION evidence_set_once_unchanged();\n"
    + "".join(f"DROP TRIGGER {trigger} ON {table};\n" for table, trigger, *_ in REFUSALS)
    + "DROP FUNCTION evidence_refuse();\n"
)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0012_evidence_status_transitions")]

    operations = [
        pgtrigger.migrations.RemoveTrigger(model_name="auditentry", name="audit_append_only"),
        pgtrigger.migrations.RemoveTrigger(model_name="custodyentry", name="custody_append_only"),
        pgtrigger.migrations.RemoveTrigger(model_name="evidenceitem", name="evidence_never_deleted"),
        pgtrigger.migrations.RemoveTrigger(model_name="evidenceitem", name="evidence_hashes_set_once"),
        migrations.RunSQL(CREATE, DROP),
    ]
