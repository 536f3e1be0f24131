from django.core.management.base import BaseCommand, CommandError

from evidence.backups import crypto, postgres
from evidence.backups.make import backup_key, backup_make, backups_list


class Command(BaseCommand):
    help = (
        "Backs the database up to the backups store (STORAGES['backups']): a pg_dump in custom format and a "
        "manifest (time, version, migrations, row counts, chain heads, audit head, the dump's SHA-256), read in "
        "one snapshot; encrypted when SLID_BACKUP_KEY is set. Run it as the owner role (make backup)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="list the backups in the store instead")

    def handle(self, *args, list: bool, **options):  # noqa: A002
        if list:
            self._list()
            return
        try:
            key = backup_key()
        except crypto.BackupKeyError as error:
            raise CommandError(str(error)) from None
        if key is None:
            self.stderr.write(
                self.style.WARNING(
                    "SLID_BACKUP_KEY is not set: this backup is NOT encrypted. Production backups must be."
                )
            )
        try:
            backup = backup_make(key=key)
        except postgres.PostgresToolError as error:
            raise CommandError(str(error)) from None
        dump = backup.manifest["dump"]
        encrypted = f"encrypted with key {dump['encryption']['key_id']}" if dump["encryption"] else "not encrypted"
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup {backup.name}: {dump['size_bytes']} bytes ({encrypted}), SHA-256 {dump['sha256']}; "
                f"{len(backup.manifest['chain_heads'])} items, {backup.manifest['audit']['entries']} audit entries, "
                f"{len(backup.manifest['migrations'])} migrations."
            )
        )

    def _list(self) -> None:
        for backup in backups_list():
            if not backup["complete"]:
                self.stdout.write(f"{backup['name']}  (no manifest: did not finish)")
                continue
            self.stdout.write(
                f"{backup['name']}  {backup['created_at']:%Y-%m-%d %H:%M:%S}Z  {backup['size_bytes']} bytes  "
                f"{'encrypted' if backup['encrypted'] else 'NOT encrypted'}  {backup['items']} items"
            )
