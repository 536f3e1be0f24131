"""Geometry that made GEOS abort the process, sent to a real gunicorn: a crash would be a reset connection
and a worker killed by SIGABRT in the log, not a hung or killed test run."""

from collections.abc import Iterator

import pytest
import requests

from evidence.models import Incident, Role
from tests.config.servers import gunicorn
from tests.factories import CaseFactory, MembershipFactory, UserFactory
from tests.tokens import token_for
from tests.workers.worker import worker_environment


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[tuple[str, object]]:
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with django_db_blocker.unblock():
        environment = {**worker_environment(), "SLID_WEB_WORKERS": "1", "SLID_WEB_THREADS": "1"}
    with gunicorn(log, environment=environment) as url:
        yield url, log


@pytest.fixture
def investigator(transactional_db):
    case = CaseFactory(reference="UA-2022-BUCHA")
    user = UserFactory(username="investigator")
    MembershipFactory(case=case, user=user, role=Role.INVESTIGATOR)
    return {"case": case, "headers": {"Authorization": f"Token {token_for(user)}"}}


def feature(case_id: int, coordinates: list, kind: str = "Point") -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": kind, "coordinates": coordinates},
        "properties": {"case": case_id, "title": "Shelling", "occurred_from": "2022-03-01"},
    }


@pytest.mark.parametrize(
    ("coordinates", "kind", "reason"),
    [
        ([30.52, 50.45, 1e308], "Point", "Altitude 1e+308 is out of range (-12000 to 100000 metres)."),
        ([30.52, 50.45, -1e308], "Point", "Altitude -1e+308 is out of range (-12000 to 100000 metres)."),
        (
            [[30.5, 50.4, 1e308], [30.6, 50.5, 1e308]],
            "LineString",
            "Altitude 1e+308 is out of range (-12000 to 100000 metres).",
        ),
        ([int("1" * 401), 50.45], "Point", "Longitude (an integer of about 401 digits) is out of range (-180 to 180)."),
    ],
)
def test_an_extreme_coordinate_is_refused_and_the_worker_lives_on(server, investigator, coordinates, kind, reason):
    url, log = server
    case_id = investigator["case"].pk

    refused = requests.post(
        f"{url}/api/v1/incidents/",
        json=feature(case_id, coordinates, kind),
        headers=investigator["headers"],
        timeout=30,
    )
    accepted = requests.post(
        f"{url}/api/v1/incidents/", json=feature(case_id, [30.52, 50.45]), headers=investigator["headers"], timeout=30
    )

    assert refused.status_code == 400, refused.text
    assert refused.json() == {"location": [reason]}
    assert accepted.status_code == 201, accepted.text
    assert Incident.objects.count() == 1
    text = log.read_text(errors="replace")
    assert "stack smashing" not in text and "SIGABRT" not in text and "was sent" not in text
