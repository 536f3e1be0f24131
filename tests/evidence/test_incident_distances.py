"""An item's distances to its incidents (incident_distances_m, and far_from_incidents in the API) follow the
incidents: when an incident's location is corrected, every item linked to it that says where it was
captured is measured again, in the same transaction."""

import pytest
from django.contrib.gis.geos import Point

from evidence.models import EvidenceItem, Role
from evidence.services.record import incident_update
from tests.factories import make_incident
from tests.media import photo_bytes, with_gps
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db

BUCHA = {"type": "Point", "coordinates": [30.2208, 50.5445]}


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


@pytest.fixture
def yard_photo(tmp_path) -> bytes:
    return with_gps(photo_bytes(seed=21), tmp_path, lon=30.2208, lat=50.5445)  # taken in Bucha


def test_correcting_swapped_coordinates_clears_the_far_flag_of_its_evidence(
    case_a, investigator, client_for, yard_photo
):
    swapped = make_incident(case_a, location=Point(50.5445, 30.2208, srid=4326))  # latitude first: Iran
    item = archived_item(case_a, investigator, yard_photo, name="yard.jpg", incidents=[swapped])
    client = client_for(investigator)
    assert client.get(f"/api/v1/evidence/{item.pk}/").json()["far_from_incidents"] == [swapped.pk]

    patched = client.patch(f"/api/v1/incidents/{swapped.pk}/", {"location": BUCHA}, format="json")

    assert patched.status_code == 200, patched.content
    body = client.get(f"/api/v1/evidence/{item.pk}/").json()
    assert body["far_from_incidents"] == []
    assert body["incident_distances_m"] == {str(swapped.pk): 0.0}


def test_moving_one_incident_measures_only_the_distance_to_it_again(case_a, investigator, yard_photo):
    near = make_incident(case_a, location=Point(30.2210, 50.5446, srid=4326))
    moved = make_incident(case_a, location=Point(30.2208, 50.5445, srid=4326))
    item = archived_item(case_a, investigator, yard_photo, name="yard.jpg", incidents=[near, moved])
    near_before = item.incident_distances_m[str(near.pk)]

    incident_update(actor=investigator, incident=moved, location=Point(30.5234, 50.4501, srid=4326))  # Kyiv

    distances = EvidenceItem.objects.get(pk=item.pk).incident_distances_m
    assert distances[str(near.pk)] == near_before
    assert 22_000 < distances[str(moved.pk)] < 24_000  # Bucha to Kyiv's centre, some 23 km


def test_an_item_that_does_not_say_where_it_was_captured_keeps_no_distances(case_a, investigator):
    incident = make_incident(case_a, location=Point(30.2208, 50.5445, srid=4326))
    item = archived_item(case_a, investigator, photo_bytes(seed=22), name="no-gps.jpg", incidents=[incident])

    incident_update(actor=investigator, incident=incident, location=Point(30.5234, 50.4501, srid=4326))

    assert EvidenceItem.objects.get(pk=item.pk).incident_distances_m == {}


def test_a_change_that_does_not_move_the_incident_leaves_the_distances_alone(case_a, investigator, yard_photo):
    incident = make_incident(case_a, location=Point(30.2208, 50.5445, srid=4326))
    item = archived_item(case_a, investigator, yard_photo, name="yard.jpg", incidents=[incident])
    EvidenceItem.objects.filter(pk=item.pk).update(incident_distances_m={str(incident.pk): 1.5})

    incident_update(actor=investigator, incident=incident, title="Another title")

    assert EvidenceItem.objects.get(pk=item.pk).incident_distances_m == {str(incident.pk): 1.5}
