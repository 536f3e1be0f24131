import json
import shutil
import subprocess

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command

from evidence.models import AuditEntry, Role
from geo.models import AdminArea
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cartographer(db):
    return UserFactory(username="cartographer", is_staff=True)


def import_areas(*args, **options) -> None:
    """The command as a staff member runs it."""
    call_command("import_admin_areas", *args, actor="cartographer", **options)


def square(x: float, y: float, size: float) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def areas_file(tmp_path, features: list[tuple[dict, dict]]):
    path = tmp_path / "areas.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
            }
        )
    )
    return path


def test_oblasts_then_raions_are_imported_with_their_parents(tmp_path):
    oblasts = areas_file(tmp_path, [({"NAME_UK": "Київська", "NAME_EN": "Kyiv", "CODE": "UA32"}, square(29, 49, 3))])
    import_areas(
        str(oblasts),
        level="oblast",
        name_uk_field="NAME_UK",
        name_en_field="NAME_EN",
        code_field="CODE",
        verbosity=0,
    )
    raions = areas_file(tmp_path, [({"NAME_UK": "Бучанський", "CODE": "UA3210", "PARENT": "UA32"}, square(30, 50, 1))])

    import_areas(
        str(raions),
        level="raion",
        name_uk_field="NAME_UK",
        code_field="CODE",
        parent_code_field="PARENT",
        verbosity=0,
    )

    raion = AdminArea.objects.get(code="UA3210")
    assert raion.parent.name_en == "Kyiv"
    assert raion.boundary.geom_type == "MultiPolygon"


def test_a_geopackage_is_read_too(tmp_path):
    source = areas_file(tmp_path, [({"name": "Харківська"}, square(35, 48, 3))])
    package = tmp_path / "areas.gpkg"
    subprocess.run([shutil.which("ogr2ogr"), "-f", "GPKG", str(package), str(source)], check=True)

    import_areas(str(package), level="oblast", name_uk_field="name", verbosity=0)

    assert AdminArea.objects.get().name_uk == "Харківська"


def test_existing_incidents_are_assigned_to_imported_areas(tmp_path, case_a):
    incident = make_incident(case_a, location=Point(30.5, 50.5, srid=4326))
    assert incident.admin_area is None

    import_areas(
        str(areas_file(tmp_path, [({"n": "Kyiv"}, square(29, 49, 3))])),
        level="oblast",
        name_uk_field="n",
        verbosity=0,
    )

    incident.refresh_from_db()
    assert incident.admin_area.name_uk == "Kyiv"


