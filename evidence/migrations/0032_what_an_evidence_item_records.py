"""What an evidence item records (issue #16, section 1): document facts (given, and read from the file),
the court's classification, art. 54(3)(e) material, the exculpatory mark, disclosures and typed relations
between items of a case.

Disclosures are append-only, as custody is (evidence_refuse() of migration 0013): a decision is corrected by
recording another. Relations are never deleted: removing one records who, when and why on its row.
"""

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# (table, trigger, when, level, message), with evidence_refuse() of migration 0013
REFUSALS = [
    ("evidence_disclosure", "disclosure_append_only", "UPDATE OR DELETE", "ROW",
     "Cannot update or delete a disclosure: record another one instead"),
    ("evidence_disclosure", "disclosure_never_truncated", "TRUNCATE", "STATEMENT",
     "Cannot truncate the disclosures: they are append-only"),
    ("evidence_evidencerelation", "evidence_relation_never_deleted", "DELETE", "ROW",
     "Cannot delete a relation between evidence items: remove it with a reason instead"),
    ("evidence_evidencerelation", "evidence_relation_never_truncated", "TRUNCATE", "STATEMENT",
     "Cannot truncate the relations between evidence items"),
]  # fmt: skip

CREATE = "".join(
    f"CREATE TRIGGER {trigger} BEFORE {when} ON {table} FOR EACH {level} "
    f"EXECUTE FUNCTION evidence_refuse('{message}');\n"
    for table, trigger, when, level, message in REFUSALS
)
DROP = "".join(f"DROP TRIGGER {trigger} ON {table};\n" for table, trigger, *_ in REFUSALS)


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0031_copies_of_archived_files'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Disclosure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recipient_kind', models.CharField(choices=[('defence', 'Defence team'), ('chamber', 'Chamber'), ('national_prosecutor', 'National prosecutor')], max_length=24)),
                ('recipient_name', models.CharField(max_length=300)),
                ('disclosed', models.BooleanField()),
                ('disclosed_at', models.DateTimeField(blank=True, null=True)),
                ('rule', models.CharField(blank=True, choices=[('rule_76', "Rule 76: pre-trial disclosure of prosecution witnesses' statements"), ('rule_77', "Rule 77: inspection of material in the Prosecutor's possession or control"), ('article_67_2', 'Article 67(2): exculpatory evidence')], max_length=16)),
                ('note', models.TextField(blank=True)),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
            options={
                'ordering': ['recorded_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='EvidenceRelation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('transcript_of', 'Transcript of'), ('translation_of', 'Translation of'), ('redacted_version_of', 'Redacted version of'), ('attachment_of', 'Attachment of'), ('same_event_as', 'Same event as')], max_length=24)),
                ('redaction_codes', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=64), blank=True, default=list, size=None)),
                ('note', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('removed_at', models.DateTimeField(blank=True, null=True)),
                ('removal_reason', models.TextField(blank=True)),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='auditentry',
            name='audit_action_valid',
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='author',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='author_from_file',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='confidentiality_conditions',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='confidentiality_provider',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='court_classification',
            field=models.CharField(choices=[('public', 'Public'), ('confidential', 'Confidential'), ('under_seal', 'Under seal'), ('ex_parte', 'Ex parte')], default='confidential', max_length=12),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='document_date',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='document_date_from_file',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='document_date_precision',
            field=models.CharField(blank=True, choices=[('exact', 'Exact'), ('day', 'Day'), ('month', 'Month'), ('year', 'Year'), ('approximate', 'Approximate')], max_length=12),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='duration_seconds',
            field=models.DecimalField(blank=True, decimal_places=3, max_digits=12, null=True),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='duration_seconds_from_file',
            field=models.DecimalField(blank=True, decimal_places=3, max_digits=12, null=True),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='exculpatory',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='languages',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=3), blank=True, default=list, help_text='ISO 639 codes.', size=None),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='pages',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='pages_from_file',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='received_on_condition_of_confidentiality',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='evidenceitem',
            name='recipient',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('case.create', 'Case created'), ('case.update', 'Case changed'), ('member.add', 'Member added'), ('member.change_role', "Member's role changed"), ('member.remove', 'Member removed'), ('user.create_admin', 'Administrator created'), ('user.create', 'Account created'), ('user.deactivate', 'Account deactivated'), ('user.activate', 'Account reactivated'), ('user.password_issue', 'One-time password issued'), ('auth.login', 'Signed in'), ('auth.login_failed', 'Sign-in failed'), ('auth.otp_failed', 'One-time code refused'), ('auth.logout', 'Signed out'), ('auth.totp_begin', 'Second factor being set up'), ('auth.totp_on', 'Second factor turned on'), ('auth.totp_off', 'Second factor turned off'), ('auth.password_change', 'Password changed'), ('incident.create', 'Incident created'), ('incident.update', 'Incident changed'), ('incident.import', 'Incidents imported from a file'), ('admin_area.import', 'Administrative areas imported'), ('unit.create', 'Unit created'), ('unit.update', 'Unit changed'), ('person.create', 'Person created'), ('person.update', 'Person changed'), ('allegation.create', 'Allegation created'), ('allegation.update', 'Allegation changed'), ('evidence.receive', 'Evidence received'), ('evidence.link', 'Evidence linked to an incident'), ('evidence.download', 'Evidence downloaded'), ('evidence.retry', 'Evidence processing retried'), ('evidence.graphic', 'Evidence marked graphic or not graphic'), ('evidence.correct', 'Evidence description corrected'), ('evidence.unlink', 'Evidence unlinked from an incident'), ('person_assignment.create', "Person's dated assignment recorded"), ('person_assignment.update', "Person's dated assignment changed"), ('evidence.document_facts', 'Document facts of evidence given or corrected'), ('evidence.classify', 'Court classification or exculpatory mark changed'), ('evidence.disclosure', 'Disclosure of evidence recorded'), ('evidence.relate', 'Evidence items related'), ('evidence.unrelate', 'Relation between evidence items removed'), ('export.request', 'Package requested'), ('export.identities_requested', 'Package with identities requested'), ('export.download', 'Package downloaded'), ('export_profile.create', 'Register profile created'), ('witness.create', 'Witness recorded'), ('witness.update', 'Witness changed'), ('witness.identity_reveal', 'Witness identity revealed'), ('victim.create', 'Victim recorded'), ('victim.update', 'Victim changed'), ('victim.identity_reveal', 'Victim identity revealed'), ('identity_key.rotate', 'Identity re-encrypted under the current key'), ('checkpoint.not_stamped', 'Checkpoint not timestamped'), ('checkpoint.anomaly', 'Checkpoint found the one before it changed')], max_length=64),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['case.create', 'case.update', 'member.add', 'member.change_role', 'member.remove', 'user.create_admin', 'user.create', 'user.deactivate', 'user.activate', 'user.password_issue', 'auth.login', 'auth.login_failed', 'auth.otp_failed', 'auth.logout', 'auth.totp_begin', 'auth.totp_on', 'auth.totp_off', 'auth.password_change', 'incident.create', 'incident.update', 'incident.import', 'admin_area.import', 'unit.create', 'unit.update', 'person.create', 'person.update', 'allegation.create', 'allegation.update', 'evidence.receive', 'evidence.link', 'evidence.download', 'evidence.retry', 'evidence.graphic', 'evidence.correct', 'evidence.unlink', 'person_assignment.create', 'person_assignment.update', 'evidence.document_facts', 'evidence.classify', 'evidence.disclosure', 'evidence.relate', 'evidence.unrelate', 'export.request', 'export.identities_requested', 'export.download', 'export_profile.create', 'witness.create', 'witness.update', 'witness.identity_reveal', 'victim.create', 'victim.update', 'victim.identity_reveal', 'identity_key.rotate', 'checkpoint.not_stamped', 'checkpoint.anomaly'])), name='audit_action_valid'),
        ),
        migrations.AddConstraint(
            model_name='evidenceitem',
            constraint=models.CheckConstraint(condition=models.Q(('court_classification__in', ['public', 'confidential', 'under_seal', 'ex_parte'])), name='evidence_court_classification_valid'),
        ),
        migrations.AddConstraint(
            model_name='evidenceitem',
            constraint=models.CheckConstraint(condition=models.Q(('document_date_precision__in', ['', 'exact', 'day', 'month', 'year', 'approximate'])), name='evidence_document_date_precision_valid'),
        ),
        migrations.AddConstraint(
            model_name='evidenceitem',
            constraint=models.CheckConstraint(condition=models.Q(('duration_seconds__isnull', True), ('duration_seconds__gte', 0), _connector='OR'), name='evidence_duration_seconds_valid'),
        ),
        migrations.AddConstraint(
            model_name='evidenceitem',
            constraint=models.CheckConstraint(condition=models.Q(('duration_seconds_from_file__isnull', True), ('duration_seconds_from_file__gte', 0), _connector='OR'), name='evidence_duration_seconds_from_file_valid'),
        ),
        migrations.AddConstraint(
            model_name='evidenceitem',
            constraint=models.CheckConstraint(condition=models.Q(('received_on_condition_of_confidentiality', False), models.Q(('confidentiality_provider', ''), _negated=True), _connector='OR'), name='evidence_confidential_condition_names_provider'),
        ),
        migrations.AddField(
            model_name='disclosure',
            name='item',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='disclosures', to='evidence.evidenceitem'),
        ),
        migrations.AddField(
            model_name='disclosure',
            name='package',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='disclosures', to='evidence.export'),
        ),
        migrations.AddField(
            model_name='disclosure',
            name='recorded_by',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='evidencerelation',
            name='created_by',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='evidencerelation',
            name='removed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='evidencerelation',
            name='source',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='relations_out', to='evidence.evidenceitem'),
        ),
        migrations.AddField(
            model_name='evidencerelation',
            name='target',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='relations_in', to='evidence.evidenceitem'),
        ),
        migrations.AddConstraint(
            model_name='disclosure',
            constraint=models.CheckConstraint(condition=models.Q(('recipient_kind__in', ['defence', 'chamber', 'national_prosecutor'])), name='disclosure_recipient_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='disclosure',
            constraint=models.CheckConstraint(condition=models.Q(('rule__in', ['', 'rule_76', 'rule_77', 'article_67_2'])), name='disclosure_rule_valid'),
        ),
        migrations.AddConstraint(
            model_name='disclosure',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('disclosed', True), ('disclosed_at__isnull', False)), models.Q(('disclosed', False), ('disclosed_at__isnull', True), ('package__isnull', True)), _connector='OR'), name='disclosure_date_when_disclosed'),
        ),
        migrations.AddConstraint(
            model_name='evidencerelation',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['transcript_of', 'translation_of', 'redacted_version_of', 'attachment_of', 'same_event_as'])), name='evidence_relation_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='evidencerelation',
            constraint=models.CheckConstraint(condition=models.Q(('source', models.F('target')), _negated=True), name='evidence_relation_not_to_itself'),
        ),
        migrations.AddConstraint(
            model_name='evidencerelation',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'redacted_version_of'), ('redaction_codes', []), _connector='OR'), name='evidence_relation_codes_only_for_redactions'),
        ),
        migrations.AddConstraint(
            model_name='evidencerelation',
            constraint=models.CheckConstraint(condition=models.Q(('removed_at__isnull', True), models.Q(('removal_reason', ''), _negated=True), _connector='OR'), name='evidence_relation_removed_with_a_reason'),
        ),
        migrations.AddConstraint(
            model_name='evidencerelation',
            constraint=models.UniqueConstraint(condition=models.Q(('removed_at__isnull', True)), fields=('source', 'target', 'kind'), name='evidence_relation_once'),
        ),
        migrations.AddConstraint(
            model_name='evidencerelation',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'redacted_version_of'), ('removed_at__isnull', True)), fields=('source',), name='evidence_relation_one_original'),
        ),
        migrations.RunSQL(CREATE, DROP),
    ]
