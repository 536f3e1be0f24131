from django.core.management.base import BaseCommand, CommandError

from evidence.models import Incident
from evidence.services.record import incidents_assign_admin_areas
from geo.models import AdminArea
from geo.services import AreaFieldMapping, AreaImportError, admin_areas_import, admin_areas_read


class Command(BaseCommand):
    help = (
        "Loads administrative areas from any file GDAL reads (GeoJSON, GeoPackage, Shapefile…), "
        "checking every feature first and writing all or nothing; then re-assigns incidents to areas."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--level", required=True, choices=AdminArea.Level.values)
        parser.add_argument("--name-uk-field", required=True, help="attribute with the Ukrainian name")
        parser.add_argument("--name-en-field", help="attribute with the English name")
        parser.add_argument("--code-field", help="attribute with an official code (re-imports update by code)")
        parser.add_argument("--parent-code-field", help="attribute with the parent area's code")
        parser.add_argument("--parent", type=int, help="id of the parent area of every feature")
        parser.add_argument("--layer", type=int, default=0, help="layer index in the file (default 0)")

    def handle(self, *args, **options):
        mapping = AreaFieldMapping(
            name_uk=options["name_uk_field"],
            name_en=options["name_en_field"],
            code=options["code_field"],
            parent_code=options["parent_code_field"],
        )
        parent = None
        if options["parent"] is not None:
            parent = AdminArea.objects.filter(pk=options["parent"]).first()
            if parent is None:
                raise CommandError(f"No admin area {options['parent']}.")
        try:
            rows, errors = admin_areas_read(options["file"], mapping=mapping, layer=options["layer"])
            if errors:
                raise CommandError("Nothing was imported:\n  " + "\n  ".join(errors))
            areas = admin_areas_import(rows, level=options["level"], parent=parent)
        except AreaImportError as error:
            raise CommandError(f"Nothing was imported: {error}") from None
        moved = incidents_assign_admin_areas(Incident.objects.all().only("pk", "location", "admin_area"))
        self.stdout.write(self.style.SUCCESS(f"Imported {len(areas)} {options['level']} areas"))
        self.stdout.write(f"{moved} incidents were assigned to a new admin area.")
