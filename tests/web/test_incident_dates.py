"""An incident's beginning is shown no more precisely than it is known, on every page that lists incidents:
a month is a month, not a midnight in UTC turned into 03:00 in Kyiv (the case home's list and the incident's
page do the same, tests/web/test_case_home.py and tests/web/test_incidents.py)."""

from datetime import UTC, datetime

import pytest

from evidence.models import DatePrecision, Export, Role
from evidence.services.record import allegation_create, person_create
from evidence.services.witnesses import protected_person_create
from tests.factories import make_incident
from tests.web.helpers import main_of, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


@pytest.fixture
def pages(case_a, lead) -> dict[str, str]:
    """Pages that list an incident whose month is known (April 2022) and one whose day is (5 March 2022 in
    Kyiv, which is 4 March at 22:30 in UTC)."""
    witness = protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "—"})
    month = make_incident(
        case_a, actor=lead, title="Burial site", occurred_from=datetime(2022, 4, 1, tzinfo=UTC),
        date_precision=DatePrecision.MONTH, protected_persons=[witness],
    )  # fmt: skip
    day = make_incident(
        case_a, actor=lead, title="Shelling", occurred_from=datetime(2022, 3, 4, 22, 30, tzinfo=UTC),
        date_precision=DatePrecision.DAY, protected_persons=[witness],
    )  # fmt: skip
    suspect = person_create(actor=lead, case=case_a, full_name="Ivan Petrov")
    for incident in (month, day):
        allegation_create(actor=lead, case=case_a, incident=incident, person=suspect, role="commander")
    export = Export.objects.create(case=case_a, requested_by=lead, incident_ids=[month.pk, day.pk])
    reference = case_a.reference
    return {
        "package list": f"/cases/{reference}/packages/",
        "package": f"/cases/{reference}/packages/{export.public_id}/",
        "witness": f"/cases/{reference}/witnesses/{witness.pk}/",
        "suspect": f"/cases/{reference}/people/{suspect.pk}/",
    }


@pytest.mark.parametrize("page", ["package list", "package", "witness", "suspect"])
def test_an_incident_s_beginning_is_shown_as_precisely_as_it_is_known(lead, pages, page):
    response = signed_in(lead).get(pages[page])

    main = main_of(response.content.decode())
    assert response.status_code == 200
    assert "April 2022" in main and "5 March 2022" in main
    assert "03:00" not in main and "00:30" not in main and "EEST" not in main
