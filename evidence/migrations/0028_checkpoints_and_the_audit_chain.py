"""Checkpoints (Merkle roots over every chain's head, timestamped), their tokens, the audit log's hash chain,
and the trees kept for inclusion proofs.

A checkpoint's tokens are timestamp tokens (migration 0026, append-only already) whose ``checkpoint`` is set
instead of their ``evidence``: exactly one of the two. Two audit actions record what a checkpoint's build
and stamping found: ``checkpoint.not_stamped`` and ``checkpoint.anomaly``.

Checkpoints and the audit log's links are append-only, as custody is (migration 0013):
plain triggers with no switch a session could turn off refuse UPDATE, DELETE and TRUNCATE. The trees
are derived data (rebuilt from the chains, checked against the root before use) and are replaced.
Their byte strings are kept uncompressed (STORAGE EXTERNAL), so that PostgreSQL reads a slice of one
(``substring``) without reading the whole value: an inclusion proof reads some twenty hashes.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


# (table, trigger, when, level, message), with evidence_refuse() of migration 0013
REFUSALS = [
    ("evidence_checkpoint", "checkpoint_append_only", "UPDATE OR DELETE", "ROW",
     "Cannot update or delete a checkpoint: checkpoints are append-only"),
    ("evidence_checkpoint", "checkpoint_never_truncated", "TRUNCATE", "STATEMENT",
     "Cannot truncate the checkpoints: they are append-only"),
    ("evidence_auditlink", "audit_link_append_only", "UPDATE OR DELETE", "ROW",
     "Cannot update or delete a link of the audit log: the audit log is append-only"),
    ("evidence_auditlink", "audit_link_never_truncated", "TRUNCATE", "STATEMENT",
     "Cannot truncate the links of the audit log: they are append-only"),
]  # fmt: skip

# The audit actions, with the two of checkpoints.
CHOICES = [
    ('case.create', 'Case created'),
    ('case.update', 'Case changed'),
    ('member.add', 'Member added'),
    ('member.change_role', "Member's role changed"),
    ('member.remove', 'Member removed'),
    ('user.create_admin', 'Administrator created'),
    ('user.create', 'Account created'),
    ('user.deactivate', 'Account deactivated'),
    ('user.activate', 'Account reactivated'),
    ('user.password_issue', 'One-time password issued'),
    ('auth.login', 'Signed in'),
    ('auth.login_failed', 'Sign-in failed'),
    ('auth.otp_failed', 'One-time code refused'),
    ('auth.logout', 'Signed out'),
    ('auth.totp_begin', 'Second factor being set up'),
    ('auth.totp_on', 'Second factor turned on'),
    ('auth.totp_off', 'Second factor turned off'),
    ('auth.password_change', 'Password changed'),
    ('incident.create', 'Incident created'),
    ('incident.update', 'Incident changed'),
    ('incident.import', 'Incidents imported from a file'),
    ('admin_area.import', 'Administrative areas imported'),
    ('unit.create', 'Unit created'),
    ('unit.update', 'Unit changed'),
    ('person.create', 'Person created'),
    ('person.update', 'Person changed'),
    ('allegation.create', 'Allegation created'),
    ('allegation.update', 'Allegation changed'),
    ('evidence.receive', 'Evidence received'),
    ('evidence.link', 'Evidence linked to an incident'),
    ('evidence.download', 'Evidence downloaded'),
    ('evidence.retry', 'Evidence processing retried'),
    ('evidence.graphic', 'Evidence marked graphic or not graphic'),
    ('export.request', 'Package requested'),
    ('export.identities_requested', 'Package with identities requested'),
    ('export.download', 'Package downloaded'),
    ('export_profile.create', 'Register profile created'),
    ('witness.create', 'Witness recorded'),
    ('witness.update', 'Witness changed'),
    ('witness.identity_reveal', 'Witness identity revealed'),
    ('victim.create', 'Victim recorded'),
    ('victim.update', 'Victim changed'),
    ('victim.identity_reveal', 'Victim identity revealed'),
    ('identity_key.rotate', 'Identity re-encrypted under the current key'),
    ('checkpoint.not_stamped', 'Checkpoint not timestamped'),
    ('checkpoint.anomaly', 'Checkpoint found the one before it changed'),
]

CREATE = "".join(
    f"CREATE TRIGGER {trigger} BEFORE {when} ON {table} FOR EACH {level} "
    f"EXECUTE FUNCTION evidence_refuse('{message}');\n"
    for table, trigger, when, level, message in REFUSALS
) + "".join(
    f"ALTER TABLE evidence_checkpointtree ALTER COLUMN {column} SET STORAGE EXTERNAL;\n"
    for column in ("item_ids", "id_samples", "head_sequences", "levels")
)
DROP = "".join(f"DROP TRIGGER {trigger} ON {table};\n" for table, trigger, *_ in REFUSALS)


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0027_provenance_read_at_intake'),
    ]

    operations = [
        migrations.CreateModel(
            name='Checkpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField()),
                ('tree_size', models.PositiveBigIntegerField(help_text="leaves: the audit log's, and one per evidence item")),
                ('root', models.CharField(help_text='SHA-256, hex', max_length=64)),
                ('audit_position', models.PositiveBigIntegerField(help_text="the audit log's last link then (0: none yet)")),
                ('audit_head', models.CharField(help_text="that link's hash (64 zeros for none)", max_length=64)),
                ('changes', models.BinaryField(help_text='LEAF_RECORD bytes per leaf that changed since the base')),
                ('changed_leaves', models.PositiveIntegerField()),
                ('stamp_wanted', models.BooleanField(default=False)),
                ('base', models.OneToOneField(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='next', to='evidence.checkpoint')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='AuditLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveBigIntegerField(unique=True)),
                ('previous_hash', models.CharField(max_length=64)),
                ('link_hash', models.CharField(max_length=64, unique=True)),
                ('version', models.PositiveSmallIntegerField(default=1)),
                ('linked_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('entry', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='link', to='evidence.auditentry')),
            ],
            options={
                'ordering': ['position'],
            },
        ),
        migrations.CreateModel(
            name='CheckpointTree',
            fields=[
                ('checkpoint', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='tree', serialize=False, to='evidence.checkpoint')),
                ('item_ids', models.BinaryField(help_text='8 bytes per item leaf, ascending: leaf i + 1 is item_ids[i]')),
                ('id_samples', models.BinaryField(help_text='every SAMPLE_EVERY-th of item_ids, to find a block quickly')),
                ('head_sequences', models.BinaryField(help_text="4 bytes per item leaf: its chain's head sequence")),
                ('levels', models.BinaryField(help_text='every level, leaves first, 32 bytes per node (evidence.merkle.pack)')),
            ],
        ),
        migrations.AddField(
            model_name='timestamptoken',
            name='checkpoint',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='timestamps', to='evidence.checkpoint'),
        ),
        migrations.AddConstraint(
            model_name='timestamptoken',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('checkpoint__isnull', True), ('evidence__isnull', False)), models.Q(('checkpoint__isnull', False), ('evidence__isnull', True)), _connector='OR'), name='timestamp_of_one_thing'),
        ),
        migrations.RemoveConstraint(
            model_name='auditentry',
            name='audit_action_valid',
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=CHOICES, max_length=64),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', [value for value, _ in CHOICES])), name='audit_action_valid'),
        ),
        migrations.RunSQL(CREATE, DROP),
    ]
