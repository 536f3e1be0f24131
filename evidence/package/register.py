"""The evidence register of a submission package (data/register.csv): which fields a profile may
name, and the built-in "default" profile. Profiles pick columns, their order and date format.

Dates are printed in the case's time zone, never in UTC: an ISO date carries its offset
(2022-03-04T10:15:00+02:00), and the header of every date column names the zone
("Date of item (Europe/Kyiv)"), since a strftime pattern such as %d/%m/%Y shows no offset.

Every cell is written quoted, and a cell a spreadsheet would run as a formula goes in behind a single
quote (OWASP's CSV-injection advice); see ``spreadsheet_safe``."""

import csv
import dataclasses
import io
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Q

from evidence.models import Case, EvidenceItem, ExportProfile

ISO_DATE = "iso"


@dataclass(frozen=True)
class Column:
    column: str
    field: str
    date_format: str = ISO_DATE


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    columns: tuple[Column, ...]
    case_id: int | None = None  # the case whose profile it is; None: built in, or shared by every case


def _incidents(item: EvidenceItem, context: dict) -> str:
    return "; ".join(f"{incident.pk}: {incident.title}" for incident in item.incidents.all())


def _location(item: EvidenceItem, context: dict) -> str:
    point = item.captured_location
    return f"{point.y:.6f}, {point.x:.6f}" if point else ""


def _in_effect(given: Any, from_file: Any) -> Any:
    """A document fact as it stands: the value people gave, else the one read from the file."""
    return given if given not in (None, "") else from_file


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _document_date_precision(item: EvidenceItem, context: dict) -> str:
    if item.document_date is not None:
        return item.document_date_precision
    return "exact" if item.document_date_from_file is not None else ""


def _related(item: EvidenceItem, context: dict) -> str:
    """Each current link as "<relation> <ERN>", both ways (has_transcript for the original of a transcript),
    a redaction with its codes."""
    links = []
    for link in context.get("related", []):
        codes = f" [{', '.join(link['redaction_codes'])}]" if link.get("redaction_codes") else ""
        links.append(f"{link['relation']} {link['ern']}{codes}")
    return "; ".join(links)


def _disclosures(item: EvidenceItem, context: dict) -> str:
    """The latest decision for each recipient: "<kind> (<name>): disclosed <day> under <rule>" or "not
    disclosed"."""
    latest = {}
    for disclosure in context.get("disclosures", []):
        latest[(disclosure.recipient_kind, disclosure.recipient_name.casefold())] = disclosure
    described = []
    for disclosure in latest.values():
        text = f"{disclosure.recipient_kind} ({disclosure.recipient_name}): "
        if disclosure.disclosed:
            zone = zoneinfo.ZoneInfo(context.get("time_zone", "UTC"))
            text += f"disclosed {disclosure.disclosed_at.astimezone(zone).date().isoformat()}"
            text += f" under {disclosure.rule}" if disclosure.rule else ""
        else:
            text += "not disclosed"
        described.append(text)
    return "; ".join(described)


