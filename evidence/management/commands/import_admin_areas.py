import re
import zipfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.gis.gdal import DataSource
from django.contrib.gis.gdal.error import GDALException
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from evidence.models import Incident
from evidence.services.imports import admin_areas_import_record
from evidence.services.record import incidents_assign_admin_areas
from geo.models import AdminArea
from geo.services import AreaFieldMapping, AreaImportError, admin_areas_import, admin_areas_read

# OCHA's common operational dataset of Ukraine's administrative boundaries (COD-AB, on HDX): one
# layer per level, named ukr_admbnda_adm<N>_…, with the Ukrainian and English names and the P-code
# of each area and of its parent.
COD_AB_UKR = (
    ("adm1", AdminArea.Level.OBLAST, AreaFieldMapping("ADM1_UA", "ADM1_EN", "ADM1_PCODE")),
    ("adm2", AdminArea.Level.RAION, AreaFieldMapping("ADM2_UA", "ADM2_EN", "ADM2_PCODE", "ADM1_PCODE")),
    ("adm3", AdminArea.Level.HROMADA, AreaFieldMapping("ADM3_UA", "ADM3_EN", "ADM3_PCODE", "ADM2_PCODE")),
)


# A release's date in a layer's name: 8 digits, YYYYMMDD, so that the newest sorts last.
RELEASE_DATE = re.compile(r"(?<![0-9])([0-9]{8})(?![0-9])")


class Command(BaseCommand):
    help = (
        "Loads administrative areas from any file GDAL reads (GeoJSON, GeoPackage, Shapefile…), "
        "checking every feature first and writing all or nothing; then re-assigns incidents to areas. "
        "With --cod-ab-ukr, loads Ukraine's oblasts, raions and hromadas from OCHA's COD-AB in one go "
        "(the shapefile zip as downloaded, its unpacked folder, or a GeoPackage or geodatabase of it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--actor", required=True, help="username of the staff member importing (recorded in the audit log)"
        )
        parser.add_argument(
            "--cod-ab-ukr",
            action="store_true",
            help="the file is OCHA's COD-AB of Ukraine: import its adm1, adm2 and adm3 layers with their fields",
        )
        parser.add_argument("--level", choices=AdminArea.Level.values)
        parser.add_argument("--name-uk-field", help="attribute with the Ukrainian name")
        parser.add_argument("--name-en-field", help="attribute with the English name")
        parser.add_argument("--code-field", help="attribute with an official code (re-imports update by code)")
        parser.add_argument("--parent-code-field", help="attribute with the parent area's code")
        parser.add_argument("--parent", type=int, help="id of the parent area of every feature")
        parser.add_argument("--layer", type=int, default=0, help="layer index in the file (default 0)")

    def handle(self, *args, **options):
        # Boundaries are every case's: a staff member imports them, and the audit log says who.
        actor = get_user_model().objects.filter(username=options["actor"], is_active=True, is_staff=True).first()
        if actor is None:
            raise CommandError(f"No active staff account {options['actor']!r}: boundaries are imported by staff.")
        try:
            if options["cod_ab_ukr"]:
                imported = self._import_cod_ab_ukr(options["file"])
            else:
                imported = [self._import_one(options)]
        except AreaImportError as error:
            raise CommandError(f"Nothing was imported: {error}") from None
        moved = incidents_assign_admin_areas(Incident.objects.all().only("pk", "location", "admin_area"), actor=actor)
        admin_areas_import_record(
            actor=actor, source=Path(options["file"]).name, imported=imported, incidents_moved=moved
        )
        for count, level in imported:
            self.stdout.write(self.style.SUCCESS(f"Imported {count} {level} areas"))
        self.stdout.write(f"{moved} incidents were assigned to a new admin area.")

    def _import_one(self, options) -> tuple[int, str]:
        if not options["level"] or not options["name_uk_field"]:
            raise CommandError("Give --level and --name-uk-field (or --cod-ab-ukr for OCHA's COD-AB of Ukraine).")
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
        rows, errors = admin_areas_read(options["file"], mapping=mapping, layer=options["layer"])
        if errors:
            raise CommandError("Nothing was imported:\n  " + "\n  ".join(errors))
        return len(admin_areas_import(rows, level=options["level"], parent=parent)), options["level"]

    def _import_cod_ab_ukr(self, path: str) -> list[tuple[int, str]]:
        """Every level is read and checked before anything is written; then all are written in one
        transaction, oblasts first, so that each raion and hromada finds its parent by P-code."""
        layers = _cod_ab_layers(path)
        read = []
        for key, level, mapping in COD_AB_UKR:
            source, layer = layers[key]
            rows, errors = admin_areas_read(source, mapping=mapping, layer=layer)
            if errors:
                raise CommandError(f"Nothing was imported; in the {key} layer:\n  " + "\n  ".join(errors))
            read.append((rows, level))
        with transaction.atomic():
            return [(len(admin_areas_import(rows, level=level)), level) for rows, level in read]


