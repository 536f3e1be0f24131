from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from evidence.backups import crypto, postgres
from evidence.backups.make import backup_key
from evidence.backups.restore import RestoreRefused, backup_manifest, backup_restore, restore_proof


class Command(BaseCommand):
    help = (
        "Restores a backup (its name in the backups store, or a folder holding its manifest.json and dump) into an "
        "EMPTY database, then proves the restore: migrations, row counts, every chain of custody, the checkpoints, "
        "every chain head, the audit log, and every archived copy's fixity. Exits 1 if anything differs, naming it. "
        "An encrypted backup's manifest must authenticate under SLID_BACKUP_KEY; an unencrypted backup is refused "
        "while a key is set, unless --allow-unencrypted. Run it as the owner role (make restore BACKUP=…)."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the backup's name in the backups store, or a folder")
        parser.add_argument(
            "--database", help="restore into this database of the same server instead of DATABASE_URL's (it must exist)"
        )
        parser.add_argument(
            "--check-only",
            action="store_true",
            help="restore nothing: prove the database as it is against the backup's manifest",
        )
        parser.add_argument(
            "--allow-unencrypted",
            action="store_true",
            help="accept a backup that is not encrypted although SLID_BACKUP_KEY is set (its manifest cannot be "
            "authenticated: only for a backup whose origin you know)",
        )

    def handle(self, *args, backup: str, database: str | None, check_only: bool, allow_unencrypted: bool, **options):
        if database:
            connection.close()
            connection.settings_dict["NAME"] = database
        try:
            key = backup_key()
            if check_only:
                manifest = backup_manifest(backup, key=key, allow_unencrypted=allow_unencrypted)
                report = restore_proof(manifest, say=self.stdout.write)
            else:
                report = backup_restore(backup, key=key, allow_unencrypted=allow_unencrypted, say=self.stdout.write)
        except (RestoreRefused, crypto.BackupKeyError, postgres.PostgresToolError) as error:
            raise CommandError(str(error)) from None
        if not report.ok:
            raise CommandError(
                f"The restore of {report.manifest['name']} is NOT proven: {len(report.findings)} findings above."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"The restore of {report.manifest['name']} (made {report.manifest['created_at']}) is proven: "
                "migrations, row counts, every chain of custody and its head, the checkpoints, the audit log, and "
                "every archived copy are as backed up."
            )
        )
