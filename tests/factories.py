import factory
from django.contrib.auth import get_user_model

from evidence.models import Case, CaseMembership, Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    reference = factory.Sequence(lambda n: f"UA-2022-CASE{n}")
    title = factory.Sequence(lambda n: f"Case {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseMembership

    case = factory.SubFactory(CaseFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.INVESTIGATOR


def make_incident(case, *, actor=None, **fields):
    """An incident created the way the API creates one (through the service)."""
    from datetime import UTC, datetime

    from django.contrib.gis.geos import Point

    from evidence.services.record import incident_create

    defaults = {
        "title": "Shelling of a residential block",
        "occurred_from": datetime(2022, 3, 5, tzinfo=UTC),
        "location": Point(30.52, 50.45, srid=4326),
    }
    return incident_create(actor=actor, case=case, **{**defaults, **fields})


def make_area(name: str, bbox: tuple[float, float, float, float], *, level="oblast", parent=None):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geo.models import AdminArea

    polygon = Polygon.from_bbox(bbox)
    return AdminArea.objects.create(
        name_uk=name, name_en=name, level=level, parent=parent, boundary=MultiPolygon(polygon, srid=4326)
    )
