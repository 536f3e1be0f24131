"""Witness and victim identities of court packages are kept sealed (PackageIdentities), never in the
exports store; and the audit log records key rotations and imports.

A package built with identities by an earlier version kept its identities.json in plain text in its
structure file. That file and the layout are erased, and the export is marked failed with the
reason: a lead requests it again, and the new package keeps the identities sealed."""

import json

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.core.files.storage import storages
from django.db import migrations, models

REASON = (
    "Built by an earlier version of Slid, which kept the witness and victim identities of this package in plain "
    "text; its stored files were erased. Request it again: identities are now kept sealed."
)


def erase_plain_text_identities(apps, schema_editor):
    Export = apps.get_model("evidence", "Export")
    store = storages["exports"]
    for export in Export.objects.filter(include_identities=True).exclude(package_key=""):
        keys = [export.package_key]
        if store.exists(export.package_key):
            with store.open(export.package_key, "rb") as layout:
                keys.insert(0, json.loads(layout.read())["structure_key"])
        for key in keys:
            if store.exists(key):
                store.delete(key)
        Export.objects.filter(pk=export.pk).update(status="failed", status_reason=REASON, package_key="")


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0013_protections_that_cannot_be_skipped'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PackageIdentities',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('identity_key_id', models.CharField(max_length=64)),
                ('identity_sealed', models.BinaryField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
            options={
                'verbose_name_plural': 'package identities',
            },
        ),
        migrations.RemoveConstraint(
            model_name='auditentry',
            name='audit_action_valid',
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('case.create', 'Case created'), ('case.update', 'Case changed'), ('member.add', 'Member added'), ('member.change_role', "Member's role changed"), ('member.remove', 'Member removed'), ('user.create_admin', 'Administrator created'), ('auth.login', 'Signed in'), ('auth.login_failed', 'Sign-in failed'), ('auth.otp_failed', 'One-time code refused'), ('auth.logout', 'Signed out'), ('auth.totp_begin', 'Second factor being set up'), ('auth.totp_on', 'Second factor turned on'), ('auth.totp_off', 'Second factor turned off'), ('incident.create', 'Incident created'), ('incident.update', 'Incident changed'), ('incident.import', 'Incidents imported from a file'), ('unit.create', 'Unit created'), ('unit.update', 'Unit changed'), ('person.create', 'Person created'), ('person.update', 'Person changed'), ('allegation.create', 'Allegation created'), ('allegation.update', 'Allegation changed'), ('evidence.receive', 'Evidence received'), ('evidence.link', 'Evidence linked to an incident'), ('evidence.download', 'Evidence downloaded'), ('evidence.retry', 'Evidence processing retried'), ('export.request', 'Package requested'), ('export.identities_requested', 'Package with identities requested'), ('export.download', 'Package downloaded'), ('export_profile.create', 'Register profile created'), ('witness.create', 'Witness recorded'), ('witness.update', 'Witness changed'), ('witness.identity_reveal', 'Witness identity revealed'), ('victim.create', 'Victim recorded'), ('victim.update', 'Victim changed'), ('victim.identity_reveal', 'Victim identity revealed'), ('identity_key.rotate', 'Identity re-encrypted under the current key')], max_length=64),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['case.create', 'case.update', 'member.add', 'member.change_role', 'member.remove', 'user.create_admin', 'auth.login', 'auth.login_failed', 'auth.otp_failed', 'auth.logout', 'auth.totp_begin', 'auth.totp_on', 'auth.totp_off', 'incident.create', 'incident.update', 'incident.import', 'unit.create', 'unit.update', 'person.create', 'person.update', 'allegation.create', 'allegation.update', 'evidence.receive', 'evidence.link', 'evidence.download', 'evidence.retry', 'export.request', 'export.identities_requested', 'export.download', 'export_profile.create', 'witness.create', 'witness.update', 'witness.identity_reveal', 'victim.create', 'victim.update', 'victim.identity_reveal', 'identity_key.rotate'])), name='audit_action_valid'),
        ),
        migrations.AddField(
            model_name='packageidentities',
            name='export',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='sealed_identities', to='evidence.export'),
        ),
        migrations.AddField(
            model_name='packageidentities',
            name='persons',
            field=models.ManyToManyField(blank=True, related_name='+', to='evidence.protectedperson'),
        ),
        migrations.RunPython(erase_plain_text_identities, migrations.RunPython.noop),
    ]
