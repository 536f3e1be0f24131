"""The analysis chart a chamber asks for: for every charged crime and mode of liability, every element, the
assessments that go to it, and the elements no verified assessment proves (the gaps).

Charged crimes are the crimes of the case's incidents (for a suspect, of the incidents with allegations against
them); modes of liability come from the allegations' roles (ROLE_MODES). A mode's element is proven by assessments
of the person, or of the unit the allegation names, or of the person's unit (what shows the forces' conduct or
their command and control).

Every exculpatory assessment in the chart's scope is listed (``exculpatory_assessments``, ``exculpatory``) whatever
mode, crime or subject it goes to: one under a mode no allegation charges, or of a crime since taken off its
incident, is shown as "not charged" rather than dropped (Rome Statute art. 67(2))."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q

from evidence import elements
from evidence.crimes import crimes
from evidence.models import (
    Allegation,
    AllegationRole,
    Assessment,
    Bearing,
    Case,
    Incident,
    Person,
    ReviewState,
)

# The mode of liability each allegation role is charged as (evidence.elements' codes). "present" and "unit in
# control" are facts the chart's modes rest on, not modes themselves.
ROLE_MODES: dict[str, str] = {
    AllegationRole.DIRECT_PERPETRATOR: "25(3)(a)-direct",
    AllegationRole.ORDERED: "25(3)(b)-ordering",
    AllegationRole.AIDED_ABETTED: "25(3)(c)",
    AllegationRole.COMMANDER: "28(a)",
}


def _seconds(value: Decimal) -> str:
    whole = int(value)
    rest = value - whole
    text = f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return text + (f".{str(rest)[2:].rstrip('0')}" if rest else "")


def pinpoint(assessment: Assessment) -> str:
    """Where in the item: "p. 3", "00:01:05–00:01:20", "region x=10 y=20 w=300 h=200" (pixels), or ""."""
    parts = []
    if assessment.page is not None:
        parts.append(f"p. {assessment.page}")
    start, end = assessment.time_start_s, assessment.time_end_s
    if start is not None or end is not None:
        parts.append("–".join(_seconds(value) for value in (start, end) if value is not None))
    if assessment.region_x is not None:
        a = assessment
        parts.append(f"region x={a.region_x} y={a.region_y} w={a.region_w} h={a.region_h}")
    return "; ".join(parts)


def _shown(assessment: Assessment) -> dict:
    return {
        "id": assessment.pk,
        "evidence": assessment.evidence_id,
        "ern": assessment.evidence.ern,
        "pinpoint": pinpoint(assessment),
        "incident": assessment.incident_id,
        "person": assessment.person_id,
        "unit": assessment.unit_id,
        "relevance": assessment.relevance,
        "probative_value": assessment.probative_value,
        "directness": assessment.directness,
        "bearing": assessment.bearing,
        "exculpatory": assessment.bearing == Bearing.EXCULPATORY,
        "review_state": assessment.review_state,
        "verified": assessment.review_state == ReviewState.VERIFIED,
    }


def _element_row(scope: str, code: str, element, assessments: list[Assessment]) -> dict:
    # Exculpatory first, so that none is overlooked; then the verified ones, strongest first.
    strength = {"high": 0, "medium": 1, "low": 2}
    ordered = sorted(
        assessments,
        key=lambda a: (a.bearing != Bearing.EXCULPATORY, a.review_state != ReviewState.VERIFIED,
                       strength.get(a.probative_value, 3), a.pk),
    )  # fmt: skip
    proven = any(a.review_state == ReviewState.VERIFIED and a.bearing == Bearing.INCULPATORY for a in assessments)
    return {
        "key": elements.element_key(scope, code, element.number),
        "number": element.number,
        "kind": element.kind,
        "summary": element.summary,
        "citation": element.citation,
        "gap": not proven,
        "assessments": [_shown(a) for a in ordered],
    }


def _visible(assessments):
    """Every assessment but those rejected; an exculpatory one is shown whatever became of it."""
    return assessments.filter(~Q(review_state=ReviewState.REJECTED) | Q(bearing=Bearing.EXCULPATORY))


def analysis_chart(
    *, case: Case, suspect: Person | None = None, crime: str | None = None, incident: Incident | None = None
) -> dict:
    """The chart of ``case``: for ``suspect`` (their incidents and modes), one ``crime``, one ``incident``, or all.

    An element is a gap when no verified inculpatory assessment goes to it (an exculpatory one proves nothing
    against the suspect, however verified)."""
    incidents = Incident.objects.filter(case=case)
    allegations = Allegation.objects.filter(case=case).select_related("person", "unit", "person__unit")
    if suspect is not None:
        allegations = allegations.filter(person=suspect)
        incidents = incidents.filter(pk__in=allegations.values("incident"))
    if incident is not None:
        incidents = incidents.filter(pk=incident.pk)
        allegations = allegations.filter(incident=incident)
    scope_allegations = list(allegations.values_list("person_id", "person__unit_id", "unit_id"))
    incidents = list(incidents.only("pk", "crimes").order_by("pk"))
    incident_ids = [i.pk for i in incidents]
    allegations = [a for a in allegations.filter(incident__in=incident_ids).order_by("pk") if a.role in ROLE_MODES]
    charged: dict[str, list[int]] = defaultdict(list)
    for i in incidents:
        for code in i.crimes:
            if crime is None or code == crime:
                charged[code].append(i.pk)

    shown = _visible(Assessment.objects.filter(case=case)).select_related("evidence").order_by("pk")
    crime_assessments: dict[tuple[str, str], list[Assessment]] = defaultdict(list)
    for a in shown.filter(incident__in=incident_ids, crime__in=list(charged)):
        crime_assessments[(a.crime, a.element)].append(a)

    crime_rows = []
    for code in sorted(charged):
        rows = [
            _element_row("crime", code, element, crime_assessments[(code, elements.element_key("crime", code, n))])
            for element in elements.crime_elements(code)
            for n in [element.number]
        ]
        known = crimes().get(code)
        crime_rows.append(
            {"code": code, "title": known.title if known else code, "incidents": charged[code], "elements": rows}
        )

    # One mode row per person or unit and mode, however many incidents allege it.
    subjects: dict[tuple, dict] = {}
    for allegation in allegations:
        code = ROLE_MODES[allegation.role]
        key = (code, allegation.person_id, allegation.unit_id)
        entry = subjects.setdefault(key, {"allegation": allegation, "incidents": []})
        entry["incidents"].append(allegation.incident_id)
    mode_codes = sorted({key[0] for key in subjects})
    mode_assessments: dict[str, list[Assessment]] = defaultdict(list)
    for a in shown.filter(mode__in=mode_codes):
        mode_assessments[a.element].append(a)
    mode_rows = []
    for (code, person_id, unit_id), entry in sorted(subjects.items(), key=lambda kv: (kv[0][0], str(kv[0][1:]))):
        mode = elements.modes().get(code)
        allegation = entry["allegation"]
        units = {unit_id, allegation.person.unit_id if allegation.person else None} - {None}

        def concerns(a: Assessment, person_id=person_id, units=units) -> bool:
            return (person_id is not None and a.person_id == person_id) or a.unit_id in units

        rows = [
            _element_row("mode", code, element, [a for a in mode_assessments[key] if concerns(a)])
            for element in elements.mode_elements(code)
            for key in [elements.element_key("mode", code, element.number)]
        ]
        mode_rows.append({
            "code": code,
            "title": mode.title if mode else code,
            "article": mode.article if mode else "",
            "person": {"id": person_id, "full_name": allegation.person.full_name} if person_id else None,
            "unit": {"id": unit_id, "name": allegation.unit.name} if unit_id else None,
            "incidents": sorted(set(entry["incidents"])),
            "elements": rows,
        })  # fmt: skip

    gaps = [
        {"section": "crime", "code": row["code"], "key": element["key"], "summary": element["summary"]}
        for row in crime_rows
        for element in row["elements"]
        if element["gap"]
    ] + [
        {"section": "mode", "code": row["code"], "key": element["key"], "summary": element["summary"],
         "person": row["person"], "unit": row["unit"]}
        for row in mode_rows
        for element in row["elements"]
        if element["gap"]
    ]  # fmt: skip
    in_rows = {
        a["id"] for section in (crime_rows, mode_rows) for row in section for e in row["elements"]
        for a in e["assessments"] if a["exculpatory"]
    }  # fmt: skip
    exculpatory = _exculpatory_in_scope(
        case=case, crime=crime, incident_ids=incident_ids if (suspect or incident) else None,
        subjects=scope_allegations if (suspect or incident) else None, suspect=suspect,
    )  # fmt: skip
    return {
        "case": {"id": case.pk, "reference": case.reference},
        "suspect": {"id": suspect.pk, "full_name": suspect.full_name} if suspect else None,
        "crime": crime,
        "incident": incident.pk if incident else None,
        "crimes": crime_rows,
        "modes": mode_rows,
        "gaps": gaps,
        "exculpatory_assessments": [a.pk for a in exculpatory],
        "exculpatory": [_exculpatory_shown(a, charged=a.pk in in_rows) for a in exculpatory],
    }


def _exculpatory_in_scope(
    *,
    case: Case,
    crime: str | None,
    incident_ids: list[int] | None,
    subjects: list[tuple] | None,
    suspect: Person | None,
) -> list[Assessment]:
    """The exculpatory assessments of the chart's scope, by what each goes to itself (never by the modes charged):
    of the crime asked for, in the incidents in scope; of the persons and units alleged there (and their units)."""
    goes_to_crime = Q(mode="") & (Q(crime=crime) if crime else Q())
    goes_to_mode = ~Q(mode="")
    if incident_ids is not None:
        goes_to_crime &= Q(incident__in=incident_ids)
    if subjects is not None:
        persons = {person for person, _unit, _alleged_unit in subjects} - {None}
        units = {unit for _person, unit, _x in subjects} | {unit for _p, _u, unit in subjects}
        if suspect is not None:
            persons.add(suspect.pk)
            units.add(suspect.unit_id)
        goes_to_mode &= Q(person__in=persons) | Q(unit__in=units - {None})
    return list(
        Assessment.objects.filter(case=case, bearing=Bearing.EXCULPATORY)
        .filter(goes_to_crime | goes_to_mode)
        .select_related("evidence", "person", "unit")
        .order_by("pk")
    )


def _exculpatory_shown(assessment: Assessment, *, charged: bool) -> dict:
    section, code, number = elements.parse_element_key(assessment.element)
    found = elements.crime_elements(code) if section == "crime" else elements.mode_elements(code)
    element = next(e for e in found if e.number == number)
    title = (
        (crimes().get(code).title if crimes().get(code) else code)
        if section == "crime"
        else elements.modes()[code].title
    )
    return {
        **_shown(assessment),
        "section": section,
        "code": code,
        "title": title,
        "element": assessment.element,
        "summary": element.summary,
        "citation": element.citation,
        "kind": element.kind,
        "subject": assessment.person.full_name
        if assessment.person
        else (assessment.unit.name if assessment.unit else ""),
        # False: the mode or crime is not charged (no allegation in that role, the crime not or no longer of the
        # incident), so it is in no row of "crimes" or "modes" — only here.
        "charged": charged,
    }


CHART_COLUMNS = [
    "Section", "Code", "Charged as", "Person or unit", "Element", "Element kind", "Element", "Citation",
    "Proven by verified evidence", "EXCULPATORY", "ERN", "Pinpoint", "Incident", "Relevance", "Probative value",
    "Direct or circumstantial", "Inculpatory or exculpatory", "Review state", "Assessment",
]  # fmt: skip


def analysis_chart_rows(chart: dict) -> list[list[str]]:
    """The chart as a table, header first: one row per assessment of each element, and one per element with none.
    A gap says so in "Proven by verified evidence"; an exculpatory assessment is marked in its own column."""
    rows = [list(CHART_COLUMNS)]
    rows[0][6] = "What must be proven"
    sections = [("crime", row, "") for row in chart["crimes"]] + [
        ("mode", row, (row["person"] or {}).get("full_name") or (row["unit"] or {}).get("name", ""))
        for row in chart["modes"]
    ]
    for section, row, subject in sections:
        for element in row["elements"]:
            head = [
                section, row["code"], row["title"], subject, element["key"], element["kind"], element["summary"],
                element["citation"], "GAP: no verified evidence" if element["gap"] else "yes",
            ]  # fmt: skip
            if not element["assessments"]:
                rows.append([*head, "", "", "", "", "", "", "", "", "", ""])
            for a in element["assessments"]:
                rows.append([
                    *head, "EXCULPATORY" if a["exculpatory"] else "", a["ern"], a["pinpoint"],
                    str(a["incident"] or ""), a["relevance"], a["probative_value"], a["directness"], a["bearing"],
                    a["review_state"], str(a["id"]),
                ])  # fmt: skip
    for a in chart.get("exculpatory", []):
        if a["charged"]:
            continue  # already in its element's rows above
        rows.append([
            f"{a['section']} (not charged)", a["code"], a["title"], a["subject"], a["element"], a["kind"], a["summary"],
            a["citation"], "not charged", "EXCULPATORY", a["ern"], a["pinpoint"], str(a["incident"] or ""),
            a["relevance"], a["probative_value"], a["directness"], a["bearing"], a["review_state"], str(a["id"]),
        ])  # fmt: skip
    return rows