def test_a_bad_feature_stops_the_whole_import(tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
    path = areas_file(tmp_path, [({"n": "Good"}, square(29, 49, 3)), ({"n": "Bowtie"}, bowtie)])

    with pytest.raises(CommandError, match="feature 2: invalid boundary: Self-intersection"):
        import_areas(str(path), level="oblast", name_uk_field="n", verbosity=0)

    assert not AdminArea.objects.exists()


def test_a_missing_field_names_the_fields_there_are(tmp_path):
    path = areas_file(tmp_path, [({"n": "Kyiv"}, square(29, 49, 3))])

    with pytest.raises(CommandError, match="No field 'NAME' in the layer; it has: n"):
        import_areas(str(path), level="oblast", name_uk_field="NAME", verbosity=0)


# OCHA's COD-AB of Ukraine, in miniature: the layer names and attribute names of the real dataset.
COD_AB = {
    "ukr_admbnda_adm1_sspe_20240416": [
        ({"ADM1_EN": "Kyivska", "ADM1_UA": "Київська", "ADM1_PCODE": "UA32", "ADM0_PCODE": "UA"}, square(29, 49, 3)),
    ],
    "ukr_admbnda_adm2_sspe_20240416": [
        ({"ADM2_EN": "Buchanskyi", "ADM2_UA": "Бучанський", "ADM2_PCODE": "UA3210", "ADM1_PCODE": "UA32"},
         square(29.5, 50, 1.5)),
    ],
    "ukr_admbnda_adm3_sspe_20240416": [
        ({"ADM3_EN": "Buchanska", "ADM3_UA": "Бучанська", "ADM3_PCODE": "UA3210001", "ADM2_PCODE": "UA3210"},
         square(30.1, 50.4, 0.3)),
    ],
    # The dataset's boundary lines come beside the areas, with the same level in their names.
    "ukr_admbndl_adm1_sspe_20240416": [
        ({"ADM1_PCODE": "UA32"}, {"type": "LineString", "coordinates": [[29, 49], [32, 49]]}),
    ],
}  # fmt: skip


def cod_ab_shapefiles(tmp_path, layers=COD_AB):
    folder = tmp_path / "ukr_admbnda_sspe_20240416_SHP"
    folder.mkdir()
    for name, features in layers.items():
        source = areas_file(tmp_path, features)
        subprocess.run(
            [shutil.which("ogr2ogr"), "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", str(folder / f"{name}.shp"),
             str(source)],
            check=True, capture_output=True,
        )  # fmt: skip
    return folder


def cod_ab_zip(tmp_path, layers=COD_AB):
    import zipfile

    folder = cod_ab_shapefiles(tmp_path, layers)
    archive = tmp_path / "ukr_admbnda_sspe_20240416_SHP.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.iterdir()):
            out.write(path, f"{folder.name}/{path.name}")  # inside a folder, as the download is
    return archive


def test_cod_ab_of_ukraine_is_imported_in_one_command_from_the_downloaded_zip(tmp_path, case_a):
    incident = make_incident(case_a, location=Point(30.2208, 50.5445, srid=4326))  # Bucha
    outside = make_incident(case_a, location=Point(21.0122, 52.2297, srid=4326))  # Warsaw

    import_areas(str(cod_ab_zip(tmp_path)), cod_ab_ukr=True, verbosity=0)

    hromada = AdminArea.objects.get(code="UA3210001")
    assert (hromada.level, hromada.name_uk, hromada.name_en) == ("hromada", "Бучанська", "Buchanska")
    assert (hromada.parent.code, hromada.parent.level, hromada.parent.name_uk) == ("UA3210", "raion", "Бучанський")
    assert (hromada.parent.parent.code, hromada.parent.parent.level) == ("UA32", "oblast")
    assert AdminArea.objects.count() == 3
    incident.refresh_from_db()
    outside.refresh_from_db()
    assert incident.admin_area == hromada  # the smallest area that holds it
    assert outside.admin_area is None


def test_cod_ab_is_read_from_the_unpacked_folder_or_a_geopackage_too(tmp_path):
    folder = cod_ab_shapefiles(tmp_path)
    import_areas(str(folder), cod_ab_ukr=True, verbosity=0)
    assert sorted(AdminArea.objects.values_list("code", flat=True)) == ["UA32", "UA3210", "UA3210001"]

    package = tmp_path / "ukr_admbnd_sspe_20240416.gpkg"
    for shapefile in sorted(folder.glob("*.shp")):
        update = ["-update"] if package.exists() else []
        subprocess.run([shutil.which("ogr2ogr"), "-f", "GPKG", *update, "-nln", shapefile.stem, str(package),
                        str(shapefile)], check=True, capture_output=True)  # fmt: skip
    AdminArea.objects.filter(level="hromada").update(name_en="renamed")
    import_areas(str(package), cod_ab_ukr=True, verbosity=0)

    # A re-import updates each area by its P-code.
    assert AdminArea.objects.count() == 3
    assert AdminArea.objects.get(code="UA3210001").name_en == "Buchanska"


def test_cod_ab_with_a_bad_hromada_imports_nothing_at_all(tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[30, 50], [31, 51], [31, 50], [30, 51], [30, 50]]]}
    layers = {**COD_AB, "ukr_admbnda_adm3_sspe_20240416": [(COD_AB["ukr_admbnda_adm3_sspe_20240416"][0][0], bowtie)]}

    with pytest.raises(CommandError, match="in the adm3 layer:\n  feature 1: invalid boundary: Self-intersection"):
        import_areas(str(cod_ab_zip(tmp_path, layers)), cod_ab_ukr=True, verbosity=0)

    assert not AdminArea.objects.exists()


def test_cod_ab_without_a_level_names_what_is_missing(tmp_path):
    layers = {name: features for name, features in COD_AB.items() if "adm3" not in name}

    with pytest.raises(CommandError, match="No adm3 layer in .*ukr_admbnda_adm1_sspe_20240416"):
        import_areas(str(cod_ab_zip(tmp_path, layers)), cod_ab_ukr=True, verbosity=0)

    assert not AdminArea.objects.exists()


def test_a_hromada_whose_raion_is_missing_imports_nothing_at_all(tmp_path):
    orphan = ({**COD_AB["ukr_admbnda_adm3_sspe_20240416"][0][0], "ADM2_PCODE": "UA9999"}, square(30.1, 50.4, 0.3))
    layers = {**COD_AB, "ukr_admbnda_adm3_sspe_20240416": [orphan]}

    with pytest.raises(CommandError, match="no admin area with code 'UA9999'"):
        import_areas(str(cod_ab_zip(tmp_path, layers)), cod_ab_ukr=True, verbosity=0)

    assert not AdminArea.objects.exists()


