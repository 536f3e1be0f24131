import argparse

from django.core.management.base import BaseCommand, CommandError

from evidence.selectors.items import evidence_fixity_batch_size, evidence_fixity_due
from workers import common, fixity


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return number


class Command(BaseCommand):
    help = (
        "Re-hashes archived copies now, the ones checked longest ago first, and records each check in "
        "the item's custody, as the scheduled fixity run does. By default as many as one scheduled run "
        "checks. Prints how many were checked and each that failed; exits 1 if any failed."
    )

    def add_arguments(self, parser):
        how_many = parser.add_mutually_exclusive_group()
        how_many.add_argument("--limit", type=positive_int, help="check at most N items")
        how_many.add_argument("--all", action="store_true", dest="check_all", help="check every archived item")
        parser.add_argument("--ern", action="append", default=[], help="check only this item (repeatable)")

    def handle(self, *args, limit: int | None, check_all: bool, ern: list[str], **options):
        if ern:
            found = set(evidence_fixity_due(limit=None, erns=ern).values_list("ern", flat=True))
            missing = [name for name in ern if name not in found]
            if missing:
                raise CommandError(f"No archived item with ERN {', '.join(missing)}.")
        if limit is None and not check_all and not ern:
            limit = evidence_fixity_batch_size()
        items = evidence_fixity_due(limit=limit, erns=ern).iterator(chunk_size=500)
        report = fixity.fixity_check(items, agent=common.worker_agent("fixity_check"))

        for failure in report.failures:
            self.stdout.write(self.style.ERROR(f"{failure.ern}: {failure.reason}"))
        copies = "archived copy" if report.checked == 1 else "archived copies"
        if report.failures:
            raise CommandError(
                f"{len(report.failures)} of {report.checked} {copies} failed: "
                + ", ".join(failure.ern for failure in report.failures)
            )
        self.stdout.write(self.style.SUCCESS(f"Checked {report.checked} {copies}: all held."))
