from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from evidence.hashing import digest_file
from evidence.models import Case, EvidenceItem, EvidenceKind
from evidence.services.intake import evidence_receive


class Command(BaseCommand):
    help = (
        "Uploads every file under DIR into a case, skipping files the case already holds (by SHA-256). "
        "Safe to interrupt and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--case", required=True, help="case reference")
        parser.add_argument("--incident", type=int, action="append", default=[], help="link every file to it")
        parser.add_argument("--user", required=True, help="username of the submitter (a writer in the case)")
        parser.add_argument("--source", default="", help="where the files come from")
        parser.add_argument(
            "--kind",
            choices=EvidenceKind.values,
            help="the kind of every file; without it each file's kind is found from its content",
        )

    def handle(
        self, *args, folder: Path, case: str, incident: list[int], user: str, source: str, kind: str | None, **options
    ):
        target = Case.objects.filter(reference=case).first()
        submitter = get_user_model().objects.filter(username=user).first()
        if target is None or submitter is None:
            raise CommandError(f"No case {case!r}." if target is None else f"No user {user!r}.")
        incidents = list(target.incidents.filter(pk__in=incident))
        if len(incidents) != len(set(incident)):
            raise CommandError(f"Not every incident of {incident} belongs to {case}.")
        if not folder.is_dir():
            raise CommandError(f"No folder {folder}.")
        files = sorted(path for path in folder.rglob("*") if path.is_file() and not path.is_symlink())
        received = skipped = 0
        progress = tqdm(files, unit=" files", file=self.stderr, disable=options["verbosity"] == 0)
        for path in progress:
            sha256 = digest_file(str(path), ["sha256"]).hexdigests["sha256"]
            if EvidenceItem.objects.filter(case=target, submitted_sha256=sha256).exists() or (
                EvidenceItem.objects.filter(case=target, sha256=sha256).exists()
            ):
                skipped += 1
                continue
            with path.open("rb") as handle:
                evidence_receive(
                    actor=submitter,
                    case=target,
                    upload=File(handle, name=path.name),
                    original_filename=str(path.relative_to(folder)),
                    incidents=incidents,
                    submitted_sha256=sha256,  # read once here, and again as it is stored: the two must agree
                    source=source or f"ingest_folder {folder}",
                    **({"kind": kind} if kind else {}),
                )
            received += 1
        self.stdout.write(self.style.SUCCESS(f"Received {received} files; skipped {skipped} already in {case}."))
