"""Reads of the record: incidents with their revisions, units, persons and allegations."""

from collections.abc import Iterable
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import QuerySet

from evidence.models import (
    Allegation,
    Incident,
    Person,
    PersonAssignment,
    Unit,
)
from evidence.names import latin_form
from evidence.selectors.access import User, restrict_to_user_cases

UserModel = get_user_model()


def incident_list(*, user: User) -> QuerySet[Incident]:
    """The user's incidents. The location comes as GeoJSON written by PostGIS (``location_geojson``),
    which is much cheaper than building it in Python; the derived search columns are left behind."""
    incidents = (
        Incident.objects.select_related("admin_area", "created_by", "updated_by")
        .prefetch_related("protected_persons")
        .defer("location", "search", "period", "footprint")
        .annotate(location_geojson=AsGeoJSON("location"))
    )
    return restrict_to_user_cases(incidents, user=user)


def incident_revision_list(*, incident: Incident) -> list[dict]:
    """Every revision of the incident, oldest first: when, by whom, and which fields changed."""
    return revision_list(incident.events.all(), skip={"updated_at", "updated_by_id"})


def revision_list(revisions: QuerySet, *, skip: Iterable[str] = ()) -> list[dict]:
    """The revisions (pghistory events) given, oldest first: when, by whom, which fields changed from what
    to what. A "snapshot" is the row as it stood when its revisions began to be kept (migration 0031)."""
    revisions = list(revisions.select_related("pgh_context").order_by("pgh_created_at", "pk"))
    user_ids = {revision.pgh_context.metadata.get("user") for revision in revisions if revision.pgh_context}
    user_ids.discard(None)
    users = dict(UserModel.objects.filter(pk__in=user_ids).values_list("pk", "username")) if user_ids else {}
    result, previous = [], {}
    skip = {"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "pgh_context_id", *skip}
    for number, revision in enumerate(revisions, start=1):
        snapshot = {
            field.attname: getattr(revision, field.attname)
            for field in revision._meta.concrete_fields
            if field.attname not in skip
        }
        context = revision.pgh_context.metadata if revision.pgh_context else {}
        user_id = context.get("user")
        result.append(
            {
                "revision": number,
                "at": revision.pgh_created_at,
                "user": users.get(user_id),
                "event": revision.pgh_label,
                "changes": {
                    name: {"from": _plain(previous.get(name)), "to": _plain(value)}
                    for name, value in snapshot.items()
                    if previous.get(name) != value
                },
            }
        )
        previous = snapshot
    return result


def _plain(value):
    return value.geojson if hasattr(value, "geojson") else value


def unit_list(*, user: User) -> QuerySet[Unit]:
    return restrict_to_user_cases(Unit.objects.select_related("parent"), user=user)


def unit_chain_up(*, unit: Unit) -> list[Unit]:
    """The unit's superiors, nearest first."""
    chain, seen, current = [], {unit.pk}, unit.parent
    while current is not None and current.pk not in seen:
        chain.append(current)
        seen.add(current.pk)
        current = current.parent
    return chain


def unit_subordinate_tree(*, unit: Unit) -> list[dict]:
    """The units under ``unit``, as nested {"id", "name", "designation", "subordinates"}."""
    children: dict[int | None, list[Unit]] = {}
    for each in Unit.objects.filter(case_id=unit.case_id).order_by("name"):
        children.setdefault(each.parent_id, []).append(each)

    def branch(parent_id: int) -> list[dict]:
        return [
            {"id": u.pk, "name": u.name, "designation": u.designation, "subordinates": branch(u.pk)}
            for u in children.get(parent_id, [])
        ]

    return branch(unit.pk)


def unit_ids_with_subordinates(*, unit: Unit) -> list[int]:
    def walk(tree: list[dict]) -> list[int]:
        return [node_id for node in tree for node_id in (node["id"], *walk(node["subordinates"]))]

    return [unit.pk, *walk(unit_subordinate_tree(unit=unit))]


def person_list(*, user: User) -> QuerySet[Person]:
    return restrict_to_user_cases(Person.objects.select_related("unit"), user=user)


def person_search(queryset: QuerySet[Person], *, text: str) -> QuerySet[Person]:
    """Names that match ``text`` in any script, allowing small spelling differences; best first."""
    latin = latin_form(text)
    if not latin:
        return queryset.none()
    return (
        queryset.annotate(name_match=TrigramWordSimilarity(latin, "search_names"))
        .filter(name_match__gte=PERSON_NAME_MATCH_THRESHOLD)
        .order_by("-name_match", "full_name")
    )


PERSON_NAME_MATCH_THRESHOLD = 0.5


def unit_search(queryset: QuerySet[Unit], *, text: str) -> QuerySet[Unit]:
    """Units whose name or designation matches ``text`` in any script ("64 otdelnaia" finds "64-я
    отдельная…", "v/ch 51460" finds "в/ч 51460"), allowing small spelling differences; best first."""
    latin = latin_form(text)
    if not latin:
        return queryset.none()
    return (
        queryset.annotate(name_match=TrigramWordSimilarity(latin, "search_names"))
        .filter(name_match__gte=PERSON_NAME_MATCH_THRESHOLD)
        .order_by("-name_match", "name")
    )


def allegation_list(*, user: User) -> QuerySet[Allegation]:
    allegations = Allegation.objects.select_related("incident", "person", "unit", "created_by")
    return restrict_to_user_cases(allegations, user=user)


def person_assignment_list(*, person: Person) -> QuerySet[PersonAssignment]:
    return person.assignments.select_related("unit").order_by("valid_from", "id")


def person_assignment_on(assignments: Iterable[PersonAssignment], day: date) -> PersonAssignment | None:
    """The assignment that held on ``day`` (both ends inclusive; no end: still holds); of several, the
    one that began last."""
    holding = [a for a in assignments if a.valid_from <= day and (a.valid_to is None or day <= a.valid_to)]
    return max(holding, key=lambda a: (a.valid_from, a.pk), default=None)