# Each field: what it is, and how to read it from an item (context: package path, custody head, integrity,
# timestamps, related items, disclosures, time zone).
FIELDS: dict[str, tuple[str, Callable[[EvidenceItem, dict], Any]]] = {
    "ern": ("evidence reference number", lambda item, context: item.ern),
    "title": ("title", lambda item, context: item.title),
    "description": ("description", lambda item, context: item.description),
    "kind": ("photo, video, audio, document, testimony, other", lambda item, context: item.kind),
    "captured_at": ("when the item was captured", lambda item, context: item.captured_at),
    "acquired_at": ("when Slid's team acquired it", lambda item, context: item.acquired_at),
    "received_at": ("when Slid received it", lambda item, context: item.received_at),
    "source_type": ("witness, open_source, forensic, official, other", lambda item, context: item.source_type),
    "source": ("the source", lambda item, context: item.source),
    "source_url": ("the source's address", lambda item, context: item.source_url),
    "original_filename": ("the file's name as submitted", lambda item, context: item.original_filename),
    "package_path": ("the file's path in the package", lambda item, context: context["package_path"]),
    "size_bytes": ("size in bytes", lambda item, context: item.size_bytes),
    "sha256": ("SHA-256", lambda item, context: item.sha256),
    "md5": ("MD5", lambda item, context: item.md5),
    "media_type": ("media type from the content", lambda item, context: item.media_type),
    "incidents": ("linked incidents (id: title)", _incidents),
    "location": ("where it was captured (latitude, longitude)", _location),
    "confidentiality": ("public, restricted, confidential, identifies_witness", lambda i, c: i.confidentiality),
    "custody_head_hash": ("hash of the last custody entry", lambda item, context: context["custody_head_hash"]),
    "integrity": ('"intact", or "corrupt: <why>" for an item Slid found corrupt', lambda i, c: c["integrity"]),
    "timestamps": ("RFC 3161 timestamps: the time and authority of each token", lambda i, c: c["timestamps"]),
    "provenance": (
        "Content Credentials (C2PA) read at intake: valid, untrusted, invalid, none or error",
        lambda item, context: (item.provenance or {}).get("state", ""),
    ),
    # Document facts: the one in effect (given, else read from the file), and the file's own.
    "document_date": ("date of the document", lambda i, c: _in_effect(i.document_date, i.document_date_from_file)),
    "document_date_precision": ("exact, day, month, year, approximate", _document_date_precision),
    "document_date_from_file": ("creation date the file states", lambda i, c: i.document_date_from_file),
    "author": ("author", lambda i, c: _in_effect(i.author, i.author_from_file)),
    "author_from_file": ("author the file names", lambda i, c: i.author_from_file),
    "recipient": ("recipient", lambda i, c: i.recipient),
    "languages": ("languages (ISO 639)", lambda i, c: "; ".join(i.languages)),
    "pages": ("number of pages", lambda i, c: _in_effect(i.pages, i.pages_from_file)),
    "pages_from_file": ("number of pages the file states", lambda i, c: i.pages_from_file),
    "duration_seconds": (
        "duration in seconds",
        lambda i, c: _in_effect(i.duration_seconds, i.duration_seconds_from_file),
    ),
    "duration_seconds_from_file": ("duration the file states", lambda i, c: i.duration_seconds_from_file),
    "court_classification": ("public, confidential, under_seal, ex_parte", lambda i, c: i.court_classification),
    "received_on_condition_of_confidentiality": (
        "yes: Rome Statute art. 54(3)(e) material",
        lambda i, c: _yes_no(i.received_on_condition_of_confidentiality),
    ),
    "confidentiality_provider": ("who gave art. 54(3)(e) material", lambda i, c: i.confidentiality_provider),
    "confidentiality_conditions": ("the conditions it was given on", lambda i, c: i.confidentiality_conditions),
    "exculpatory": ("yes: Rome Statute art. 67(2) material", lambda i, c: _yes_no(i.exculpatory)),
    "related": ("related items (relation ERN), both ways", _related),
    "disclosures": ("latest disclosure decision per recipient", _disclosures),
}
DATE_FIELDS = frozenset({"captured_at", "acquired_at", "received_at", "document_date", "document_date_from_file"})
EXCULPATORY_COLUMN = "Exculpatory (art. 67(2))"
INTEGRITY_COLUMN = "Integrity"
ERN_COLUMN = "ERN"
# What makes a spreadsheet read a cell as a formula (OWASP: = + - @, tab, carriage return). Tabs,
# line breaks and spaces before one count too: an import that trims spaces would bring it to the front.
FORMULA_TRIGGERS = ("=", "+", "-", "@")
LEADING_CONTROLS = ("\t", "\r")
NEUTRALISER = "'"

DEFAULT_PROFILE = Profile(
    name="default",
    description="Every field, ISO 8601 dates.",
    columns=tuple(
        Column(column, field)
        for column, field in [
            ("ERN", "ern"),
            ("Title", "title"),
            ("Description", "description"),
            ("Kind", "kind"),
            ("Date of item", "captured_at"),
            ("Date acquired", "acquired_at"),
            ("Source type", "source_type"),
            ("Source", "source"),
            ("Original file name", "original_filename"),
            ("File in package", "package_path"),
            ("Size (bytes)", "size_bytes"),
            ("SHA-256", "sha256"),
            ("MD5", "md5"),
            ("Media type", "media_type"),
            ("Linked incidents", "incidents"),
            ("Location", "location"),
            ("Confidentiality", "confidentiality"),
            ("Court classification", "court_classification"),
            ("Received on condition of confidentiality (art. 54(3)(e))", "received_on_condition_of_confidentiality"),
            ("Confidentiality provider", "confidentiality_provider"),
            ("Confidentiality conditions", "confidentiality_conditions"),
            (EXCULPATORY_COLUMN, "exculpatory"),
            ("Document date", "document_date"),
            ("Document date precision", "document_date_precision"),
            ("Document date (from the file)", "document_date_from_file"),
            ("Author", "author"),
            ("Author (from the file)", "author_from_file"),
            ("Recipient", "recipient"),
            ("Languages", "languages"),
            ("Pages", "pages"),
            ("Pages (from the file)", "pages_from_file"),
            ("Duration (seconds)", "duration_seconds"),
            ("Duration (seconds, from the file)", "duration_seconds_from_file"),
            ("Related items", "related"),
            ("Custody chain head", "custody_head_hash"),
            (INTEGRITY_COLUMN, "integrity"),
            ("Trusted timestamps", "timestamps"),
            ("Content Credentials", "provenance"),
        ]
    ),
)


