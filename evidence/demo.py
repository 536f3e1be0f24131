"""Demo data for `make run`: one case with the Bucha and Izium incidents, a unit and a suspect.

The places and names are public knowledge; the records are demonstrations, not evidence."""

from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import Point, Polygon
from django.db import transaction

from evidence.models import AllegationRole, Case, DatePrecision
from evidence.services.cases import case_create
from evidence.services.record import allegation_create, incident_create, person_create, unit_create

DEMO_REFERENCE = "DEMO-UA-2022"


@transaction.atomic
def demo_load(*, lead: AbstractBaseUser) -> tuple[Case, bool]:
    existing = Case.objects.filter(reference=DEMO_REFERENCE).first()
    if existing is not None:
        return existing, False
    case = case_create(
        actor=lead,
        reference=DEMO_REFERENCE,
        title="Demo: Kyiv and Kharkiv oblasts, 2022",
        description="Demonstration data, not evidence: the killings in Bucha and the burial site at Izium.",
    )
    bucha = incident_create(
        actor=lead,
        case=case,
        title="Killings of civilians in Bucha",
        description="Demonstration record. Civilians killed during the occupation of Bucha.",
        occurred_from=datetime(2022, 2, 27, tzinfo=UTC),
        occurred_to=datetime(2022, 3, 31, 23, 59, 59, tzinfo=UTC),
        date_precision=DatePrecision.DAY,
        location=Point(30.2208, 50.5445, srid=4326),
        location_uncertainty_m=1500,
        place_name="Bucha, Kyiv oblast (Yablunska Street)",
        crimes=["8(2)(a)(i)", "8(2)(b)(i)", "7(1)(a)"],
    )
    incident_create(
        actor=lead,
        case=case,
        title="Mass burial site in the forest at Izium",
        description="Demonstration record. Graves exhumed after the liberation of Izium in September 2022.",
        occurred_from=datetime(2022, 4, 1, tzinfo=UTC),
        occurred_to=datetime(2022, 9, 10, 23, 59, 59, tzinfo=UTC),
        date_precision=DatePrecision.MONTH,
        location=Polygon(
            ((37.2440, 49.1735), (37.2490, 49.1735), (37.2490, 49.1765), (37.2440, 49.1765), (37.2440, 49.1735)),
            srid=4326,
        ),
        location_uncertainty_m=100,
        place_name="Izium, Kharkiv oblast (forest by the cemetery)",
        crimes=["8(2)(a)(i)", "8(2)(a)(ii)-1"],
    )
    brigade = unit_create(
        actor=lead, case=case, name="64th Separate Motor Rifle Brigade", designation="military unit 51460"
    )
    commander = person_create(
        actor=lead,
        case=case,
        full_name="Azatbek Omurbekov",
        other_names=["Азатбек Омурбеков", "Azatbek Asanbekovich Omurbekov"],
        rank="Lieutenant Colonel",
        position="Commander",
        unit=brigade,
    )
    allegation_create(
        actor=lead, case=case, incident=bucha, unit=brigade, role=AllegationRole.UNIT_IN_CONTROL, basis="Demo."
    )
    allegation_create(
        actor=lead, case=case, incident=bucha, person=commander, role=AllegationRole.COMMANDER, basis="Demo."
    )
    return case, True
