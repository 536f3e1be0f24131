"""Reads. Every queryset that reaches a user passes through ``restrict_to_user_cases``."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import F, OuterRef, QuerySet, Subquery

from evidence.access import Action, Role, role_allows
from evidence.custody import first_broken_link
from evidence.models import (
    Allegation,
    AuditEntry,
    Case,
    CaseMembership,
    Confidentiality,
    CustodyEntry,
    EvidenceItem,
    Export,
    Incident,
    IncidentRevision,
    Person,
    ProtectedPerson,
    Unit,
)
from evidence.names import latin_form

UserModel = get_user_model()

User = AbstractBaseUser | AnonymousUser


def restrict_to_user_cases(queryset: QuerySet, *, user: User, case_field: str = "case") -> QuerySet:
    """The one need-to-know restriction: only objects of cases the user is a member of.

    ``case_field`` is the path from the queryset's model to its case ("" for cases themselves).

    Superusers see everything; staff see, like anyone else, only what they are members of.
    """
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    # The user's case ids as a literal list (a user belongs to a handful of cases): the planner can
    # then put them into the (case, location) and (case, period) index scans instead of joining.
    case_ids = list(CaseMembership.objects.filter(user=user).values_list("case_id", flat=True))
    return queryset.filter(**{f"{case_field}__in" if case_field else "pk__in": case_ids})


def case_list(*, user: User) -> QuerySet[Case]:
    """The user's cases, each annotated with ``my_role`` (None for a superuser who is not a member)."""
    role = CaseMembership.objects.filter(case=OuterRef("pk"), user=user.pk).values("role")[:1]
    cases = Case.objects.select_related("created_by").annotate(my_role=Subquery(role))
    return restrict_to_user_cases(cases, user=user, case_field="")


def case_role(*, user: User, case: Case) -> str | None:
    if not user.is_authenticated:
        return None
    return CaseMembership.objects.filter(case=case, user=user).values_list("role", flat=True).first()


def user_may(*, user: User, case: Case, action: Action) -> bool:
    if user.is_authenticated and user.is_superuser:
        return True
    return role_allows(case_role(user=user, case=case), action)


def case_member_list(*, case: Case) -> QuerySet[CaseMembership]:
    return case.memberships.select_related("user", "added_by").order_by("user__username")


def audit_entry_list(*, case: Case) -> QuerySet[AuditEntry]:
    return case.audit_entries.select_related("actor", "case")


def audit_entry_list_all() -> QuerySet[AuditEntry]:
    """Every entry; only for staff (api.access)."""
    return AuditEntry.objects.select_related("actor", "case")


# --- Incidents, suspects and allegations -----------------------------------------------------


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
    revisions = (
        IncidentRevision.objects.filter(pgh_obj=incident).select_related("pgh_context").order_by("pgh_created_at", "pk")
    )
    users = {}
    result, previous = [], {}
    skip = {"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "pgh_context_id", "updated_at", "updated_by_id"}
    for number, revision in enumerate(revisions, start=1):
        snapshot = {
            field.attname: getattr(revision, field.attname)
            for field in revision._meta.concrete_fields
            if field.attname not in skip
        }
        context = revision.pgh_context.metadata if revision.pgh_context else {}
        user_id = context.get("user")
        if user_id is not None and user_id not in users:
            users[user_id] = UserModel.objects.filter(pk=user_id).values_list("username", flat=True).first()
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


def allegation_list(*, user: User) -> QuerySet[Allegation]:
    allegations = Allegation.objects.select_related("incident", "person", "unit", "created_by")
    return restrict_to_user_cases(allegations, user=user)


# --- Evidence -------------------------------------------------------------------------------------


def evidence_list(*, user: User) -> QuerySet[EvidenceItem]:
    items = EvidenceItem.objects.select_related("case", "duplicate_of", "received_by").prefetch_related(
        "incident_links", "protected_persons"
    )
    return restrict_to_user_cases(items, user=user)


def evidence_near_duplicates(*, item: EvidenceItem) -> list[dict]:
    """Images in the same case whose perceptual hash is within a few bits of this one's."""
    if not item.perceptual_hash:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id, ern, bit_count(('x' || perceptual_hash)::bit(64) # ('x' || %s)::bit(64)) AS distance
            FROM evidence_evidenceitem
            WHERE case_id = %s AND id <> %s AND perceptual_hash <> ''
              AND bit_count(('x' || perceptual_hash)::bit(64) # ('x' || %s)::bit(64)) <= %s
            ORDER BY distance, id
            """,
            [
                item.perceptual_hash,
                item.case_id,
                item.pk,
                item.perceptual_hash,
                settings.SLID_NEAR_DUPLICATE_MAX_DISTANCE,
            ],
        )
        return [{"id": pk, "ern": ern, "distance_bits": distance} for pk, ern, distance in cursor.fetchall()]


def custody_entry_list(*, item: EvidenceItem) -> QuerySet[CustodyEntry]:
    return item.custody.order_by("sequence")


def custody_first_broken_link(*, item: EvidenceItem) -> tuple[int, str] | None:
    return first_broken_link(list(custody_entry_list(item=item)), str(item.public_id))


def evidence_fixity_batch_size() -> int:
    """How many archived items one fixity run checks, so that each is checked every SLID_FIXITY_DAYS."""
    archived = EvidenceItem.objects.exclude(archive_key="").count()
    runs_per_period = max(1, settings.SLID_FIXITY_DAYS * 24 * 60 // settings.SLID_FIXITY_RUN_MINUTES)
    return -(-archived // runs_per_period)  # rounded up


def evidence_fixity_due(*, limit: int) -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.exclude(archive_key="").order_by(F("last_verified_at").asc(nulls_first=True), "pk")[
        :limit
    ]


def evidence_fixity_failures() -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.filter(fixity_failed_at__isnull=False)


# Roles that may read but not download evidence of these kinds (the security issue will refine this).
RESTRICTED_DOWNLOADS = {Confidentiality.CONFIDENTIAL, Confidentiality.IDENTIFIES_WITNESS}


def user_may_download(*, user: User, item: EvidenceItem) -> bool:
    if user.is_superuser:
        return True
    role = case_role(user=user, case=item.case)
    if not role_allows(role, Action.DOWNLOAD):
        return False
    return not (item.confidentiality in RESTRICTED_DOWNLOADS and role == Role.ANALYST)


def export_list(*, user: User) -> QuerySet[Export]:
    return restrict_to_user_cases(Export.objects.select_related("requested_by"), user=user)


def user_may_anywhere(*, user: User, action: Action) -> bool:
    """Whether some case gives the user a role that allows ``action``."""
    if user.is_authenticated and user.is_superuser:
        return True
    roles = CaseMembership.objects.filter(user=user.pk).values_list("role", flat=True).distinct()
    return any(role_allows(role, action) for role in roles)


def protected_person_visible(*, user: User) -> QuerySet[ProtectedPerson]:
    return restrict_to_user_cases(ProtectedPerson.objects.all(), user=user)


def protected_person_list(*, user: User, kind: str) -> QuerySet[ProtectedPerson]:
    people = ProtectedPerson.objects.filter(kind=kind).prefetch_related("readers")
    return restrict_to_user_cases(people, user=user)


def user_may_reveal(*, user: User, person: ProtectedPerson) -> bool:
    """A lead of the case, or a member the lead named for this person."""
    if user_may(user=user, case=person.case, action=Action.REVEAL_IDENTITY):
        return True
    return person.readers.filter(pk=user.pk).exists() and case_role(user=user, case=person.case) is not None
