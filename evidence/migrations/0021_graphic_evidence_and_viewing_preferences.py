"""Evidence marked graphic, which the workspace blurs until the viewer chooses to see it (issue 12), and
each user's choice of what to blur (``UserPreferences``). Marking is audited (``evidence.graphic``).
Going back drops the column, the table and the audit action (refused while an entry uses it)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

ACTIONS = [
    'case.create', 'case.update', 'member.add', 'member.change_role', 'member.remove', 'user.create_admin',
    'user.create', 'user.deactivate', 'user.activate', 'user.password_issue', 'auth.login', 'auth.login_failed',
    'auth.otp_failed', 'auth.logout', 'auth.totp_begin', 'auth.totp_on', 'auth.totp_off', 'auth.password_change',
    'incident.create', 'incident.update', 'incident.import', 'unit.create', 'unit.update', 'person.create',
    'person.update', 'allegation.create', 'allegation.update', 'evidence.receive', 'evidence.link',
    'evidence.download', 'evidence.retry', 'evidence.graphic', 'export.request', 'export.identities_requested',
    'export.download', 'export_profile.create', 'witness.create', 'witness.update', 'witness.identity_reveal',
    'victim.create', 'victim.update', 'victim.identity_reveal', 'identity_key.rotate',
]
ACTION_CHOICES = [
    ('case.create', 'Case created'), ('case.update', 'Case changed'), ('member.add', 'Member added'),
    ('member.change_role', "Member's role changed"), ('member.remove', 'Member removed'),
    ('user.create_admin', 'Administrator created'), ('user.create', 'Account created'),
    ('user.deactivate', 'Account deactivated'), ('user.activate', 'Account reactivated'),
    ('user.password_issue', 'One-time password issued'), ('auth.login', 'Signed in'),
    ('auth.login_failed', 'Sign-in failed'), ('auth.otp_failed', 'One-time code refused'),
    ('auth.logout', 'Signed out'), ('auth.totp_begin', 'Second factor being set up'),
    ('auth.totp_on', 'Second factor turned on'), ('auth.totp_off', 'Second factor turned off'),
    ('auth.password_change', 'Password changed'), ('incident.create', 'Incident created'),
    ('incident.update', 'Incident changed'), ('incident.import', 'Incidents imported from a file'),
    ('unit.create', 'Unit created'), ('unit.update', 'Unit changed'), ('person.create', 'Person created'),
    ('person.update', 'Person changed'), ('allegation.create', 'Allegation created'),
    ('allegation.update', 'Allegation changed'), ('evidence.receive', 'Evidence received'),
    ('evidence.link', 'Evidence linked to an incident'), ('evidence.download', 'Evidence downloaded'),
    ('evidence.retry', 'Evidence processing retried'), ('evidence.graphic', 'Evidence marked graphic or not graphic'),
    ('export.request', 'Package requested'), ('export.identities_requested', 'Package with identities requested'),
    ('export.download', 'Package downloaded'), ('export_profile.create', 'Register profile created'),
    ('witness.create', 'Witness recorded'), ('witness.update', 'Witness changed'),
    ('witness.identity_reveal', 'Witness identity revealed'), ('victim.create', 'Victim recorded'),
    ('victim.update', 'Victim changed'), ('victim.identity_reveal', 'Victim identity revealed'),
    ('identity_key.rotate', 'Identity re-encrypted under the current key'),
]


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0020_resumable_uploads_from_the_browser'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='evidenceitem',
            name='graphic',
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name='UserPreferences',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='preferences', serialize=False, to=settings.AUTH_USER_MODEL)),
                ('media_blur', models.CharField(choices=[('always', 'Blur all material until I choose to see it'), ('graphic', 'Blur only material marked graphic'), ('never', 'Never blur')], default='graphic', max_length=10)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name_plural': 'user preferences',
            },
        ),
        migrations.AddConstraint(
            model_name='userpreferences',
            constraint=models.CheckConstraint(condition=models.Q(('media_blur__in', ['always', 'graphic', 'never'])), name='preferences_blur_valid'),
        ),
        migrations.RemoveConstraint(
            model_name='auditentry',
            name='audit_action_valid',
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=ACTION_CHOICES, max_length=64),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ACTIONS)), name='audit_action_valid'),
        ),
    ]
