"""RFC 3161 timestamps of archived files: the tokens (kept whole, never changed or deleted, like custody:
plain triggers no session can switch off, with migration 0013's evidence_refuse), a custody event
``timestamped``, and on each item when it was timestamped and the state of its requests until then."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


TRIGGERS = """
CREATE TRIGGER timestamp_append_only BEFORE UPDATE OR DELETE ON evidence_timestamptoken FOR EACH ROW
    EXECUTE FUNCTION evidence_refuse('Cannot update or delete a timestamp token: tokens are kept as received');
CREATE TRIGGER timestamp_never_truncated BEFORE TRUNCATE ON evidence_timestamptoken FOR EACH STATEMENT
    EXECUTE FUNCTION evidence_refuse('Cannot truncate the timestamp tokens: tokens are kept as received');
"""
DROP_TRIGGERS = """
DROP TRIGGER timestamp_append_only ON evidence_timestamptoken;
DROP TRIGGER timestamp_never_truncated ON evidence_timestamptoken;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0025_admin_areas_import_audited'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='TimestampToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sha256', models.CharField(help_text='The digest the token stamps (its message imprint), hex.', max_length=64)),
                ('tsa_url', models.CharField(max_length=500)),
                ('token', models.BinaryField(help_text='The TimeStampToken (CMS ContentInfo) as the authority signed it, DER.')),
                ('serial', models.CharField(max_length=50)),
                ('gen_time', models.DateTimeField(help_text='The time the token states (genTime).')),
                ('policy', models.CharField(blank=True, max_length=200)),
                ('chain', models.TextField(blank=True, help_text="The certificates the token was verified with, PEM: the authority's first, the configured root last (empty when it did not verify).")),
                ('verified', models.BooleanField()),
                ('refusal', models.TextField(blank=True, help_text='Why the token did not verify on arrival.')),
                ('received_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
            options={
                'ordering': ['gen_time', 'id'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='custodyentry',
            name='custody_event_valid',
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='timestamp_attempts',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='timestamp_due_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='timestamp_error',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='timestamped_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='custodyentry',
            name='event_type',
            field=models.CharField(choices=[('received', 'Received'), ('hashed', 'Hashed'), ('identified', 'Identified'), ('described', 'Described'), ('duplicate_found', 'Duplicate found'), ('archived', 'Archived'), ('verified', 'Verified'), ('accessed', 'Accessed'), ('linked', 'Linked to an incident'), ('exported', 'Exported'), ('fixity_check', 'Fixity check'), ('failed', 'Processing failed'), ('corrupt', 'Found corrupt'), ('retried', 'Retry requested'), ('timestamped', 'Timestamped')], max_length=20),
        ),
        migrations.AddIndex(
            model_name='evidenceitem',
            index=models.Index(models.OrderBy(models.F('timestamp_due_at'), nulls_first=True), models.F('id'), condition=models.Q(('timestamped_at__isnull', True), models.Q(('archive_key', ''), _negated=True)), name='evidence_timestamp_queue'),
        ),
        migrations.AddConstraint(
            model_name='custodyentry',
            constraint=models.CheckConstraint(condition=models.Q(('event_type__in', ['received', 'hashed', 'identified', 'described', 'duplicate_found', 'archived', 'verified', 'accessed', 'linked', 'exported', 'fixity_check', 'failed', 'corrupt', 'retried', 'timestamped'])), name='custody_event_valid'),
        ),
        migrations.AddField(
            model_name='timestamptoken',
            name='evidence',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='timestamps', to='evidence.evidenceitem'),
        ),
        migrations.AddIndex(
            model_name='timestamptoken',
            index=models.Index(fields=['evidence', 'gen_time'], name='timestamp_evidence'),
        ),
        migrations.AddConstraint(
            model_name='timestamptoken',
            constraint=models.CheckConstraint(condition=models.Q(('sha256__regex', '^[0-9a-f]{64}$')), name='timestamp_sha256_hex'),
        ),
        migrations.AddConstraint(
            model_name='timestamptoken',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('refusal', ''), ('verified', True)), ('verified', False), _connector='OR'), name='timestamp_refusal_if_refused'),
        ),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
    ]
