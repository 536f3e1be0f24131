import json

import pytest
from django.core.management import CommandError, call_command

from evidence.models import Incident, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def importer(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


def test_a_csv_with_lon_lat_and_wkt_columns_is_imported(tmp_path, case_a, importer):
    csv_file = tmp_path / "incidents.csv"
    csv_file.write_text(
        "title,occurred_from,occurred_to,lon,lat,wkt,crimes,killed\n"
        "Shelling,2022-03-01,2022-03-02,30.5,50.4,,8(2)(b)(i);8(2)(b)(ii),3\n"
        'Convoy,2022-03-05,,,,"LINESTRING(30.1 50.5, 30.6 50.9)",,\n'
    )

    call_command("import_incidents", str(csv_file), case=case_a.reference, actor=importer.username, verbosity=0)

    shelling, convoy = Incident.objects.order_by("title").reverse()
    assert (shelling.title, shelling.crimes, shelling.killed) == ("Shelling", ["8(2)(b)(i)", "8(2)(b)(ii)"], 3)
    assert convoy.location.geom_type == "LineString"
    assert convoy.case == case_a


def test_a_geojson_feature_collection_is_imported(tmp_path, case_a, importer):
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[37.24, 49.17], [37.25, 49.17], [37.25, 49.18], [37.24, 49.17]]],
                },
                "properties": {"title": "Burial site", "occurred_from": "2022-09-15", "date_precision": "exact"},
            }
        ],
    }
    path = tmp_path / "incidents.geojson"
    path.write_text(json.dumps(document))

    call_command("import_incidents", str(path), case=case_a.reference, actor=importer.username, verbosity=0)

    assert Incident.objects.get().location.geom_type == "Polygon"


def test_bad_rows_are_each_reported_by_number_and_nothing_is_written(tmp_path, case_a, importer):
    csv_file = tmp_path / "incidents.csv"
    csv_file.write_text(
        "title,occurred_from,occurred_to,lon,lat,crimes\n"
        "Good,2022-03-01,,30.5,50.4,\n"
        "Bad longitude,2022-03-01,,190,50.4,\n"
        "Bad dates,2022-03-10,2022-03-01,30.5,50.4,\n"
        "Bad crime,2022-03-01,,30.5,50.4,8(9)\n"
        ",2022-03-01,,30.5,50.4,\n"
    )

    with pytest.raises(CommandError) as error:
        call_command("import_incidents", str(csv_file), case=case_a.reference, actor=importer.username, verbosity=0)

    message = str(error.value)
    assert "4 bad rows; nothing was imported" in message
    assert "row 3: location: Longitude 190.0 is out of range" in message
    assert "row 4: occurred_to: the end is before the start" in message
    assert "row 5: crimes: unknown crime code '8(9)'" in message
    assert "row 6: title: This field cannot be blank." in message
    assert not Incident.objects.exists()


def test_an_unknown_column_or_case_stops_the_import(tmp_path, case_a, importer):
    csv_file = tmp_path / "incidents.csv"
    csv_file.write_text("title,when,lon,lat\nX,2022-03-01,30,50\n")

    with pytest.raises(CommandError, match="Unknown column 'when'"):
        call_command("import_incidents", str(csv_file), case=case_a.reference, actor=importer.username, verbosity=0)
    with pytest.raises(CommandError, match="No case 'UA-NOPE'"):
        call_command("import_incidents", str(csv_file), case="UA-NOPE", actor=importer.username, verbosity=0)
