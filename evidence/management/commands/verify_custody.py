from django.core.management.base import BaseCommand, CommandError

from evidence.models import EvidenceItem
from evidence.selectors.custody import custody_first_broken_link


class Command(BaseCommand):
    help = "Recomputes every item's chain of custody and reports the first broken link of each item."

    def add_arguments(self, parser):
        parser.add_argument("--case", help="only this case (reference)")

    def handle(self, *args, case: str | None, **options):
        items = EvidenceItem.objects.order_by("pk")
        if case:
            items = items.filter(case__reference=case)
        checked, broken = 0, []
        for item in items.iterator():
            checked += 1
            problem = custody_first_broken_link(item=item)
            if problem:
                sequence, reason = problem
                broken.append(f"{item.ern}: entry {sequence}: {reason}")
        for line in broken:
            self.stdout.write(self.style.ERROR(line))
        if broken:
            raise CommandError(f"{len(broken)} of {checked} chains of custody are broken.")
        self.stdout.write(self.style.SUCCESS(f"All {checked} chains of custody hold."))
