"""Prints a checkpoint's root in a form to publish outside Slid, and checks a root published earlier."""

from datetime import UTC

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evidence.models import Checkpoint
from evidence.selectors.checkpoints import checkpoints_check, timestamp_absence
from evidence.services.checkpoints import checkpoint_build


class Command(BaseCommand):
    help = (
        "Prints the latest checkpoint (or --id N) as a statement to publish outside Slid: by e-mail, in a file "
        "kept elsewhere, in a newspaper. --check ROOT checks a root published earlier: it must be a checkpoint's, "
        "and today's chains must still reproduce it. --build builds a checkpoint first, as Celery beat does."
    )

    def add_arguments(self, parser):
        parser.add_argument("--id", type=int, help="this checkpoint rather than the latest")
        parser.add_argument("--check", metavar="ROOT", help="a root published earlier (64 hexadecimal digits)")
        parser.add_argument("--build", action="store_true", help="build a checkpoint now, then print it")

    def handle(self, *args, id: int | None, check: str | None, build: bool, **options):
        if check is not None:
            return self._check(check.strip().lower(), checkpoint_id=id)
        if build and checkpoint_build() is None:
            raise CommandError("Another checkpoint is being built right now; try again in a moment.")
        checkpoints = Checkpoint.objects.defer("changes")
        checkpoint = checkpoints.filter(pk=id).first() if id is not None else checkpoints.order_by("-id").first()
        if checkpoint is None:
            raise CommandError(
                f"There is no checkpoint {id}." if id is not None else "There is no checkpoint yet (--build makes one)."
            )
        self.stdout.write(statement(checkpoint))
        return None

    def _check(self, root: str, *, checkpoint_id: int | None) -> None:
        if len(root) != 64 or any(digit not in "0123456789abcdef" for digit in root):
            raise CommandError(f"{root!r} is not a root: 64 hexadecimal digits (SHA-256).")
        checkpoints = Checkpoint.objects.defer("changes").filter(root=root)
        if checkpoint_id is not None:
            checkpoints = checkpoints.filter(pk=checkpoint_id)
        checkpoint = checkpoints.order_by("id").first()
        if checkpoint is None:
            raise CommandError(
                f"No checkpoint{f' {checkpoint_id}' if checkpoint_id is not None else ''} has the root {root}: "
                "the checkpoint that was published has been changed or removed."
            )
        report = checkpoints_check()
        today = report.today_roots.get(checkpoint.pk)
        if today != root:
            for finding in report.findings:
                self.stderr.write(str(finding))
            raise CommandError(
                f"Checkpoint {checkpoint.pk} has the published root {root}, but today's chains give {today}: "
                "a chain was changed after it (the lines above name what)."
            )
        when = checkpoint.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        self.stdout.write(
            self.style.SUCCESS(
                f"The root {root} is checkpoint {checkpoint.pk}'s ({when} UTC, {checkpoint.tree_size} leaves), and "
                "today's chains reproduce it."
            )
        )


def statement(checkpoint: Checkpoint) -> str:
    """The checkpoint as lines to publish: anyone can later ask Slid's operator to prove a chain against it."""
    when = checkpoint.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    tokens = [
        f"timestamp: {token.tsa_url} serial {token.serial} at {token.gen_time.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
        for token in checkpoint.timestamps.filter(verified=True).order_by("gen_time", "id")
    ]
    return "\n".join(
        [
            f"Slid checkpoint {checkpoint.pk} of {settings.SLID_SOURCE_ORGANIZATION}",
            f"time: {when}",
            # RFC 6962's signed tree head carries the size too: it says how many items Slid holds in all.
            f"tree size: {checkpoint.tree_size}",
            f"root: {checkpoint.root}",
            "tree: RFC 6962 Merkle tree, SHA-256; leaf = H(0x00 || id || chain head), node = H(0x01 || left || right)",
            *(tokens or [f"timestamp: none. {timestamp_absence(checkpoint)}"]),
        ]
    )
