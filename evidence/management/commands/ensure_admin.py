import secrets
from pathlib import Path

from django.core.management.base import BaseCommand

from evidence.services.accounts import user_ensure_admin


class Command(BaseCommand):
    help = "Creates the admin account with a generated password, printed once and kept in a file only you can read."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--credentials-file", type=Path, required=True)

    def handle(self, *args, username: str, credentials_file: Path, **options):
        password = secrets.token_urlsafe(18)
        user, created = user_ensure_admin(username=username, password=password)
        if not created:
            where = f"in {credentials_file}" if credentials_file.exists() else "not on file"
            self.stdout.write(f"Admin account: {username} (password {where}; change it with manage.py changepassword)")
            return
        credentials_file.parent.mkdir(parents=True, exist_ok=True)
        credentials_file.touch(mode=0o600, exist_ok=True)
        credentials_file.chmod(0o600)
        credentials_file.write_text(f"username={username}\npassword={password}\n")
        self.stdout.write(
            self.style.SUCCESS(f"Admin account created: {username} / {password}")
            + f"\n(shown once; also kept in {credentials_file}, readable only by you)"
        )
