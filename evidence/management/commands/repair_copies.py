from django.core.management.base import BaseCommand, CommandError

from evidence.agents import Agent
from evidence.services.copies import copies_repair_all


class Command(BaseCommand):
    help = (
        "Re-hashes every copy of every archived item now (a fixity check of each, in its custody), and makes each "
        "copy that is missing, damaged, unreadable or not yet written good again from a good copy (a 'repaired' "
        "or 'replicated' custody entry each): after a restore, this repairs the primary from a replica. Prints "
        "the counts; exits 1 if a copy could not be made good."
    )

    def handle(self, *args, **options):
        counts = copies_repair_all(agent=Agent.for_worker("repair_copies"))
        self.stdout.write(" ".join(f"{name}={count}" for name, count in counts.items()))
        if counts["still_bad"] or counts["no_good_copy"]:
            raise CommandError(
                f"{counts['still_bad']} copies could not be made good; {counts['no_good_copy']} items have no good "
                "copy at all (manage.py check_copies lists them)."
            )
        self.stdout.write(self.style.SUCCESS(f"Every copy of {counts['items']} archived items is good."))
