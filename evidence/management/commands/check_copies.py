from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evidence.selectors.copies import configured_stores, items_below_min_copies


class Command(BaseCommand):
    help = (
        "Lists the archived items with fewer good copies than SLID_ARCHIVE_MIN_COPIES, each with the stores "
        "whose copy is not good and its state there (pending, missing, damaged, unreadable, absent). Reads the "
        "copies' records only (fixity_check re-hashes them; repair_copies makes them good). Exits 1 if any."
    )

    def handle(self, *args, **options):
        below = items_below_min_copies()
        stores = ", ".join(configured_stores())
        minimum = settings.SLID_ARCHIVE_MIN_COPIES
        for item in below:
            bad = ", ".join(f"{store} {state}" for store, state in item.bad.items())
            good = ", ".join(item.good) or "none"
            self.stdout.write(self.style.ERROR(f"{item.ern}: {len(item.good)} good ({good}); {bad}"))
        if below:
            raise CommandError(f"{len(below)} archived items have fewer than {minimum} good copies (stores: {stores}).")
        self.stdout.write(self.style.SUCCESS(f"Every archived item has at least {minimum} good copies ({stores})."))
