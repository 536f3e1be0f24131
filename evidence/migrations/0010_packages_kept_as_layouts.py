"""Packages are kept as layouts now (evidence.storage), not as stored zips. A package built as a
zip by an earlier version stays where it is, untouched; its export is marked failed, with the
reason, so that nobody downloads it through a reader that no longer knows the format."""

from django.db import migrations

REASON = "Built as a stored zip by an earlier version of Slid, which this version does not serve; request it again."


def retire_stored_zips(apps, schema_editor):
    Export = apps.get_model("evidence", "Export")
    Export.objects.filter(status="ready", package_key__endswith=".zip").update(status="failed", status_reason=REASON)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0009_incident_footprint")]

    operations = [migrations.RunPython(retire_stored_zips, migrations.RunPython.noop)]
