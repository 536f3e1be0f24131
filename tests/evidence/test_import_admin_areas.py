import json
import shutil
import subprocess

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command

from geo.models import AdminArea
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


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
    call_command(
        "import_admin_areas",
        str(oblasts),
        level="oblast",
        name_uk_field="NAME_UK",
        name_en_field="NAME_EN",
        code_field="CODE",
        verbosity=0,
    )
    raions = areas_file(tmp_path, [({"NAME_UK": "Бучанський", "CODE": "UA3210", "PARENT": "UA32"}, square(30, 50, 1))])

    call_command(
        "import_admin_areas",
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

    call_command("import_admin_areas", str(package), level="oblast", name_uk_field="name", verbosity=0)

    assert AdminArea.objects.get().name_uk == "Харківська"


def test_existing_incidents_are_assigned_to_imported_areas(tmp_path, case_a):
    incident = make_incident(case_a, location=Point(30.5, 50.5, srid=4326))
    assert incident.admin_area is None

    call_command(
        "import_admin_areas",
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
        call_command("import_admin_areas", str(path), level="oblast", name_uk_field="n", verbosity=0)

    assert not AdminArea.objects.exists()


def test_a_missing_field_names_the_fields_there_are(tmp_path):
    path = areas_file(tmp_path, [({"n": "Kyiv"}, square(29, 49, 3))])

    with pytest.raises(CommandError, match="No field 'NAME' in the layer; it has: n"):
        call_command("import_admin_areas", str(path), level="oblast", name_uk_field="NAME", verbosity=0)
