"""Corrections with history and dates as they were given (issue 16).

- Evidence items keep the UTC offset each date was given with (and the case's time zone for one given
  without), and the capture time the file itself states, filled here for items already described from
  their chain of custody (the "described" entry records it).
- Evidence items (their descriptive fields), persons, units and allegations keep every revision, as
  incidents do; each existing row gets a "snapshot" revision now, so a later change shows what it replaced.
- Persons' dated assignments (rank, position, unit from one day to another), with revisions.
- Full-text search over evidence; the custody events "unlinked" and "corrected"; four audit actions."""

import datetime

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
import django.db.models.functions.comparison
import django.db.models.functions.text
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
import uuid
from django.conf import settings
from django.db import migrations, models


def fill_file_capture_times(apps, schema_editor):
    EvidenceItem = apps.get_model("evidence", "EvidenceItem")
    CustodyEntry = apps.get_model("evidence", "CustodyEntry")
    described = CustodyEntry.objects.filter(event_type="described", details__has_key="captured_at")
    for evidence_id, found in described.values_list("evidence_id", "details__captured_at").iterator():
        at = found.get("at") if isinstance(found, dict) else None
        if not at:
            continue
        moment = datetime.datetime.fromisoformat(at)
        offset = moment.utcoffset()
        EvidenceItem.objects.filter(pk=evidence_id).update(
            file_captured_at=moment, file_captured_at_offset=int(offset.total_seconds() // 60) if offset else 0
        )


def snapshot_existing_rows(apps, schema_editor):
    for tracked, revision in (
        ("EvidenceItem", "EvidenceRevision"), ("Person", "PersonRevision"), ("Unit", "UnitRevision"),
        ("Allegation", "AllegationRevision"),
    ):
        Tracked, Revision = apps.get_model("evidence", tracked), apps.get_model("evidence", revision)
        names = [field.attname for field in Revision._meta.concrete_fields if not field.name.startswith("pgh_")]
        batch = []
        for values in Tracked.objects.order_by("pk").values("pk", *names).iterator():
            obj_id = values.pop("pk")
            batch.append(Revision(pgh_label="snapshot", pgh_obj_id=obj_id, **values))
            if len(batch) == 1000:
                Revision.objects.bulk_create(batch)
                batch = []
        Revision.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0028_checkpoints_and_the_audit_chain'),
        ('pghistory', '0007_auto_20250421_0444'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AllegationRevision',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.BigIntegerField()),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False)),
                ('role', models.CharField(choices=[('direct_perpetrator', 'Direct perpetrator'), ('commander', 'Commander'), ('ordered', 'Ordered'), ('aided_abetted', 'Aided and abetted'), ('present', 'Present'), ('unit_in_control', 'Unit in control')], max_length=20)),
                ('basis', models.TextField(blank=True)),
                ('confidence', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High')], default='low', max_length=6)),
                ('status', models.CharField(choices=[('alleged', 'Alleged'), ('corroborated', 'Corroborated'), ('disputed', 'Disputed')], default='alleged', max_length=12)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='EvidenceRevision',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('title', models.CharField(blank=True, max_length=300)),
                ('description', models.TextField(blank=True)),
                ('kind', models.CharField(choices=[('photo', 'Photo'), ('video', 'Video'), ('audio', 'Audio'), ('document', 'Document'), ('testimony', 'Testimony'), ('other', 'Other')], default='other', max_length=10)),
                ('source_type', models.CharField(choices=[('witness', 'Witness'), ('open_source', 'Open source'), ('forensic', 'Forensic'), ('official', 'Official'), ('other', 'Other')], default='other', max_length=12)),
                ('source', models.TextField(blank=True)),
                ('source_url', models.URLField(blank=True, max_length=2000)),
                ('captured_at', models.DateTimeField(blank=True, null=True)),
                ('acquired_at', models.DateTimeField(blank=True, null=True)),
                ('confidentiality', models.CharField(choices=[('public', 'Public'), ('restricted', 'Restricted'), ('confidential', 'Confidential'), ('identifies_witness', 'Identifies a witness')], default='restricted', max_length=20)),
                ('graphic', models.BooleanField(default=False)),
                ('captured_at_offset', models.SmallIntegerField(blank=True, null=True)),
                ('captured_at_time_zone', models.CharField(blank=True, max_length=64)),
                ('acquired_at_offset', models.SmallIntegerField(blank=True, null=True)),
                ('acquired_at_time_zone', models.CharField(blank=True, max_length=64)),
                ('kind_source', models.CharField(blank=True, choices=[('submitter', 'Given by the submitter'), ('file_name', 'Guessed from the file name on upload'), ('media_type', 'From the media type found in the content')], max_length=20)),
                ('captured_at_source', models.CharField(blank=True, choices=[('submitter', 'Given by the submitter'), ('exif', 'EXIF DateTimeOriginal with its offset (OffsetTimeOriginal)'), ('exif_case_time_zone', "EXIF DateTimeOriginal without an offset, read in the case's zone"), ('quicktime', 'QuickTime creation date'), ('ffprobe', "The container's creation time, as ffprobe reads it")], max_length=20)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='PersonAssignment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('rank', models.CharField(blank=True, max_length=100)),
                ('position', models.CharField(blank=True, max_length=300)),
                ('valid_from', models.DateField()),
                ('valid_to', models.DateField(blank=True, null=True)),
                ('basis', models.TextField(blank=True, help_text='Where this is known from.')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
            options={
                'ordering': ['person', 'valid_from', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PersonAssignmentRevision',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.BigIntegerField()),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False)),
                ('rank', models.CharField(blank=True, max_length=100)),
                ('position', models.CharField(blank=True, max_length=300)),
                ('valid_from', models.DateField()),
                ('valid_to', models.DateField(blank=True, null=True)),
                ('basis', models.TextField(blank=True, help_text='Where this is known from.')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='PersonRevision',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.BigIntegerField()),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False)),
                ('full_name', models.CharField(max_length=300)),
                ('other_names', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=300), blank=True, default=list, size=None)),
                ('date_of_birth', models.DateField(blank=True, null=True)),
                ('rank', models.CharField(blank=True, max_length=100)),
                ('position', models.CharField(blank=True, max_length=300)),
                ('nationality', models.CharField(blank=True, max_length=100)),
                ('identifiers', models.JSONField(blank=True, default=dict, help_text='e.g. {"service_number": "…"}')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='UnitRevision',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.BigIntegerField()),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False)),
                ('name', models.CharField(max_length=300)),
                ('designation', models.CharField(blank=True, help_text='e.g. "military unit 51460"', max_length=300)),
                ('notes', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.RemoveConstraint(
            model_name='auditentry',
            name='audit_action_valid',
        ),
        migrations.RemoveConstraint(
            model_name='custodyentry',
            name='custody_event_valid',
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='acquired_at_offset',
            field=models.SmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='acquired_at_time_zone',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='captured_at_offset',
            field=models.SmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='captured_at_time_zone',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='file_captured_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='file_captured_at_offset',
            field=models.SmallIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('case.create', 'Case created'), ('case.update', 'Case changed'), ('member.add', 'Member added'), ('member.change_role', "Member's role changed"), ('member.remove', 'Member removed'), ('user.create_admin', 'Administrator created'), ('user.create', 'Account created'), ('user.deactivate', 'Account deactivated'), ('user.activate', 'Account reactivated'), ('user.password_issue', 'One-time password issued'), ('auth.login', 'Signed in'), ('auth.login_failed', 'Sign-in failed'), ('auth.otp_failed', 'One-time code refused'), ('auth.logout', 'Signed out'), ('auth.totp_begin', 'Second factor being set up'), ('auth.totp_on', 'Second factor turned on'), ('auth.totp_off', 'Second factor turned off'), ('auth.password_change', 'Password changed'), ('incident.create', 'Incident created'), ('incident.update', 'Incident changed'), ('incident.import', 'Incidents imported from a file'), ('admin_area.import', 'Administrative areas imported'), ('unit.create', 'Unit created'), ('unit.update', 'Unit changed'), ('person.create', 'Person created'), ('person.update', 'Person changed'), ('allegation.create', 'Allegation created'), ('allegation.update', 'Allegation changed'), ('evidence.receive', 'Evidence received'), ('evidence.link', 'Evidence linked to an incident'), ('evidence.download', 'Evidence downloaded'), ('evidence.retry', 'Evidence processing retried'), ('evidence.graphic', 'Evidence marked graphic or not graphic'), ('evidence.correct', 'Evidence description corrected'), ('evidence.unlink', 'Evidence unlinked from an incident'), ('person_assignment.create', "Person's dated assignment recorded"), ('person_assignment.update', "Person's dated assignment changed"), ('export.request', 'Package requested'), ('export.identities_requested', 'Package with identities requested'), ('export.download', 'Package downloaded'), ('export_profile.create', 'Register profile created'), ('witness.create', 'Witness recorded'), ('witness.update', 'Witness changed'), ('witness.identity_reveal', 'Witness identity revealed'), ('victim.create', 'Victim recorded'), ('victim.update', 'Victim changed'), ('victim.identity_reveal', 'Victim identity revealed'), ('identity_key.rotate', 'Identity re-encrypted under the current key'), ('checkpoint.not_stamped', 'Checkpoint not timestamped'), ('checkpoint.anomaly', 'Checkpoint found the one before it changed')], max_length=64),
        ),
        migrations.AlterField(
            model_name='custodyentry',
            name='event_type',
            field=models.CharField(choices=[('received', 'Received'), ('hashed', 'Hashed'), ('identified', 'Identified'), ('described', 'Described'), ('duplicate_found', 'Duplicate found'), ('archived', 'Archived'), ('verified', 'Verified'), ('accessed', 'Accessed'), ('linked', 'Linked to an incident'), ('exported', 'Exported'), ('fixity_check', 'Fixity check'), ('failed', 'Processing failed'), ('corrupt', 'Found corrupt'), ('retried', 'Retry requested'), ('timestamped', 'Timestamped'), ('provenance_read', 'Provenance read'), ('unlinked', 'Unlinked from an incident'), ('corrected', 'Description corrected')], max_length=20),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='allegation',
            trigger=pgtrigger.compiler.Trigger(name='created_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "evidence_allegationrevision" ("basis", "case_id", "confidence", "created_at", "created_by_id", "id", "incident_id", "person_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "public_id", "role", "status", "unit_id") VALUES (NEW."basis", NEW."case_id", NEW."confidence", NEW."created_at", NEW."created_by_id", NEW."id", NEW."incident_id", NEW."person_id", _pgh_attach_context(), NOW(), \'created\', NEW."id", NEW."public_id", NEW."role", NEW."status", NEW."unit_id"); RETURN NULL;', hash='b46ea61a427f4918d55e31c2bfa399303089127a', operation='INSERT', pgid='pgtrigger_created_insert_28de2', table='evidence_allegation', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='allegation',
            trigger=pgtrigger.compiler.Trigger(name='changed_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "evidence_allegationrevision" ("basis", "case_id", "confidence", "created_at", "created_by_id", "id", "incident_id", "person_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "public_id", "role", "status", "unit_id") VALUES (NEW."basis", NEW."case_id", NEW."confidence", NEW."created_at", NEW."created_by_id", NEW."id", NEW."incident_id", NEW."person_id", _pgh_attach_context(), NOW(), \'changed\', NEW."id", NEW."public_id", NEW."role", NEW."status", NEW."unit_id"); RETURN NULL;', hash='86019ca072eea5818a82cebe161f48081c4c856e', operation='UPDATE', pgid='pgtrigger_changed_update_8d6fa', table='evidence_allegation', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='evidenceitem',
            trigger=pgtrigger.compiler.Trigger(name='changed_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."acquired_at" IS DISTINCT FROM (NEW."acquired_at") OR OLD."acquired_at_offset" IS DISTINCT FROM (NEW."acquired_at_offset") OR OLD."acquired_at_time_zone" IS DISTINCT FROM (NEW."acquired_at_time_zone") OR OLD."captured_at" IS DISTINCT FROM (NEW."captured_at") OR OLD."captured_at_offset" IS DISTINCT FROM (NEW."captured_at_offset") OR OLD."captured_at_source" IS DISTINCT FROM (NEW."captured_at_source") OR OLD."captured_at_time_zone" IS DISTINCT FROM (NEW."captured_at_time_zone") OR OLD."confidentiality" IS DISTINCT FROM (NEW."confidentiality") OR OLD."description" IS DISTINCT FROM (NEW."description") OR OLD."graphic" IS DISTINCT FROM (NEW."graphic") OR OLD."kind" IS DISTINCT FROM (NEW."kind") OR OLD."kind_source" IS DISTINCT FROM (NEW."kind_source") OR OLD."source" IS DISTINCT FROM (NEW."source") OR OLD."source_type" IS DISTINCT FROM (NEW."source_type") OR OLD."source_url" IS DISTINCT FROM (NEW."source_url") OR OLD."title" IS DISTINCT FROM (NEW."title"))', func='INSERT INTO "evidence_evidencerevision" ("acquired_at", "acquired_at_offset", "acquired_at_time_zone", "captured_at", "captured_at_offset", "captured_at_source", "captured_at_time_zone", "confidentiality", "description", "graphic", "kind", "kind_source", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "source", "source_type", "source_url", "title") VALUES (NEW."acquired_at", NEW."acquired_at_offset", NEW."acquired_at_time_zone", NEW."captured_at", NEW."captured_at_offset", NEW."captured_at_source", NEW."captured_at_time_zone", NEW."confidentiality", NEW."description", NEW."graphic", NEW."kind", NEW."kind_source", _pgh_attach_context(), NOW(), \'changed\', NEW."id", NEW."source", NEW."source_type", NEW."source_url", NEW."title"); RETURN NULL;', hash='30b7ef35a5e72bfe1cac50d69be18bb7c78e159e', operation='UPDATE', pgid='pgtrigger_changed_update_9e32a', table='evidence_evidenceitem', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='person',
            trigger=pgtrigger.compiler.Trigger(name='created_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "evidence_personrevision" ("case_id", "created_at", "date_of_birth", "full_name", "id", "identifiers", "nationality", "other_names", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "public_id", "rank", "unit_id") VALUES (NEW."case_id", NEW."created_at", NEW."date_of_birth", NEW."full_name", NEW."id", NEW."identifiers", NEW."nationality", NEW."other_names", _pgh_attach_context(), NOW(), \'created\', NEW."id", NEW."position", NEW."public_id", NEW."rank", NEW."unit_id"); RETURN NULL;', hash='253f4125adba513a86946b5f6fde7e7075dbde03', operation='INSERT', pgid='pgtrigger_created_insert_f5a43', table='evidence_person', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='person',
            trigger=pgtrigger.compiler.Trigger(name='changed_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."case_id" IS DISTINCT FROM (NEW."case_id") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."date_of_birth" IS DISTINCT FROM (NEW."date_of_birth") OR OLD."full_name" IS DISTINCT FROM (NEW."full_name") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."identifiers" IS DISTINCT FROM (NEW."identifiers") OR OLD."nationality" IS DISTINCT FROM (NEW."nationality") OR OLD."other_names" IS DISTINCT FROM (NEW."other_names") OR OLD."position" IS DISTINCT FROM (NEW."position") OR OLD."public_id" IS DISTINCT FROM (NEW."public_id") OR OLD."rank" IS DISTINCT FROM (NEW."rank") OR OLD."unit_id" IS DISTINCT FROM (NEW."unit_id"))', func='INSERT INTO "evidence_personrevision" ("case_id", "created_at", "date_of_birth", "full_name", "id", "identifiers", "nationality", "other_names", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "public_id", "rank", "unit_id") VALUES (NEW."case_id", NEW."created_at", NEW."date_of_birth", NEW."full_name", NEW."id", NEW."identifiers", NEW."nationality", NEW."other_names", _pgh_attach_context(), NOW(), \'changed\', NEW."id", NEW."position", NEW."public_id", NEW."rank", NEW."unit_id"); RETURN NULL;', hash='118ae0cb889003c72367102f16f81f016b97e280', operation='UPDATE', pgid='pgtrigger_changed_update_0f031', table='evidence_person', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='unit',
            trigger=pgtrigger.compiler.Trigger(name='created_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "evidence_unitrevision" ("case_id", "created_at", "designation", "id", "name", "notes", "parent_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "public_id") VALUES (NEW."case_id", NEW."created_at", NEW."designation", NEW."id", NEW."name", NEW."notes", NEW."parent_id", _pgh_attach_context(), NOW(), \'created\', NEW."id", NEW."public_id"); RETURN NULL;', hash='e7444d4b40e945d360727c9a52cabdafecc82c81', operation='INSERT', pgid='pgtrigger_created_insert_ecdf5', table='evidence_unit', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='unit',
            trigger=pgtrigger.compiler.Trigger(name='changed_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."case_id" IS DISTINCT FROM (NEW."case_id") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."designation" IS DISTINCT FROM (NEW."designation") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."name" IS DISTINCT FROM (NEW."name") OR OLD."notes" IS DISTINCT FROM (NEW."notes") OR OLD."parent_id" IS DISTINCT FROM (NEW."parent_id") OR OLD."public_id" IS DISTINCT FROM (NEW."public_id"))', func='INSERT INTO "evidence_unitrevision" ("case_id", "created_at", "designation", "id", "name", "notes", "parent_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "public_id") VALUES (NEW."case_id", NEW."created_at", NEW."designation", NEW."id", NEW."name", NEW."notes", NEW."parent_id", _pgh_attach_context(), NOW(), \'changed\', NEW."id", NEW."public_id"); RETURN NULL;', hash='585eb32c92d5504f939ffb9c65836aa3a0b534ed', operation='UPDATE', pgid='pgtrigger_changed_update_b44f5', table='evidence_unit', when='AFTER')),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['case.create', 'case.update', 'member.add', 'member.change_role', 'member.remove', 'user.create_admin', 'user.create', 'user.deactivate', 'user.activate', 'user.password_issue', 'auth.login', 'auth.login_failed', 'auth.otp_failed', 'auth.logout', 'auth.totp_begin', 'auth.totp_on', 'auth.totp_off', 'auth.password_change', 'incident.create', 'incident.update', 'incident.import', 'admin_area.import', 'unit.create', 'unit.update', 'person.create', 'person.update', 'allegation.create', 'allegation.update', 'evidence.receive', 'evidence.link', 'evidence.download', 'evidence.retry', 'evidence.graphic', 'evidence.correct', 'evidence.unlink', 'person_assignment.create', 'person_assignment.update', 'export.request', 'export.identities_requested', 'export.download', 'export_profile.create', 'witness.create', 'witness.update', 'witness.identity_reveal', 'victim.create', 'victim.update', 'victim.identity_reveal', 'identity_key.rotate', 'checkpoint.not_stamped', 'checkpoint.anomaly'])), name='audit_action_valid'),
        ),
        migrations.AddConstraint(
            model_name='custodyentry',
            constraint=models.CheckConstraint(condition=models.Q(('event_type__in', ['received', 'hashed', 'identified', 'described', 'duplicate_found', 'archived', 'verified', 'accessed', 'linked', 'exported', 'fixity_check', 'failed', 'corrupt', 'retried', 'timestamped', 'provenance_read', 'unlinked', 'corrected'])), name='custody_event_valid'),
        ),
        migrations.AddField(
            model_name='allegationrevision',
            name='case',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='evidence.case'),
        ),
        migrations.AddField(
            model_name='allegationrevision',
            name='created_by',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='allegationrevision',
            name='incident',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='evidence.incident'),
        ),
        migrations.AddField(
            model_name='allegationrevision',
            name='person',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='evidence.person'),
        ),
        migrations.AddField(
            model_name='allegationrevision',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='allegationrevision',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='evidence.allegation'),
        ),
        migrations.AddField(
            model_name='allegationrevision',
            name='unit',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='evidence.unit'),
        ),
        migrations.AddField(
            model_name='evidencerevision',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='evidencerevision',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='evidence.evidenceitem'),
        ),
        migrations.AddField(
            model_name='personassignment',
            name='created_by',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='personassignment',
            name='person',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='evidence.person'),
        ),
        migrations.AddField(
            model_name='personassignment',
            name='unit',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='evidence.unit'),
        ),
        migrations.AddField(
            model_name='personassignmentrevision',
            name='created_by',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='personassignmentrevision',
            name='person',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='evidence.person'),
        ),
        migrations.AddField(
            model_name='personassignmentrevision',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='personassignmentrevision',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='evidence.personassignment'),
        ),
        migrations.AddField(
            model_name='personassignmentrevision',
            name='unit',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='evidence.unit'),
        ),
        migrations.AddField(
            model_name='personrevision',
            name='case',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='evidence.case'),
        ),
        migrations.AddField(
            model_name='personrevision',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='personrevision',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='evidence.person'),
        ),
        migrations.AddField(
            model_name='personrevision',
            name='unit',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='evidence.unit'),
        ),
        migrations.AddField(
            model_name='unitrevision',
            name='case',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='evidence.case'),
        ),
        migrations.AddField(
            model_name='unitrevision',
            name='parent',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='evidence.unit'),
        ),
        migrations.AddField(
            model_name='unitrevision',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='unitrevision',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='evidence.unit'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='allegationrevision',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='9ca90fd8a4a2fc5ae3c39eb0fb2b59da1d5d1ca1', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_41851', table='evidence_allegationrevision', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='evidencerevision',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='0b707e44e1ea97c1db54039650ce9bd7f30676fd', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_fcac3', table='evidence_evidencerevision', when='BEFORE')),
        ),
        migrations.AddConstraint(
            model_name='personassignment',
            constraint=models.CheckConstraint(condition=models.Q(('valid_to__isnull', True), ('valid_to__gte', models.F('valid_from')), _connector='OR'), name='person_assignment_in_order', violation_error_message='The end (valid_to) is before the start (valid_from).'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='personassignment',
            trigger=pgtrigger.compiler.Trigger(name='created_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "evidence_personassignmentrevision" ("basis", "created_at", "created_by_id", "id", "person_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "public_id", "rank", "unit_id", "valid_from", "valid_to") VALUES (NEW."basis", NEW."created_at", NEW."created_by_id", NEW."id", NEW."person_id", _pgh_attach_context(), NOW(), \'created\', NEW."id", NEW."position", NEW."public_id", NEW."rank", NEW."unit_id", NEW."valid_from", NEW."valid_to"); RETURN NULL;', hash='a58f2e1342d67d071808b5a48905b9ba46e72e02', operation='INSERT', pgid='pgtrigger_created_insert_774c9', table='evidence_personassignment', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='personassignment',
            trigger=pgtrigger.compiler.Trigger(name='changed_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "evidence_personassignmentrevision" ("basis", "created_at", "created_by_id", "id", "person_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "public_id", "rank", "unit_id", "valid_from", "valid_to") VALUES (NEW."basis", NEW."created_at", NEW."created_by_id", NEW."id", NEW."person_id", _pgh_attach_context(), NOW(), \'changed\', NEW."id", NEW."position", NEW."public_id", NEW."rank", NEW."unit_id", NEW."valid_from", NEW."valid_to"); RETURN NULL;', hash='3c96e93bac383b10bc8fa4b3df5a1174aa0134be', operation='UPDATE', pgid='pgtrigger_changed_update_2681f', table='evidence_personassignment', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='personassignmentrevision',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='f70b9f56b0b9906478b6cc0f6f771f8c1472c255', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_15986', table='evidence_personassignmentrevision', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='personrevision',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='e625660899148cfb1e8ce244fa473389ac997c17', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_839a9', table='evidence_personrevision', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='unitrevision',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='596721efd1a2c9381d9636efefaa04ee7c565d27', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_22a07', table='evidence_unitrevision', when='BEFORE')),
        ),
        migrations.RunPython(fill_file_capture_times, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(snapshot_existing_rows, migrations.RunPython.noop, elidable=True),
    ]
