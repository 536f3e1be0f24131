from django.core.management.base import BaseCommand

from evidence.services.witnesses import identities_rotate_keys


class Command(BaseCommand):
    help = (
        "Re-encrypts every witness and victim identity, and the sealed identities of every court package, "
        "under SLID_IDENTITY_KEY_ID; each is written in the audit log (identity_key.rotate). Keep the old keys "
        "in SLID_IDENTITY_KEYS until this has run, then remove them."
    )

    def handle(self, *args, **options):
        rotated = identities_rotate_keys()
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {rotated} identities under the current key."))
