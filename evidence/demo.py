"""Demo data for `make run`: one case with the Izium and Bucha incidents."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from evidence import services
from evidence.models import Case

DEMO_REFERENCE = "DEMO-UA-2022"


@transaction.atomic
def demo_load(*, lead: AbstractBaseUser) -> tuple[Case, bool]:
    existing = Case.objects.filter(reference=DEMO_REFERENCE).first()
    if existing is not None:
        return existing, False
    case = services.case_create(
        actor=lead,
        reference=DEMO_REFERENCE,
        title="Demo: Kyiv and Kharkiv oblasts, 2022",
        description="Demonstration data, not real evidence: the Bucha killings and the Izium burial site.",
    )
    return case, True
