"""The evidence register of a submission package (data/register.csv, and the same cells in
data/register.xlsx): which fields a profile may name, and the built-in profiles ("default", every field
but disclosures; "e-court", the columns of the ICC's e-Court protocol). Profiles pick columns, their
order and date format.

Dates are printed in the case's time zone, never in UTC: an ISO date carries its offset
(2022-03-04T10:15:00+02:00), and the header of every date column names the zone
("Date of item (Europe/Kyiv)"), since a strftime pattern such as %d/%m/%Y shows no offset.

The CSV is UTF-8 with a byte order mark, which is how Excel knows it is UTF-8 (without one it reads
Cyrillic as Windows-1252 mojibake). Every cell is written quoted, and a cell a spreadsheet would run as a
formula goes in behind a single quote (OWASP's CSV-injection advice); see ``spreadsheet_safe``. The XLSX
holds the exact values, every cell typed as text, which no spreadsheet runs."""

import csv
import dataclasses
import io
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import F, Q
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

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
    id: int | None = None  # the row's; None for a built-in profile
    builtin: bool = False
    revision: int | None = None  # which revision of the row this is (ExportProfileRevision), None if built in
    retired_at: datetime | None = None  # retired: chosen by no new export

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


def _incidents(item: EvidenceItem, context: dict) -> str:
    """Each incident as "<public id>: <title>": the public id is the feature id in incidents.geojson."""
    return "; ".join(f"{incident.public_id}: {incident.title}" for incident in item.incidents.all())


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
    "incidents": ("linked incidents (public id, as in incidents.geojson: title)", _incidents),
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
    # Marked so, or with an exculpatory assessment (evidence.selectors.exculpatory; the package lists those in
    # data/exculpatory-assessments.csv).
    "exculpatory": (
        "yes: Rome Statute art. 67(2) material (marked, or assessed so)",
        lambda i, c: _yes_no(i.exculpatory or bool(c.get("exculpatory_assessments"))),
    ),
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

# Every field but "disclosures": which recipients were given an item, when and under which rule is the
# disclosing party's own working record. A package handed to the defence or a chamber as it is should not
# tell one recipient what another was given; a profile that names the field puts it in on purpose.
# A package often goes to the defence or a chamber: it says neither what another recipient was given nor who gave
# material on condition of confidentiality (art. 54(3)(e)), and on what conditions; a profile may name them.
FIELDS_LEFT_OUT_OF_DEFAULT = frozenset({"disclosures", "confidentiality_provider", "confidentiality_conditions"})

