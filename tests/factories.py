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
    """An incident created the way the API creates one (through the service). A status of "verified" or
    "rejected" is a reviewer's verdict: the incident is submitted and a legal member of the case gives it."""
    from datetime import UTC, datetime

    from django.contrib.gis.geos import Point

    from evidence.services.record import incident_create

    defaults = {
        "title": "Shelling of a residential block",
        "occurred_from": datetime(2022, 3, 5, tzinfo=UTC),
        "location": Point(30.52, 50.45, srid=4326),
    }
    verdict = fields.pop("status", None)
    if verdict in ("verified", "rejected"):
        fields["status"] = "under_review"
    elif verdict is not None:
        fields["status"] = verdict
    incident = incident_create(actor=actor, case=case, **{**defaults, **fields})
    if verdict in ("verified", "rejected"):
        give_verdict(incident, verdict)
    return incident


def give_verdict(obj, verdict: str = "verified"):
    """``obj`` (under review) verified or rejected by a legal member of its case made for the purpose."""
    from evidence.services.reviews import review_reject, review_verify

    reviewer = MembershipFactory(case=obj.case, role=Role.LEGAL).user
    if verdict == "verified":
        return review_verify(actor=reviewer, obj=obj)
    return review_reject(actor=reviewer, obj=obj, reason="Not borne out.")


def make_area(name: str, bbox: tuple[float, float, float, float], *, level="oblast", parent=None):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geo.models import AdminArea

    polygon = Polygon.from_bbox(bbox)
    return AdminArea.objects.create(
        name_uk=name, name_en=name, level=level, parent=parent, boundary=MultiPolygon(polygon, srid=4326)
    )
