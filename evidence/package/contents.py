"""What goes into a submission package, read from the record: the evidence files (by archive key)
and the documents beside them. Packaging itself (the bag, the zip) is evidence.package.writer."""

import json
import secrets
import unicodedata
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db.models import Q

import config
from evidence.crimes import crimes
from evidence.custody import canonical_time, entry_fields
from evidence.custody_report import report_html
from evidence.models import (
    PREMIS_EVENT_TYPES,
    Allegation,
    Confidentiality,
    EvidenceItem,
    EvidenceStatus,
    Export,
    Incident,
    Person,
    ProtectedPerson,
    Unit,
)
from evidence.national_offences import national_offences
from evidence.package import chart, proofs, register
from evidence.selectors.analysis_chart import analysis_chart, analysis_chart_rows, pinpoint
from evidence.selectors.custody_report import LANGUAGES as REPORT_LANGUAGES
from evidence.selectors.custody_report import custody_report
from evidence.selectors.exculpatory import exculpatory_assessments_of_many
from evidence.selectors.packages import export_profile_of
from evidence.selectors.record import person_assignment_on
from evidence.selectors.relations import disclosures_of_many, related_of_many

PACKAGE_FILES = Path(__file__).parent  # VERIFY.txt, verify.py and the BagIt profile, shipped in every package
# What a Slid package is, as a BagIt profile (bagit-profiles spec): in every package as a tag file, and named
# by bag-info.txt, so a registry's BagIt tools can check a package against it.
EXCULPATORY_DOCUMENT = "exculpatory-assessments.csv"
BAGIT_PROFILE = (PACKAGE_FILES / "bagit-profile.json").read_bytes()
BAGIT_PROFILE_IDENTIFIER = json.loads(BAGIT_PROFILE)["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]
FORBIDDEN_CHARACTERS = set('<>:"/\\|?*')
MAX_NAME_LENGTH = 180
IDENTITIES_DOCUMENT = "identities.json"
# identities.json is padded to a multiple of this many bytes: its size, which the stored structure
# gives away (zip headers, Payload-Oxum), then says roughly how many people it names, not how long
# their names are.
IDENTITIES_PADDING_BYTES = 4096
# The states whose bytes the archive holds and which go into a package (corrupt ones only by name).
PACKAGED_STATES = (EvidenceStatus.ARCHIVED, EvidenceStatus.DUPLICATE)


@dataclass
class ExportFile:
    path: str
    archive_key: str
    size: int
    sha256: str
    ern: str


@dataclass
class ExportContents:
    bag_name: str
    # bag-info.txt's tags in order; a list is one line per value (the tag repeats).
    info: dict[str, str | list[str]]
    files: list[ExportFile] = field(default_factory=list)
    documents: dict[str, bytes] = field(default_factory=dict)
    items: list[EvidenceItem] = field(default_factory=list)
    # Documents whose bytes are never stored in plain text (the writer keeps them apart, the builder
    # seals them with the identity keys), and the witnesses and victims they name.
    sealed_documents: set[str] = field(default_factory=set)
    identities: list[ProtectedPerson] = field(default_factory=list)
    # When the package is built (UTC): bag-info's Bagging-Date and every zip member's date.
    built_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def safe_file_name(name: str) -> str:
    """A name that is safe on any file system and in any zip tool: the last path component only,
    Unicode in NFC, no control or reserved characters, no leading dots, a bounded length."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = "".join("_" if ch in FORBIDDEN_CHARACTERS or not ch.isprintable() else ch for ch in name)
    name = name.strip().lstrip(".").strip()
    if not name:
        name = "file"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, suffix = name.rpartition(".")
        suffix = suffix[:20] if dot else ""
        name = (stem if dot else name)[: MAX_NAME_LENGTH - len(suffix) - 1] + (f".{suffix}" if suffix else "")
    return name


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``… when taken (compared without regard to case)."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{stem}-{number}.{suffix}" if suffix else f"{stem}-{number}"
    taken.add(candidate.casefold())
    return candidate


def export_selection(export: Export) -> tuple[list[EvidenceItem], list[tuple[EvidenceItem, str]]]:
    """(items to package, [(item left out, why)]) of the export's selection, in ERN order.

    Archived items and duplicates (whose bytes the archive holds) go in. Left out, with the reason:
    items not archived (received, processing, failed), items that identify a witness unless a lead
    asked for identities, and items Slid found corrupt, unless chosen by name (the export's own
    ``evidence``): those go in marked, in the register's integrity column and in bag-info."""
    chosen = Q(pk__in=export.evidence_ids) | Q(incident_links__incident_id__in=export.incident_ids)
    selected = list(
        EvidenceItem.objects.filter(case=export.case)
        .filter(pk__in=EvidenceItem.objects.filter(chosen).values("pk"))
        .select_related("case", "duplicate_of")
        .prefetch_related("incidents")
        .order_by("ern")
    )
    by_name = set(export.evidence_ids)
    # A second upload of a witness's statement, marked as nothing in particular, is still the statement.
    identifying_bytes = set(
        EvidenceItem.objects.filter(case=export.case, confidentiality=Confidentiality.IDENTIFIES_WITNESS)
        .exclude(sha256=None)
        .values_list("sha256", flat=True)
    )
    included, left_out = [], []
    for item in selected:
        why = _left_out_because(
            item, export, chosen_by_name=item.pk in by_name, identifying=item.sha256 in identifying_bytes
        )
        if why:
            left_out.append((item, why))
        else:
            included.append(item)
    return included, left_out


def _left_out_because(item: EvidenceItem, export: Export, *, chosen_by_name: bool, identifying: bool) -> str | None:
    if item.status == EvidenceStatus.CORRUPT:
        why = integrity(item)
        if not chosen_by_name:
            return f"{why} (choose it by name to include it, marked)"
        if not item.archive_key:
            return f"{why} (the archive holds no copy of it)"
    elif item.status == EvidenceStatus.FAILED:
        return f"processing failed: {item.status_reason or 'no reason recorded'}"
    elif item.status not in PACKAGED_STATES:
        return f"not archived yet ({item.status})"
    elif not archive_key_of(item):
        return f"the archive holds no copy of it ({item.status})"
    if (identifying or item.confidentiality == Confidentiality.IDENTIFIES_WITNESS) and not export.include_identities:
        return "identifies a witness"
    return None


def archive_key_of(item: EvidenceItem) -> str:
    """Where the archive keeps the item's bytes. Duplicates recorded before they got a key of their
    own are read from their original's, which holds the same bytes (the SHA-256 is checked on the way)."""
    if item.archive_key:
        return item.archive_key
    if item.status == EvidenceStatus.DUPLICATE and item.duplicate_of is not None:
        return item.duplicate_of.archive_key
    return ""


def corrupt_reason(item: EvidenceItem) -> str:
    return item.status_reason or "marked corrupt by Slid"


def integrity(item: EvidenceItem) -> str:
    """The register's integrity column: "intact", or "corrupt: <why>" for an item Slid found corrupt."""
    return f"corrupt: {corrupt_reason(item)}" if item.status == EvidenceStatus.CORRUPT else "intact"


def export_contents(export: Export, *, heartbeat: Callable[[], None] = lambda: None) -> ExportContents:
    """Reads what goes into the package; ``heartbeat`` is called for each item (the builder keeps its
    claim alive with it)."""
    included, left_out = export_selection(export)
    contents = ExportContents(bag_name=f"slid-export-{export.public_id}", info={}, items=included)
    checkpoint = proofs.packaged_checkpoint()  # before the chains are read: each then holds its head in it
    packaged, taken_by_folder = [], {}
    related, disclosures = related_of_many(items=included), disclosures_of_many(items=included)
    exculpatory = exculpatory_assessments_of_many(items=included)
    for item in included:
        heartbeat()
        folder = f"evidence/{safe_file_name(item.ern)}"
        name = unique_name(safe_file_name(item.original_filename), taken_by_folder.setdefault(folder, set()))
        path = f"{folder}/{name}"
        contents.files.append(ExportFile(path, archive_key_of(item), item.size_bytes, item.sha256, item.ern))
        chain = list(item.custody.order_by("sequence"))
        contents.documents[f"custody/{safe_file_name(item.ern)}.jsonl"] = _custody_lines(item, chain)
        # The same chain in words for a judge, in each language (HTML: a PDF per item and language costs about
        # 0.2 s and 70 KB, the HTML 5 ms and 13 KB; GET …/custody/report/?format=pdf gives the PDF).
        for language in REPORT_LANGUAGES:
            report = custody_report(item=item, language=language, entries=chain)
            contents.documents[f"custody-reports/{safe_file_name(item.ern)}.{language}.html"] = report_html(
                report
            ).encode("utf-8")
        packaged.append(proofs.PackagedItem(item, safe_file_name(item.ern), f"data/{path}", chain))
    tokens = proofs.packaged_tokens(packaged)
    register_items = [
        (
            entry.item,
            {
                "package_path": entry.path,
                "custody_head_hash": entry.chain[-1].entry_hash,
                "integrity": integrity(entry.item),
                "timestamps": proofs.timestamps_cell(tokens.get(entry.item.pk, [])),
                "related": related[entry.item.pk],
                "disclosures": disclosures[entry.item.pk],
                "exculpatory_assessments": exculpatory[entry.item.pk],
                "time_zone": export.case.time_zone,
            },
        )
        for entry in packaged
    ]

    profile = export_profile_of(export)
    marked_corrupt = [item for item in included if item.status == EvidenceStatus.CORRUPT]
    if marked_corrupt:
        profile = register.with_integrity_column(profile)
    rows = register.register_rows(profile, register_items, time_zone=export.case.time_zone)
    contents.documents["register.csv"] = register.register_csv(rows)
    contents.documents["register.xlsx"] = register.register_xlsx(rows, created=contents.built_at)
    # In every package, chart or not: the defence must find each exculpatory assessment of what it receives.
    contents.documents[EXCULPATORY_DOCUMENT] = _exculpatory_csv([a for item in included for a in exculpatory[item.pk]])

    incidents = Incident.objects.filter(case=export.case).filter(
        pk__in={*export.incident_ids, *(i.pk for item in included for i in item.incidents.all())}
    )
    erns_by_incident: dict[int, list[str]] = {}
    for item in included:  # in ERN order
        for incident in item.incidents.all():
            erns_by_incident.setdefault(incident.pk, []).append(item.ern)
    contents.documents["incidents.geojson"] = _incidents_geojson(incidents, erns_by_incident)
    contents.documents["suspects.json"] = _suspects_json(incidents)
    if export.include_analysis_chart:
        contents.documents[chart.CHART_DOCUMENT] = _analysis_chart_csv(export, incidents)
    if export.include_identities:
        contents.identities = _protected_persons_of(export, included)
        contents.documents[IDENTITIES_DOCUMENT] = _identities_json(contents.identities)
        contents.sealed_documents.add(IDENTITIES_DOCUMENT)
    contents.documents.update(proofs.timestamp_documents(packaged, tokens, heartbeat=heartbeat))
    contents.documents[proofs.PROVENANCE_DOCUMENT] = proofs.provenance_document(packaged)
    contents.documents.update(proofs.checkpoint_documents(packaged, checkpoint, heartbeat=heartbeat))
    contents.documents["VERIFY.txt"] = (PACKAGE_FILES / "VERIFY.txt").read_bytes()
    contents.documents["verify.py"] = (PACKAGE_FILES / "verify.py").read_bytes()

    requested_by = requester(export)
    revision = f" (revision {profile.revision})" if profile.revision else ""
    contents.info = {
        "BagIt-Profile-Identifier": BAGIT_PROFILE_IDENTIFIER,
        "Source-Organization": settings.SLID_SOURCE_ORGANIZATION,
        **({"Contact-Name": settings.SLID_CONTACT_NAME} if settings.SLID_CONTACT_NAME else {}),
        **({"Contact-Email": settings.SLID_CONTACT_EMAIL} if settings.SLID_CONTACT_EMAIL else {}),
        "External-Identifier": str(export.public_id),
        "External-Description": (
            f"Case {export.case.reference}: {len(included)} evidence items, selected by incidents "
            f"{sorted(export.incident_ids) or 'none'} and evidence {sorted(export.evidence_ids) or 'none'}; "
            f"requested by {requested_by}; register profile {export.profile!r}{revision}, dates in "
            f"{export.case.time_zone}; witness identities "
            f"{'included at the request of a lead' if export.include_identities else 'withheld'}."
        ),
        "Slid-Requested-By": requested_by,
        "Bag-Software-Agent": f"Slid {config.__version__}",
        "Bag-Count": "1 of 1",
    }
    if marked_corrupt:
        contents.info["Slid-Marked-Corrupt"] = [f"{item.ern}: {corrupt_reason(item)}" for item in marked_corrupt]
    if left_out:
        # No package leaves out an item the record calls exculpatory without saying so (art. 67(2)).
        contents.info["Slid-Not-Included"] = [
            f"{item.ern}: {why}" + (" (exculpatory, art. 67(2))" if item.exculpatory else "") for item, why in left_out
        ]
    return contents


def _analysis_chart_csv(export: Export, incidents) -> bytes:
    """The chart of the package's incidents: one chart per incident, one after the other under one header, each
    with its crimes, the modes of liability alleged in it, the assessments (exculpatory ones flagged) and the
    gaps."""
    rows: list[list[str]] = []
    for incident in incidents.order_by("pk"):
        table = analysis_chart_rows(analysis_chart(case=export.case, incident=incident))
        rows.extend(table if not rows else table[1:])
    return chart.chart_csv(rows or analysis_chart_rows({"crimes": [], "modes": []}))


EXCULPATORY_COLUMNS = [
    "ERN", "Assessment", "Goes to", "Element", "Pinpoint", "Incident", "Crime", "Mode of liability", "Person",
    "Unit", "Relevance", "Probative value", "Direct or circumstantial", "Review state",
]  # fmt: skip


def _exculpatory_csv(assessments: list) -> bytes:
    """Every exculpatory assessment (Rome Statute art. 67(2)) of the package's items, in any review state, one a row
    under a header (the header alone when there is none)."""
    rows = [list(EXCULPATORY_COLUMNS)]
    for a in assessments:
        rows.append([
            a.evidence.ern, str(a.pk), "crime" if a.crime else "mode", a.element, pinpoint(a), str(a.incident_id or ""),
            a.crime, a.mode, a.person.full_name if a.person else "", a.unit.name if a.unit else "", a.relevance,
            a.probative_value, a.directness, a.review_state,
        ])  # fmt: skip
    return register.register_csv(rows)


def requester(export: Export) -> str:
    """Who asked for the package: "<full name> (<username>)", or the username alone."""
    user = export.requested_by
    full_name = " ".join(user.get_full_name().split())
    return f"{full_name} ({user.username})" if full_name else user.username


def _protected_persons_of(export: Export, included: list[EvidenceItem]) -> list[ProtectedPerson]:
    """The witnesses and victims linked to the evidence in the package or to the incidents chosen:
    no one else of the case."""
    linked = Q(evidence__in=[item.pk for item in included]) | Q(incidents__in=export.incident_ids)
    people = ProtectedPerson.objects.filter(case=export.case).filter(linked).distinct()
    return list(people.order_by("kind", "pseudonym"))


def _identities_json(people: list[ProtectedPerson]) -> bytes:
    """Their identities: only when a lead asked (audited). Sealed before it is stored anywhere.

    Its SHA-256, SHA-512 and CRC-32 stay in the package's structure, which the exports store keeps in
    plain text. A random nonce (32 bytes) makes them useless for checking a guess of who is named, and
    padding (spaces) to a multiple of IDENTITIES_PADDING_BYTES hides how long the names are."""
    from evidence.services.witnesses import protected_identity

    document = {
        "nonce": secrets.token_hex(32),
        "people": [{"pseudonym": p.pseudonym, "kind": p.kind, **protected_identity(p)} for p in people],
        "padding": "",
    }
    unpadded = len(json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))
    document["padding"] = " " * (-unpadded % IDENTITIES_PADDING_BYTES)  # each space is one more byte
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _custody_lines(item: EvidenceItem, chain: list) -> bytes:
    lines = []
    for entry in chain:
        fields = entry_fields(entry, item.public_id)
        record = {
            **fields,
            "version": entry.version,
            "entry_hash": entry.entry_hash,
            "premis_event_type": PREMIS_EVENT_TYPES[entry.event_type],
        }
        lines.append(json.dumps(record, sort_keys=True, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _incidents_geojson(incidents, erns_by_incident: dict[int, list[str]]) -> bytes:
    """The incidents as GeoJSON features. Each feature's id is the incident's public id, as the register's
    incidents column names it; "evidence" lists the ERNs of its items in this package, "protected_persons"
    its witnesses and victims by pseudonym (who they are is only ever in identities.json)."""
    vocabulary, national = crimes(), national_offences()
    features = []
    related = ("allegations__person", "allegations__unit", "protected_persons")
    for incident in incidents.select_related("admin_area").prefetch_related(*related):
        allegations = [
            {
                "person": allegation.person.full_name if allegation.person else None,
                "unit": allegation.unit.name if allegation.unit else None,
                "role": allegation.role,
                "basis": allegation.basis,
                "confidence": allegation.confidence,
                "status": allegation.status,
            }
            for allegation in incident.allegations.all()
        ]
        features.append(
            {
                "type": "Feature",
                "id": str(incident.public_id),
                "geometry": json.loads(incident.location.geojson),
                "properties": {
                    "title": incident.title,
                    "description": incident.description,
                    "occurred_from": canonical_time(incident.occurred_from),
                    "occurred_to": canonical_time(incident.occurred_to) if incident.occurred_to else None,
                    "date_precision": incident.date_precision,
                    "place_name": incident.place_name,
                    "admin_area": str(incident.admin_area) if incident.admin_area else None,
                    "location_uncertainty_m": incident.location_uncertainty_m,
                    "crimes": [{"code": code, "title": vocabulary[code].title} for code in incident.crimes],
                    "national_offences": [
                        {"code": code, "title_uk": national[code].title_uk, "title_en": national[code].title_en}
                        for code in incident.national_offences
                    ],
                    "killed": incident.killed,
                    "injured": incident.injured,
                    "missing": incident.missing,
                    "detained": incident.detained,
                    "status": incident.status,
                    "allegations": allegations,
                    "evidence": erns_by_incident.get(incident.pk, []),
                    "protected_persons": [
                        {"pseudonym": person.pseudonym, "kind": person.kind}
                        for person in sorted(incident.protected_persons.all(), key=lambda p: p.pseudonym)
                    ],
                },
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1).encode()


def _suspects_json(incidents) -> bytes:
    """The persons and units alleged in the package's incidents. Each person's rank, position and unit are
    today's; ``at_the_time`` states, for each of their incidents, the dated assignment that held on its day
    in the case's time zone (null when none is recorded for that day)."""
    allegations = Allegation.objects.filter(incident__in=incidents)
    persons = (
        Person.objects.filter(pk__in=allegations.values("person"))
        .select_related("unit")
        .prefetch_related("assignments__unit")
    )
    person_incidents: dict[int, list] = {}
    for allegation in allegations.filter(person__isnull=False).select_related("incident__case").order_by("incident"):
        person_incidents.setdefault(allegation.person_id, []).append(allegation.incident)
    at_the_time = {person.pk: _held_at_the_time(person, person_incidents.get(person.pk, [])) for person in persons}
    held_units = {row["unit"] for rows in at_the_time.values() for row in rows if row["unit"]}
    unit_ids = {*allegations.values_list("unit", flat=True), *persons.values_list("unit", flat=True)}
    named = Unit.objects.filter(Q(pk__in=unit_ids - {None}) | Q(public_id__in=held_units))
    units = _with_chain_of_command(list(named.select_related("parent")))
    document = {
        "persons": [
            {
                "id": str(person.public_id),
                "full_name": person.full_name,
                "other_names": person.other_names,
                "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
                "rank": person.rank,
                "position": person.position,
                "nationality": person.nationality,
                "identifiers": person.identifiers,
                "unit": str(person.unit.public_id) if person.unit else None,
                "at_the_time": at_the_time[person.pk],
            }
            for person in persons
        ],
        "units": [
            {
                "id": str(unit.public_id),
                "name": unit.name,
                "designation": unit.designation,
                "parent": str(unit.parent.public_id) if unit.parent else None,
            }
            for unit in units
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _with_chain_of_command(units: list[Unit]) -> list[Unit]:
    """The units and every unit above them, up to the top of each chain (one query a level), each once,
    in the order found: a reader can follow every "parent" in the document."""
    found = {unit.pk: unit for unit in units}
    wanted = {unit.parent_id for unit in units} - set(found) - {None}
    while wanted:
        superiors = list(Unit.objects.filter(pk__in=wanted).select_related("parent").order_by("name", "pk"))
        found.update((unit.pk, unit) for unit in superiors)
        wanted = {unit.parent_id for unit in superiors} - set(found) - {None}
    return list(found.values())


def _held_at_the_time(person: Person, incidents: list) -> list[dict]:
    """For each incident: its day, and the rank, position and unit of the assignment that held then."""
    rows = []
    for incident in dict.fromkeys(incidents):
        day = incident.occurred_from.astimezone(zoneinfo.ZoneInfo(incident.case.time_zone)).date()
        held = person_assignment_on(person.assignments.all(), day)
        rows.append(
            {
                "incident": str(incident.public_id),
                "date": day.isoformat(),
                "rank": held.rank if held else None,
                "position": held.position if held else None,
                "unit": str(held.unit.public_id) if held and held.unit else None,
                "assignment": str(held.public_id) if held else None,
            }
        )
    return rows