def _cod_ab_layers(path: str) -> dict[str, tuple[str, int | str]]:
    """Where each level of the COD-AB is: (a path GDAL opens, a layer in it), found by "adm<N>" in the
    name; the areas (``admbnda``) before the lines and points the dataset also has, and of a folder holding
    more than one release, the newest (by the date in the names). Two layers of one level and one release,
    or levels whose newest layers come from different releases, are refused: which to take is not known."""
    file = Path(path)
    if file.is_dir():
        candidates = [(str(shapefile), 0, shapefile.stem) for shapefile in file.rglob("*.shp")]
    elif zipfile.is_zipfile(file):
        with zipfile.ZipFile(file) as archive:
            members = [name for name in archive.namelist() if name.lower().endswith(".shp")]
        candidates = [(f"/vsizip/{file.resolve()}/{name}", 0, Path(name).stem) for name in members]
    else:
        try:
            candidates = [(path, layer.name, layer.name) for layer in DataSource(path)]
        except GDALException as error:
            raise CommandError(f"GDAL cannot read {path}: {error}") from None
    found: dict[str, tuple[str, int | str]] = {}
    releases: dict[str, str] = {}
    for key, _, _ in COD_AB_UKR:
        of_level = [candidate for candidate in candidates if f"_{key}_" in f"_{candidate[2].lower()}_"]
        # The areas (admbnda) before the lines and points; of those, the newest release.
        areas = [candidate for candidate in of_level if "admbnda" in candidate[2].lower()] or of_level
        if not areas:
            continue
        newest = max(_release(name) for _, _, name in areas)
        chosen = sorted((c for c in areas if _release(c[2]) == newest), key=lambda candidate: candidate[2])
        if len(chosen) > 1:
            names = " and ".join(name for _, _, name in chosen)
            raise CommandError(
                f"Nothing was imported: several {key} layers of one release in {path}: {names}. Keep one."
            )
        (source, layer, _name), releases[key] = chosen[0], newest
        found[key] = (source, layer)
    missing = [key for key, _, _ in COD_AB_UKR if key not in found]
    if missing:
        raise CommandError(
            f"No {', '.join(missing)} layer in {path}: expected OCHA's COD-AB of Ukraine, with layers named "
            "like ukr_admbnda_adm1_sspe_20240416."
        )
    if len(set(releases.values())) > 1:
        named = ", ".join(f"{key} {release or '(undated)'}" for key, release in releases.items())
        raise CommandError(
            f"Nothing was imported: the newest layer of each level in {path} comes from different releases: "
            f"{named}. Give one release, complete."
        )
    return found


def _release(name: str) -> str:
    """The release date a COD-AB layer is named with (ukr_admbnda_adm1_sspe_20240416: "20240416"), or ""."""
    dates = RELEASE_DATE.findall(name)
    return dates[-1] if dates else ""