def profile_from_model(profile: ExportProfile) -> Profile:
    return Profile(
        name=profile.name,
        description=profile.description,
        columns=tuple(Column(c["column"], c["field"], c.get("date_format") or ISO_DATE) for c in profile.columns),
        case_id=profile.case_id,
    )


def profile_named(name: str, *, case: Case) -> Profile | None:
    """The profile an export of ``case`` gets by this name: the built-in default, the case's own, or
    one shared by every case (the case's own first). Another case's profile is never found."""
    if name == DEFAULT_PROFILE.name:
        return DEFAULT_PROFILE
    usable = ExportProfile.objects.filter(name=name).filter(Q(case=case) | Q(case__isnull=True))
    found = usable.order_by(F("case").asc(nulls_last=True)).first()
    return profile_from_model(found) if found else None


def column_errors(columns: Any) -> list[str]:
    """What is wrong with a profile's columns, if anything."""
    if not isinstance(columns, list) or not columns:
        return ["columns must be a non-empty list of {column, field, date_format}"]
    errors = []
    for number, column in enumerate(columns, start=1):
        if not isinstance(column, dict) or not isinstance(column.get("column"), str) or not column["column"].strip():
            errors.append(f"column {number}: needs a non-empty 'column' name")
            continue
        if column.get("field") not in FIELDS:
            errors.append(f"column {number}: unknown field {column.get('field')!r}; known: {', '.join(FIELDS)}")
        unknown = set(column) - {"column", "field", "date_format"}
        if unknown:
            errors.append(f"column {number}: unknown key {sorted(unknown)[0]!r}")
        date_format = column.get("date_format")
        if date_format not in (None, ISO_DATE) and (not isinstance(date_format, str) or "%" not in date_format):
            errors.append(f"column {number}: date_format is 'iso' or a strftime pattern such as '%d/%m/%Y'")
    return errors


def with_integrity_column(profile: Profile) -> Profile:
    """The profile, with an integrity column added at the end unless it has one: a package that
    carries an item Slid found corrupt always says so in its register, whatever the profile."""
    if any(column.field == "integrity" for column in profile.columns):
        return profile
    return dataclasses.replace(profile, columns=(*profile.columns, Column(INTEGRITY_COLUMN, "integrity")))


def with_ern_column(profile: Profile) -> Profile:
    """The profile, with an ERN column put first unless it has one: every register names each item,
    so that each file of a package is accounted for by a row (verify.py checks it)."""
    if any(column.field == "ern" for column in profile.columns):
        return profile
    return dataclasses.replace(profile, columns=(Column(ERN_COLUMN, "ern"), *profile.columns))


def with_exculpatory_column(profile: Profile) -> Profile:
    """The profile, with an exculpatory column (Rome Statute art. 67(2)) added at the end unless it has one:
    no register can leave out that an item may be exculpatory."""
    if any(column.field == "exculpatory" for column in profile.columns):
        return profile
    return dataclasses.replace(profile, columns=(*profile.columns, Column(EXCULPATORY_COLUMN, "exculpatory")))


def spreadsheet_safe(value: str) -> str:
    """``value`` as a register cell that no spreadsheet runs. One that starts with a formula trigger
    (after any whitespace), a tab or a carriage return gets a single quote in front, which makes a
    spreadsheet show it as text. So does one that starts with a single quote already: a reader then
    gets the exact value back from any cell by removing its first character if it is a single quote."""
    if value.startswith((NEUTRALISER, *LEADING_CONTROLS)) or value.lstrip().startswith(FORMULA_TRIGGERS):
        return NEUTRALISER + value
    return value


def register_csv(rows: list[list[str]]) -> bytes:
    """The register file: UTF-8, every cell quoted and made spreadsheet-safe, CRLF line ends (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerows([spreadsheet_safe(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def cell(value: Any, date_format: str, zone: zoneinfo.ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(zone)
        return local.isoformat() if date_format == ISO_DATE else local.strftime(date_format)
    return str(value)


def header(column: Column, time_zone: str) -> str:
    if column.field in DATE_FIELDS and time_zone not in column.column:
        return f"{column.column} ({time_zone})"
    return column.column


def register_rows(profile: Profile, items: list[tuple[EvidenceItem, dict]], *, time_zone: str) -> list[list[str]]:
    """The register's rows, header first; dates in ``time_zone`` (the case's), which date headers name.
    The values are as they are: ``register_csv`` makes them spreadsheet-safe."""
    profile = with_exculpatory_column(with_ern_column(profile))
    zone = zoneinfo.ZoneInfo(time_zone)
    rows = [[header(column, time_zone) for column in profile.columns]]
    for item, context in items:
        rows.append(
            [cell(FIELDS[column.field][1](item, context), column.date_format, zone) for column in profile.columns]
        )
    return rows