def test_without_a_preset_the_level_and_name_field_are_required(tmp_path):
    with pytest.raises(CommandError, match="Give --level and --name-uk-field"):
        import_areas(str(areas_file(tmp_path, [({"n": "Kyiv"}, square(29, 49, 3))])))


def test_re_assigning_incidents_costs_one_query_per_incident_not_two(case_a, django_assert_num_queries):
    from evidence.models import Incident
    from evidence.services.record import incidents_assign_admin_areas
    from tests.factories import make_area

    area = make_area("Київська", (29, 49, 32, 52))
    for lon in (30.1, 30.2, 30.3):
        make_incident(case_a, location=Point(lon, 50.5, srid=4326))
    assert set(Incident.objects.values_list("admin_area", flat=True)) == {area.pk}

    # One to list the incidents, then one per incident to find its area; none to load the area it had.
    with django_assert_num_queries(4):
        moved = incidents_assign_admin_areas(Incident.objects.all().only("pk", "location", "admin_area"))

    assert moved == 0


def release(date: str, name_en_suffix: str = "") -> dict:
    """COD_AB as released on ``date`` (YYYYMMDD), its English names marked with ``name_en_suffix``."""
    layers = {}
    for name, features in COD_AB.items():
        renamed = []
        for properties, geometry in features:
            english = {key: f"{value}{name_en_suffix}" for key, value in properties.items() if key.endswith("_EN")}
            renamed.append(({**properties, **english}, geometry))
        layers[name.replace("20240416", date)] = renamed
    return layers


def test_cod_ab_with_two_releases_in_one_folder_imports_the_newest(tmp_path):
    layers = {**release("20240416"), **release("20220301", " (2022)")}  # the older sorts first by name

    import_areas(str(cod_ab_shapefiles(tmp_path, layers)), cod_ab_ukr=True, verbosity=0)

    assert sorted(AdminArea.objects.values_list("name_en", flat=True)) == ["Buchanska", "Buchanskyi", "Kyivska"]


def test_cod_ab_with_two_layers_of_one_level_in_one_release_is_refused_naming_both(tmp_path):
    layers = {**COD_AB, "ukr_admbnda_adm2_sspe_20240416_copy": COD_AB["ukr_admbnda_adm2_sspe_20240416"]}

    with pytest.raises(CommandError, match="several adm2 layers of one release.*ukr_admbnda_adm2_sspe_20240416.*_copy"):
        import_areas(str(cod_ab_zip(tmp_path, layers)), cod_ab_ukr=True, verbosity=0)

    assert not AdminArea.objects.exists()


def test_cod_ab_whose_levels_come_from_different_releases_is_refused(tmp_path):
    newer = {name: features for name, features in release("20240416").items() if "adm3" not in name}
    older = {name: features for name, features in release("20220301").items() if "admbnda_adm3" in name}

    with pytest.raises(CommandError, match="different releases: adm1 20240416, adm2 20240416, adm3 20220301"):
        import_areas(str(cod_ab_shapefiles(tmp_path, {**newer, **older})), cod_ab_ukr=True, verbosity=0)

    assert not AdminArea.objects.exists()


def test_an_import_is_recorded_with_its_actor_and_refused_without_a_staff_actor(tmp_path, case_a, member_of):
    incident = make_incident(case_a, location=Point(30.5, 50.4, srid=4326))
    oblasts = areas_file(tmp_path, [({"n": "Київська", "c": "UA32"}, square(29, 49, 3))])
    lead = member_of(case_a, Role.LEAD, username="lead")

    for actor in ("lead", "nobody"):  # a lead is not staff; boundaries are every case's
        with pytest.raises(CommandError, match="boundaries are imported by staff"):
            call_command("import_admin_areas", str(oblasts), level="oblast", name_uk_field="n", actor=actor)
    assert not AdminArea.objects.exists() and lead.is_staff is False
    import_areas(str(oblasts), level="oblast", name_uk_field="n", code_field="c", verbosity=0)

    entry = AuditEntry.objects.get(action="admin_area.import")
    assert (entry.actor.username, entry.case, entry.target) == ("cartographer", None, "areas.geojson")
    assert entry.details == {"areas": {"oblast": 1}, "incidents_moved": 1}
    incident.refresh_from_db()
    assert incident.admin_area.name_uk == "Київська"
