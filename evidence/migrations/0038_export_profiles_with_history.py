"""Register profiles keep their history (issue #16 §3): every state of a profile is a revision, a profile
may be retired (with a reason) so that no new export chooses it while old exports still name it, and each
export names the revision it was requested with. Each existing profile gets a "snapshot" revision now, and
each existing export that names one of them the snapshot of its profile, the only state still known."""

import django.db.models.deletion
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


def snapshot_existing_profiles(apps, schema_editor):
    ExportProfile = apps.get_model("evidence", "ExportProfile")
    Revision = apps.get_model("evidence", "ExportProfileRevision")
    Export = apps.get_model("evidence", "Export")
    names = [field.attname for field in Revision._meta.concrete_fields if not field.name.startswith("pgh_")]
    for values in ExportProfile.objects.order_by("pk").values("pk", *names).iterator():
        obj_id = values.pop("pk")
        revision = Revision.objects.create(pgh_label="snapshot", pgh_obj_id=obj_id, **values)
        # An export names its profile by name: the case's own first, else the shared one (as the builder finds it).
        exports = Export.objects.filter(profile=values["name"], profile_revision__isnull=True)
        if values["case_id"] is not None:
            exports.filter(case_id=values["case_id"]).update(profile_revision=revision)
        else:
            own = ExportProfile.objects.filter(name=values["name"], case_id__isnull=False).values("case_id")
            exports.exclude(case_id__in=own).update(profile_revision=revision)


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0037_history_triggers_with_every_tracked_field'),
        ('pghistory', '0007_auto_20250421_0444'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ExportProfileRevision',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.BigIntegerField()),
                ('name', models.SlugField(db_index=False, max_length=64)),
                ('description', models.TextField(blank=True)),
                ('columns', models.JSONField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('retired_at', models.DateTimeField(blank=True, null=True)),
                ('retired_reason', models.TextField(blank=True)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.RemoveConstraint(
            model_name='auditentry',
            name='audit_action_valid',
        ),
        migrations.AddField(
            model_name='exportprofile',
            name='retired_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='exportprofile',
            name='retired_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='exportprofile',
            name='retired_reason',
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('case.create', 'Case created'), ('case.update', 'Case changed'), ('member.add', 'Member added'), ('member.change_role', "Member's role changed"), ('member.remove', 'Member removed'), ('user.create_admin', 'Administrator created'), ('user.create', 'Account created'), ('user.deactivate', 'Account deactivated'), ('user.activate', 'Account reactivated'), ('user.password_issue', 'One-time password issued'), ('auth.login', 'Signed in'), ('auth.login_failed', 'Sign-in failed'), ('auth.otp_failed', 'One-time code refused'), ('auth.logout', 'Signed out'), ('auth.totp_begin', 'Second factor being set up'), ('auth.totp_on', 'Second factor turned on'), ('auth.totp_off', 'Second factor turned off'), ('auth.password_change', 'Password changed'), ('incident.create', 'Incident created'), ('incident.update', 'Incident changed'), ('incident.import', 'Incidents imported from a file'), ('admin_area.import', 'Administrative areas imported'), ('unit.create', 'Unit created'), ('unit.update', 'Unit changed'), ('person.create', 'Person created'), ('person.update', 'Person changed'), ('allegation.create', 'Allegation created'), ('allegation.update', 'Allegation changed'), ('evidence.receive', 'Evidence received'), ('evidence.link', 'Evidence linked to an incident'), ('evidence.download', 'Evidence downloaded'), ('evidence.retry', 'Evidence processing retried'), ('evidence.graphic', 'Evidence marked graphic or not graphic'), ('evidence.correct', 'Evidence description corrected'), ('evidence.unlink', 'Evidence unlinked from an incident'), ('evidence.collection', 'Evidence custody before Slid declared'), ('person_assignment.create', "Person's dated assignment recorded"), ('person_assignment.update', "Person's dated assignment changed"), ('evidence.document_facts', 'Document facts of evidence given or corrected'), ('evidence.classify', 'Court classification or exculpatory mark changed'), ('evidence.disclosure', 'Disclosure of evidence recorded'), ('evidence.relate', 'Evidence items related'), ('evidence.unrelate', 'Relation between evidence items removed'), ('export.request', 'Package requested'), ('export.identities_requested', 'Package with identities requested'), ('export.download', 'Package downloaded'), ('export_profile.create', 'Register profile created'), ('export_profile.update', 'Register profile edited'), ('export_profile.retire', 'Register profile retired'), ('witness.create', 'Witness recorded'), ('witness.update', 'Witness changed'), ('witness.identity_reveal', 'Witness identity revealed'), ('victim.create', 'Victim recorded'), ('victim.update', 'Victim changed'), ('victim.identity_reveal', 'Victim identity revealed'), ('assessment.create', 'Assessment proposed'), ('assessment.update', 'Assessment changed'), ('review.submit', 'Submitted for review'), ('review.verify', 'Verified by a reviewer'), ('review.reject', 'Rejected by a reviewer'), ('review.reopen', 'Review reopened by a change to a verified record'), ('review.check', 'Review checklist box ticked'), ('identity_key.rotate', 'Identity re-encrypted under the current key'), ('checkpoint.not_stamped', 'Checkpoint not timestamped'), ('checkpoint.anomaly', 'Checkpoint found the one before it changed')], max_length=64),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='exportprofile',
            trigger=pgtrigger.compiler.Trigger(name='created_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "evidence_exportprofilerevision" ("case_id", "columns", "created_at", "created_by_id", "description", "id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "retired_at", "retired_by_id", "retired_reason") VALUES (NEW."case_id", NEW."columns", NEW."created_at", NEW."created_by_id", NEW."description", NEW."id", NEW."name", _pgh_attach_context(), NOW(), \'created\', NEW."id", NEW."retired_at", NEW."retired_by_id", NEW."retired_reason"); RETURN NULL;', hash='c1e9c608eaea2f5d1082ecd70f720db504b43c72', operation='INSERT', pgid='pgtrigger_created_insert_e86aa', table='evidence_exportprofile', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='exportprofile',
            trigger=pgtrigger.compiler.Trigger(name='changed_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "evidence_exportprofilerevision" ("case_id", "columns", "created_at", "created_by_id", "description", "id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "retired_at", "retired_by_id", "retired_reason") VALUES (NEW."case_id", NEW."columns", NEW."created_at", NEW."created_by_id", NEW."description", NEW."id", NEW."name", _pgh_attach_context(), NOW(), \'changed\', NEW."id", NEW."retired_at", NEW."retired_by_id", NEW."retired_reason"); RETURN NULL;', hash='fe0342b5faac4edecdaacee792d9ce0cdfd2e9e2', operation='UPDATE', pgid='pgtrigger_changed_update_c38c8', table='evidence_exportprofile', when='AFTER')),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['case.create', 'case.update', 'member.add', 'member.change_role', 'member.remove', 'user.create_admin', 'user.create', 'user.deactivate', 'user.activate', 'user.password_issue', 'auth.login', 'auth.login_failed', 'auth.otp_failed', 'auth.logout', 'auth.totp_begin', 'auth.totp_on', 'auth.totp_off', 'auth.password_change', 'incident.create', 'incident.update', 'incident.import', 'admin_area.import', 'unit.create', 'unit.update', 'person.create', 'person.update', 'allegation.create', 'allegation.update', 'evidence.receive', 'evidence.link', 'evidence.download', 'evidence.retry', 'evidence.graphic', 'evidence.correct', 'evidence.unlink', 'evidence.collection', 'person_assignment.create', 'person_assignment.update', 'evidence.document_facts', 'evidence.classify', 'evidence.disclosure', 'evidence.relate', 'evidence.unrelate', 'export.request', 'export.identities_requested', 'export.download', 'export_profile.create', 'export_profile.update', 'export_profile.retire', 'witness.create', 'witness.update', 'witness.identity_reveal', 'victim.create', 'victim.update', 'victim.identity_reveal', 'assessment.create', 'assessment.update', 'review.submit', 'review.verify', 'review.reject', 'review.reopen', 'review.check', 'identity_key.rotate', 'checkpoint.not_stamped', 'checkpoint.anomaly'])), name='audit_action_valid'),
        ),
        migrations.AddConstraint(
            model_name='exportprofile',
            constraint=models.CheckConstraint(condition=models.Q(('retired_at__isnull', True), models.Q(('retired_reason', ''), _negated=True), _connector='OR'), name='export_profile_retired_with_reason'),
        ),
        migrations.AddField(
            model_name='exportprofilerevision',
            name='case',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='evidence.case'),
        ),
        migrations.AddField(
            model_name='exportprofilerevision',
            name='created_by',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='exportprofilerevision',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='exportprofilerevision',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='evidence.exportprofile'),
        ),
        migrations.AddField(
            model_name='exportprofilerevision',
            name='retired_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='export',
            name='profile_revision',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evidence.exportprofilerevision'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='exportprofilerevision',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='201d0193883dd1454404f77217f8ed98d3e042f3', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_05992', table='evidence_exportprofilerevision', when='BEFORE')),
        ),
        migrations.RunPython(snapshot_existing_profiles, migrations.RunPython.noop),
    ]