DEFAULT_PROFILE = Profile(
    name="default",
    description="Every field but disclosures and who gave material on condition of confidentiality; ISO 8601 dates.",
    builtin=True,
    columns=tuple(
        Column(column, field)
        for column, field in [
            ("ERN", "ern"),
            ("Title", "title"),
            ("Description", "description"),
            ("Kind", "kind"),
            ("Date of item", "captured_at"),
            ("Date acquired", "acquired_at"),
            ("Date received", "received_at"),
            ("Source type", "source_type"),
            ("Source", "source"),
            ("Source URL", "source_url"),
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

# The metadata the ICC's e-Court protocol (the "Unified Technical protocol for the provision of evidence,
# witness and victims information in electronic form") asks for each item of evidence: document ID (the ERN),
# title, date, type, author, recipient, source, confidentiality level, pages, language, and the documents it
# is related to (a translation, a transcript, a redacted version), dates as DD/MM/YYYY. Chambers adapt the
# protocol in each case: a team whose chamber asks for other columns defines its own profile.
E_COURT_DATE_FORMAT = "%d/%m/%Y"
E_COURT_PROFILE = Profile(
    name="e-court",
    description="The columns of the ICC e-Court protocol, dates as DD/MM/YYYY.",
    builtin=True,
    columns=(
        Column("Document ID", "ern"),
        Column("Title", "title"),
        Column("Date", "document_date", E_COURT_DATE_FORMAT),
        Column("Date precision", "document_date_precision"),
        Column("Type", "kind"),
        Column("Author", "author"),
        Column("Recipient", "recipient"),
        Column("Source", "source"),
        Column("Confidentiality level", "court_classification"),
        Column("Pages", "pages"),
        Column("Duration (seconds)", "duration_seconds"),
        Column("Language", "languages"),
        Column("Related documents", "related"),
        Column("Date of capture", "captured_at", E_COURT_DATE_FORMAT),
        Column("Date collected", "acquired_at", E_COURT_DATE_FORMAT),
        Column("File name", "package_path"),
        Column("Hash (SHA-256)", "sha256"),
        Column(EXCULPATORY_COLUMN, "exculpatory"),
    ),
)
BUILTIN_PROFILES = {profile.name: profile for profile in (DEFAULT_PROFILE, E_COURT_PROFILE)}


def profile_from_model(profile: ExportProfile, *, revision: int | None = None) -> Profile:
    return Profile(
        name=profile.name,
        description=profile.description,
        columns=tuple(Column(c["column"], c["field"], c.get("date_format") or ISO_DATE) for c in profile.columns),
        case_id=profile.case_id,
        id=profile.pk,
        retired_at=profile.retired_at,
        revision=revision,
    )


def profile_named(name: str, *, case: Case, retired_too: bool = False) -> Profile | None:
    """The profile an export of ``case`` gets by this name: a built-in one, the case's own, or one shared
    by every case (the case's own first). Another case's profile is never found; a retired one only with
    ``retired_too`` (the builder of an export requested before it was retired). A case's own profile,
    retired, still hides a shared one of its name: the case meant its own."""
    if name in BUILTIN_PROFILES:
        return BUILTIN_PROFILES[name]
    usable = ExportProfile.objects.filter(name=name).filter(Q(case=case) | Q(case__isnull=True))
    found = usable.order_by(F("case").asc(nulls_last=True)).first()
    if found is None or (found.retired_at is not None and not retired_too):
        return None
    return profile_from_model(found)


# The strftime directives a date format may use: those C99 and Python define alike, so a pattern means the
# same on every platform (%e, %k, %-d and the like are glibc's own, and Windows refuses them).
DATE_DIRECTIVES = frozenset("aAbBdHIjmMpSyYzZ%")
DIRECTIVE = re.compile(r"%(.?)", re.DOTALL)


def date_format_error(date_format: Any) -> str | None:
    """Why ``date_format`` is not one a register column can use, or None: "iso", or a strftime pattern of
    DATE_DIRECTIVES with at least one of them."""
    if date_format is None or date_format == ISO_DATE:
        return None
    if not isinstance(date_format, str) or not date_format.strip():
        return "date_format is 'iso' or a strftime pattern such as '%d/%m/%Y'"
    directives = DIRECTIVE.findall(date_format)
    unknown = [directive for directive in directives if directive not in DATE_DIRECTIVES]
    if unknown:
        return (
            f"date_format {date_format!r} has %{unknown[0]}, which is not a date directive; use "
            f"{', '.join('%' + d for d in sorted(DATE_DIRECTIVES - {'%'}))} (or 'iso')"
        )
    if not [directive for directive in directives if directive != "%"]:
        return f"date_format {date_format!r} has no date directive; it is 'iso' or a pattern such as '%d/%m/%Y'"
    return None


def column_errors(columns: Any) -> list[str]:
    """What is wrong with a profile's columns, if anything."""
    if not isinstance(columns, list) or not columns:
        return ["columns must be a non-empty list of {column, field, date_format}"]
    errors, names = [], set()
    for number, column in enumerate(columns, start=1):
        if not isinstance(column, dict) or not isinstance(column.get("column"), str) or not column["column"].strip():
            errors.append(f"column {number}: needs a non-empty 'column' name")
            continue
        if column["column"].strip().casefold() in names:
            errors.append(f"column {number}: the name {column['column']!r} is used by another column")
        names.add(column["column"].strip().casefold())
        if column.get("field") not in FIELDS:
            errors.append(f"column {number}: unknown field {column.get('field')!r}; known: {', '.join(FIELDS)}")
        unknown = set(column) - {"column", "field", "date_format"}
        if unknown:
            errors.append(f"column {number}: unknown key {sorted(unknown)[0]!r}")
        date_format = column.get("date_format")
        error = date_format_error(date_format)
        if error:
            errors.append(f"column {number}: {error}")
        elif (
            date_format not in (None, ISO_DATE) and column.get("field") in FIELDS and column["field"] not in DATE_FIELDS
        ):
            errors.append(
                f"column {number}: date_format applies to date fields only ({', '.join(sorted(DATE_FIELDS))}), "
                f"not {column['field']!r}"
            )
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
    """The register file: UTF-8 with a byte order mark (Excel reads it as UTF-8 only then), every cell
    quoted and made spreadsheet-safe, CRLF line ends (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerows([spreadsheet_safe(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


REGISTER_SHEET = "Register"
# A spreadsheet cell holds at most this many characters (Excel's limit, which openpyxl enforces by cutting).
CELL_LIMIT = 32_767
CUT_MARK = " […cut: data/register.csv holds the whole value]"
# What XML 1.0, and so an XLSX, cannot hold: control characters other than tab, line feed and carriage return.
ILLEGAL_XML_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def register_xlsx(rows: list[list[str]], *, created: datetime) -> bytes:
    """The register as a workbook: one sheet, the same rows as the CSV with the exact values (no quote in
    front), every cell a text cell, so nothing runs as a formula and an ERN or a hash is never read as a
    number. Two things a spreadsheet cannot hold are changed, visibly, and the CSV keeps them: a control
    character XML cannot hold becomes U+FFFD, and a value longer than a cell holds is cut with a note
    saying so. ``created`` is the workbook's stated creation time (the package's build time)."""
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "Slid"
    workbook.properties.created = created.astimezone(UTC).replace(tzinfo=None)
    sheet = workbook.create_sheet(REGISTER_SHEET)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet)
            # Set after the value: openpyxl would read a value beginning with "=" as a formula.
            value = ILLEGAL_XML_CHARACTERS.sub("\ufffd", value)
            if len(value) > CELL_LIMIT:
                value = value[: CELL_LIMIT - len(CUT_MARK)] + CUT_MARK
            cell.value = value
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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
    The values are as they are: ``register_csv`` makes them spreadsheet-safe, ``register_xlsx`` text cells."""
    profile = with_exculpatory_column(with_ern_column(profile))
    zone = zoneinfo.ZoneInfo(time_zone)
    rows = [[header(column, time_zone) for column in profile.columns]]
    for item, context in items:
        rows.append(
            [cell(FIELDS[column.field][1](item, context), column.date_format, zone) for column in profile.columns]
        )
    return rows
