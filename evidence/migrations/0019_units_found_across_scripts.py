"""Units found by name in any script, as persons are (issue 12: typing "motostrelkovaia" finds
"мотострелковая"): each unit's name and designation in Latin letters, lower case, with a trigram index.
Existing units get theirs now; going back drops the column and its index."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models


def fill_search_names(apps, schema_editor):
    from evidence.names import latin_form

    Unit = apps.get_model("evidence", "Unit")
    for unit in Unit.objects.only("pk", "name", "designation").iterator():
        names = dict.fromkeys(latin_form(text) for text in (unit.name, unit.designation) if text.strip())
        Unit.objects.filter(pk=unit.pk).update(search_names=" | ".join(names))


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0018_where_captured_at_and_kind_came_from_and_incident_warnings"),
    ]

    operations = [
        migrations.AddField(
            model_name="unit",
            name="search_names",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(fill_search_names, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="unit",
            index=GinIndex(fields=["search_names"], name="unit_search_names_trgm", opclasses=["gin_trgm_ops"]),
        ),
    ]
