import hashlib
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from evidence.errors import DomainError, NotAllowed
from evidence.incident_import import RowProblem, parse_row, read_rows
from evidence.models import Case
from evidence.services.imports import incidents_import


class Command(BaseCommand):
    help = (
        "Imports incidents into a case from GeoJSON or CSV (lon/lat or wkt columns), in the name of --actor, "
        "who must be allowed to record incidents in the case. Every row is checked first; if any is bad, each "
        "bad row is reported by number and reason and nothing is written. The import is in the audit log."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--case", required=True, help="the case reference, e.g. UA-2022-BUCHA")
        parser.add_argument(
            "--actor", help="the username the incidents are recorded by (a lead or investigator of the case)"
        )

    def handle(self, *args, file: Path, case: str, actor: str | None = None, **options):
        if not actor:
            raise CommandError("Name the user the incidents are recorded by: --actor USERNAME.")
        user = get_user_model().objects.filter(username=actor, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {actor!r}.")
        target = Case.objects.filter(reference=case).first()
        if target is None:
            raise CommandError(f"No case {case!r}.")
        if not file.is_file():
            raise CommandError(f"No file {file}.")
        progress = {"file": self.stderr, "disable": options["verbosity"] == 0}
        rows, problems = [], []
        try:
            for number, raw in tqdm(read_rows(file), desc="checking", unit=" rows", **progress):
                try:
                    rows.append(parse_row(raw, time_zone=target.time_zone))
                except ValueError as error:
                    problems.append(RowProblem(number, str(error)))
        except (ValueError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        if problems:
            raise CommandError(f"{len(problems)} bad rows; nothing was imported.\n" + "\n".join(map(str, problems)))
        try:
            writing = tqdm(rows, desc="writing", unit=" incidents", **progress)
            incidents_import(actor=user, case=target, rows=writing, file_name=file.name, sha256=_sha256(file))
        except NotAllowed as refused:
            raise CommandError(f"{refused}; nothing was imported.") from None
        except DomainError as error:
            raise CommandError(f"{error}; nothing was imported.") from None
        self.stdout.write(self.style.SUCCESS(f"Imported {len(rows)} incidents into {target.reference}."))


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
