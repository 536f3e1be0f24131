from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from evidence.errors import DomainError
from evidence.incident_import import RowProblem, parse_row, read_rows
from evidence.models import Case
from evidence.services.record import incident_create


class Command(BaseCommand):
    help = (
        "Imports incidents into a case from GeoJSON or CSV (lon/lat or wkt columns). Every row is checked "
        "first; if any is bad, each bad row is reported by number and reason and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--case", required=True, help="the case reference, e.g. UA-2022-BUCHA")

    def handle(self, *args, file: Path, case: str, **options):
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
        fields: dict = {}
        try:
            with transaction.atomic():
                for fields in tqdm(rows, desc="writing", unit=" incidents", **progress):
                    incident_create(actor=None, case=target, **fields)
        except DomainError as error:
            raise CommandError(f"Incident {fields.get('title')!r}: {error}; nothing was imported.") from None
        self.stdout.write(self.style.SUCCESS(f"Imported {len(rows)} incidents into {target.reference}."))
