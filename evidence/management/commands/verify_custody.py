from django.core.management.base import BaseCommand, CommandError

from evidence.models import Case
from evidence.selectors.checkpoints import checkpoints_check
from evidence.selectors.integrity import integrity_check


class Command(BaseCommand):
    help = (
        "Recomputes every item's chain of custody (reporting its first broken link), checks each item's "
        "hashes against its custody and each case's ERNs for gaps, recomputes the audit log's chain, and "
        "checks every checkpoint against today's chains (a chain rewritten after a checkpoint names the item "
        "and the checkpoint; so do a missing checkpoint and a backdated item), and verifies every stored RFC 3161 "
        "token again (a checkpoint's over its root, an item's over its SHA-256 and against its custody), against "
        "SLID_TSA_ROOTS. One line per finding; exits 1 if any. Notices (a checkpoint the authorities did not "
        "stamp, tokens that could not be checked) are printed and do not fail."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--case", help="only this case (reference); the audit log and the checkpoints' roots are then not checked"
        )

    def handle(self, *args, case: str | None, **options):
        if case is not None and not Case.objects.filter(reference=case).exists():
            raise CommandError(f"There is no case {case!r}.")
        report = integrity_check(case_reference=case)
        anchored = checkpoints_check(case_reference=case)
        findings = [*report.findings, *anchored.findings]
        for finding in findings:
            self.stdout.write(self.style.ERROR(str(finding)))
        for notice in anchored.notices:
            self.stdout.write(self.style.WARNING(notice))
        checked = report.items_checked
        if findings:
            raise CommandError(
                f"{len(findings)} problem(s): {report.count('chain')} of {checked} chains of custody are "
                f"broken; hashes differing from custody: {report.count('hashes')}; ERNs missing or out of series: "
                f"{report.count('ern')}; the audit log's chain broken: {'yes' if _count(anchored, 'audit') else 'no'}; "
                f"checkpoints not reproduced by today's chains: {_count(anchored, 'checkpoint')}; timestamp tokens "
                f"missing or not holding: {_count(anchored, 'token')}."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"All {checked} chains of custody hold. Every item's hashes match its custody, and the ERNs "
                f"of {report.cases_checked} cases run without a gap."
            )
        )
        if case is None and anchored.checkpoints_checked:
            self.stdout.write(
                self.style.SUCCESS(
                    f"The audit log's chain holds ({anchored.audit_links_checked} links), and today's chains "
                    f"reproduce all {anchored.checkpoints_checked} checkpoints."
                )
            )
        elif case is None:
            self.stdout.write("No checkpoint has been built yet: nothing anchors the chains outside the database.")
        if anchored.tokens_checked:
            self.stdout.write(
                self.style.SUCCESS(f"All {anchored.tokens_checked} timestamp tokens verify again over what they stamp.")
            )


def _count(report, kind: str) -> int:
    return sum(1 for finding in report.findings if finding.kind == kind)
