"""An item's chain of custody for a person to read: each event in words, people by name and role, times in
UTC and in the case's time zone, the hashes, the timestamps, the provenance and the verdict of verification.

What a judge reads; the chain itself (JSONL, GET …/custody/) stays for machines. Every sentence is built here,
in the language asked for, so the HTML (evidence.custody_report.report_html) and the PDF (…report_pdf) say
the same words. The verdict is the one the workspace shows (evidence.selectors.custody.custody_timeline: each
entry recomputed, the links and the item's hashes checked as evidence.selectors.integrity does)."""

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy, ngettext

from evidence.models import CaseMembership, CustodyEntry, CustodyEvent, EvidenceItem, Incident, Outcome, Role
from evidence.models.items import ProvenanceState
from evidence.selectors.custody import custody_timeline

LANGUAGES = ("en", "uk")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Person:
    agent: str  # user:<username>, as the chain names them
    name: str
    role: str  # their role in the case, in words


@dataclass(frozen=True)
class ReportEntry:
    sequence: int
    event: str  # the event's name, in words
    outcome: str  # success, warning, failure
    outcome_label: str
    sentence: str
    declared: bool  # declared by a person, not observed by Slid
    at_utc: str
    at_local: str
    by: str  # who recorded it, in words
    recorded_detail: str  # the chain's own words (English, as written)
    entry_hash: str
    hash_holds: bool


@dataclass(frozen=True)
class Timestamp:
    authority: str
    certificate: str
    time_utc: str
    time_local: str
    serial: str
    sequence: int


@dataclass
class CustodyReport:
    language: str
    ern: str
    title: str
    case: str
    case_title: str
    time_zone: str
    generated_utc: str
    generated_local: str
    facts: list[tuple[str, str]]  # (label, value) about the file
    hashes: list[tuple[str, str]]  # (algorithm, hex digest)
    holds: bool  # the chain recomputes, links and agrees with the item's hashes
    fixity_failed: bool
    verdict: str
    verdict_details: list[str]
    problems: list[str]  # what the integrity checks found (their own words, English)
    fixity: str
    provenance: list[tuple[str, str]]
    timestamps: list[Timestamp]
    people: list[Person]
    entries: list[ReportEntry] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


# The headings and labels of both renderings, translated when the report is built.
LABELS = {
    "heading": gettext_lazy("Chain of custody report"),
    "intro": gettext_lazy(
        "Every event in the life of this evidence item, as Slid's chain of custody records it, in words. The chain "
        "itself, which machines verify, is the JSON (GET /api/v1/evidence/{id}/custody/, or data/custody/<ERN>.jsonl "
        "in a court package). Times are given in UTC and in the case's time zone."
    ),
    "case": gettext_lazy("Case"),
    "generated": gettext_lazy("Report made"),
    "verdict": gettext_lazy("Verification"),
    "file": gettext_lazy("The file"),
    "hashes": gettext_lazy("Hashes"),
    "timestamps": gettext_lazy("Trusted timestamps (RFC 3161)"),
    "no_timestamps": gettext_lazy("No trusted timestamp has been recorded for this item."),
    "authority": gettext_lazy("Authority"),
    "time": gettext_lazy("Time"),
    "serial": gettext_lazy("Serial number"),
    "provenance": gettext_lazy("Provenance (Content Credentials, C2PA)"),
    "people": gettext_lazy("People"),
    "no_people": gettext_lazy("No person of Slid recorded an event; all were recorded by Slid's workers."),
    "name": gettext_lazy("Name"),
    "role": gettext_lazy("Role in the case"),
    "account": gettext_lazy("Account"),
    "events": gettext_lazy("Events"),
    "sequence": gettext_lazy("No."),
    "event": gettext_lazy("Event"),
    "recorded_by": gettext_lazy("Recorded by"),
    "as_recorded": gettext_lazy("As recorded"),
    "entry_hash": gettext_lazy("Entry hash"),
    "hash_holds": gettext_lazy("hash verified"),
    "hash_broken": gettext_lazy("does not match its hash"),
    "declared": gettext_lazy("declared by a person, not observed by Slid"),
    "problems": gettext_lazy("What the checks found"),
    "fixity": gettext_lazy("Last fixity check"),
}


def custody_report(*, item: EvidenceItem, language: str, entries: list[CustodyEntry] | None = None) -> CustodyReport:
    """The item's custody report in ``language`` (``en`` or ``uk``). ``entries``: its chain as already read (a
    package's, so that the report says what the package's JSONL says), else it is read now."""
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: one of {', '.join(LANGUAGES)}")
    with translation.override(language):
        return _build(item, language, entries)


def _build(item: EvidenceItem, language: str, chain: list[CustodyEntry] | None) -> CustodyReport:
    case = item.case
    zone = zoneinfo.ZoneInfo(case.time_zone)
    timeline = custody_timeline(item=item, entries=chain)
    entries = [checked.entry for checked in timeline.entries]
    people = _people(entries, item)
    incidents = _incident_titles(entries)
    now = timezone.now()
    report = CustodyReport(
        language=language,
        ern=item.ern,
        title=item.title or item.original_filename,
        case=case.reference,
        case_title=case.title,
        time_zone=case.time_zone,
        generated_utc=_utc(now),
        generated_local=_local(now, zone),
        facts=_facts(item, zone),
        hashes=_hashes(item),
        holds=timeline.holds,
        fixity_failed=item.fixity_failed_at is not None,
        verdict="",
        verdict_details=[],
        problems=list(timeline.problems),
        fixity=_fixity(item, timeline.last_fixity_check, zone),
        provenance=_provenance(item),
        timestamps=[],
        people=sorted(people.values(), key=lambda person: person.name.casefold()),
        labels={key: str(label) for key, label in LABELS.items()},
    )
    report.labels["utc"], report.labels["local"] = "UTC", case.time_zone
    for checked in timeline.entries:
        entry = checked.entry
        report.entries.append(
            ReportEntry(
                sequence=entry.sequence,
                event=str(CustodyEvent(entry.event_type).label),
                outcome=entry.outcome,
                outcome_label=str(Outcome(entry.outcome).label),
                sentence=_sentence(entry, people, incidents, zone),
                declared=bool(entry.details.get("declared")),
                at_utc=_utc(entry.occurred_at),
                at_local=_local(entry.occurred_at, zone),
                by=_who(entry.agent, people),
                recorded_detail=entry.detail,
                entry_hash=entry.entry_hash,
                hash_holds=checked.hash_holds,
            )
        )
        if entry.event_type == CustodyEvent.TIMESTAMPED:
            report.timestamps.append(_timestamp(entry, zone))
    report.verdict, report.verdict_details = _verdict(item, timeline, zone)
    return report


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT) + " UTC"


def _local(moment: datetime, zone: zoneinfo.ZoneInfo) -> str:
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local.strftime(TIME_FORMAT)} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def _both(moment: datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    return f"{_utc(moment)} · {_local(moment, zone)}" if moment else ""


def _stated(text: Any, zone: zoneinfo.ZoneInfo) -> str:
    """A moment as a person stated it (ISO 8601 with its offset), and the same moment in UTC."""
    text = str(text or "")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return gettext("%(given)s (as given; %(utc)s)") % {"given": text, "utc": _utc(moment)}


def _people(entries: list[CustodyEntry], item: EvidenceItem) -> dict[str, Person]:
    """The accounts that recorded events, by their agent name, with their name and role in the case."""
    user_ids = {entry.user_id for entry in entries if entry.user_id}
    users = get_user_model().objects.filter(pk__in=user_ids)
    roles = dict(
        CaseMembership.objects.filter(case_id=item.case_id, user_id__in=user_ids).values_list("user_id", "role")
    )
    people = {}
    for user in users:
        name = user.get_full_name().strip() or user.get_username()
        role = str(Role(roles[user.pk]).label) if user.pk in roles else gettext("no longer a member of the case")
        people[f"user:{user.get_username()}"] = Person(agent=f"user:{user.get_username()}", name=name, role=role)
    return people


def _who(agent: str, people: dict[str, Person]) -> str:
    person = people.get(agent)
    if person is not None:
        return f"{person.name} ({person.role}, {agent})"
    if agent.startswith("worker:"):
        return gettext("Slid's worker %(worker)s") % {"worker": agent.removeprefix("worker:")}
    return agent


def _actor(agent: str, people: dict[str, Person]) -> str:
    """Who did it, for a sentence: a person's name and role, or Slid."""
    person = people.get(agent)
    if person is not None:
        return f"{person.name} ({person.role})"
    if agent.startswith("worker:"):
        return "Slid"
    return agent


def _incident_titles(entries: list[CustodyEntry]) -> dict[int, str]:
    ids = {
        entry.details.get("incident")
        for entry in entries
        if entry.event_type in (CustodyEvent.LINKED, CustodyEvent.UNLINKED)
    }
    return dict(Incident.objects.filter(pk__in={i for i in ids if isinstance(i, int)}).values_list("pk", "title"))


def _facts(item: EvidenceItem, zone: zoneinfo.ZoneInfo) -> list[tuple[str, str]]:
    facts = [
        (gettext("ERN"), item.ern),
        (gettext("Title"), item.title),
        (gettext("File name"), item.original_filename),
        (gettext("Kind"), str(item.get_kind_display())),
        (gettext("State"), str(item.get_status_display())),
        (
            gettext("Size"),
            ngettext("%(count)s byte", "%(count)s bytes", item.size_bytes or 0) % {"count": item.size_bytes}
            if item.size_bytes is not None
            else "",
        ),  # fmt: skip
        (gettext("Media type"), item.media_type),
        (gettext("Received"), _both(item.received_at, zone)),
        (gettext("Captured"), _both(item.captured_at, zone)),
        (gettext("Archived"), _both(item.archived_at, zone)),
        (gettext("Why"), item.status_reason),
    ]
    return [(label, value) for label, value in facts if value]


def _hashes(item: EvidenceItem) -> list[tuple[str, str]]:
    digests = {"sha256": item.sha256, "md5": item.md5, **(item.digests or {})}
    names = {"sha256": "SHA-256", "md5": "MD5", "sha512": "SHA-512", "sha1": "SHA-1", "blake2b": "BLAKE2b"}
    return [(names.get(name, name.upper()), value) for name, value in digests.items() if value]


def _fixity(item: EvidenceItem, check: CustodyEntry | None, zone: zoneinfo.ZoneInfo) -> str:
    if check is None:
        if item.archive_key:
            return gettext("No fixity check yet since it was archived.")
        return gettext("Not archived yet: no fixity check.")
    if check.outcome == Outcome.SUCCESS:
        return gettext("%(at)s: the archived copy matched its SHA-256.") % {"at": _both(check.occurred_at, zone)}
    return gettext("%(at)s: FAILED. %(detail)s") % {"at": _both(check.occurred_at, zone), "detail": check.detail}


def _verdict(item: EvidenceItem, timeline, zone: zoneinfo.ZoneInfo) -> tuple[str, list[str]]:
    count = len(timeline.entries)
    details = []
    if timeline.holds:
        details.append(
            ngettext(
                "The chain holds: its %(count)s entry was recomputed (SHA-256 over RFC 8785 canonical JSON) and "
                "matches its hash, and the item's hashes are those it recorded.",
                "The chain holds: each of its %(count)s entries was recomputed (SHA-256 over RFC 8785 canonical "
                "JSON) and matches its hash, each links to the one before, and the item's hashes are those the "
                "chain recorded.",
                count,
            )
            % {"count": count}
        )
    else:
        details.append(gettext("The chain does NOT hold: what the checks found is listed below."))
        for checked in timeline.entries:
            if not checked.hash_holds:
                details.append(
                    gettext("Entry %(sequence)s does not match its hash: it was changed after it was written.")
                    % {"sequence": checked.entry.sequence}
                )
    if item.fixity_failed_at is not None:
        details.append(
            gettext(
                "A copy of the archived file has failed its fixity checks since %(at)s: it no longer matches the "
                "SHA-256 recorded when it was received."
            )
            % {"at": _both(item.fixity_failed_at, zone)}
        )
    if item.last_verified_at:
        details.append(
            gettext("The archived copy last matched its SHA-256 at %(at)s.")
            % {"at": _both(item.last_verified_at, zone)}
        )
    if timeline.holds and item.fixity_failed_at is None:
        verdict = gettext("Verified: the chain of custody is intact.")
    else:
        verdict = gettext("NOT VERIFIED: the integrity of this item is in doubt.")
    return verdict, details


def _provenance(item: EvidenceItem) -> list[tuple[str, str]]:
    record = item.provenance
    if not record:
        return [(gettext("State"), gettext("Not read (Slid reads Content Credentials of images, video and audio)."))]
    state = record.get("state", "")
    rows = [(gettext("State"), str(ProvenanceState(state).label) if state in ProvenanceState.values else state)]
    signer = record.get("signer") or {}
    if signer.get("common_name"):
        signed = signer["common_name"] + (f" ({signer['organization']})" if signer.get("organization") else "")
        rows.append((gettext("Signed by"), signed))
    if record.get("claim_generator"):
        rows.append((gettext("Made with"), record["claim_generator"]))
    if record.get("timestamp") and record["timestamp"] != "none":
        rows.append((gettext("Its own timestamp"), record["timestamp"]))
    if record.get("failures"):
        rows.append((gettext("Checks that failed"), ", ".join(str(f.get("code", f)) if isinstance(f, dict) else str(f)
                                                             for f in record["failures"])))  # fmt: skip
    if record.get("error"):
        rows.append((gettext("Error"), record["error"]))
    return rows


def _timestamp(entry: CustodyEntry, zone: zoneinfo.ZoneInfo) -> Timestamp:
    details = entry.details
    try:
        at = datetime.fromisoformat(str(details.get("time", "")))
    except ValueError:
        at = None
    certificate = (details.get("tsa_certificate") or {}).get("subject", "")
    return Timestamp(
        authority=str(details.get("tsa", "")),
        certificate=certificate,
        time_utc=_utc(at) if at else str(details.get("time", "")),
        time_local=_local(at, zone) if at else "",
        serial=str(details.get("serial", "")),
        sequence=entry.sequence,
    )


def _sentence(entry: CustodyEntry, people: dict[str, Person], incidents: dict[int, str], zone) -> str:  # noqa: C901, PLR0911, PLR0912
    """The event in words, in the active language."""
    d = entry.details or {}
    who = _actor(entry.agent, people)
    event, failed = entry.event_type, entry.outcome == Outcome.FAILURE
    if event == CustodyEvent.RECEIVED:
        said = gettext("%(who)s submitted the file “%(name)s” (%(size)s bytes); Slid received it and computed its "
                       "SHA-256 on arrival: %(sha256)s.") % {
            "who": who, "name": d.get("original_filename", ""), "size": d.get("size_bytes", ""),
            "sha256": d.get("sha256", ""),
        }  # fmt: skip
        submitted = d.get("submitted_sha256")
        if submitted and submitted != d.get("sha256"):
            said += " " + gettext("The SHA-256 the submitter gave, %(submitted)s, is different.") % {
                "submitted": submitted
            }
        return said
    if event == CustodyEvent.HASHED:
        if failed:
            return gettext("Slid hashed the file again: it NO LONGER MATCHES what was received.")
        return gettext("Slid hashed the file again: the bytes are those received.")
    if event == CustodyEvent.IDENTIFIED:
        if entry.outcome == Outcome.WARNING:
            return gettext("Slid identified the content as %(type)s, although its name suggests %(expected)s.") % {
                "type": d.get("media_type", ""), "expected": d.get("expected_from_name", "")
            }  # fmt: skip
        return gettext("Slid identified the content as %(type)s.") % {"type": d.get("media_type", "")}
    if event == CustodyEvent.DESCRIBED:
        if entry.outcome == Outcome.WARNING:
            return gettext("Slid read the file's metadata, with errors.")
        return gettext("Slid read the file's metadata (%(tools)s).") % {"tools": ", ".join(d.get("tools") or [])}
    if event == CustodyEvent.DUPLICATE_FOUND:
        return gettext("The bytes are identical to those of %(original)s; the archive keeps them once.") % {
            "original": d.get("duplicate_of", "")
        }
    if event == CustodyEvent.ARCHIVED:
        return gettext("Slid stored the file write-once in its archive.")
    if event == CustodyEvent.VERIFIED:
        return gettext("Slid read the archived copy back: its SHA-256 %(sha256)s matches.") % {
            "sha256": d.get("sha256", "")
        }
    if event == CustodyEvent.ACCESSED:
        if d.get("view"):
            return gettext("%(who)s viewed the file in the workspace.") % {"who": who}
        if d.get("range"):
            return gettext("%(who)s downloaded part of the file (%(range)s).") % {"who": who, "range": d["range"]}
        return gettext("%(who)s downloaded the file.") % {"who": who}
    if event in (CustodyEvent.LINKED, CustodyEvent.UNLINKED):
        incident = d.get("incident")
        named = {"who": who, "incident": incident, "title": incidents.get(incident, "")}
        if event == CustodyEvent.LINKED:
            return gettext("%(who)s linked the item to incident %(incident)s (%(title)s).") % named
        return gettext("%(who)s unlinked the item from incident %(incident)s (%(title)s), because: %(reason)s") % {
            **named, "reason": d.get("reason", "")
        }  # fmt: skip
    if event == CustodyEvent.CORRECTED:
        fields = ", ".join(sorted(d.get("changes") or {}))
        said = gettext("%(who)s corrected what the item is said to be (%(fields)s); the bytes are untouched.") % {
            "who": who, "fields": fields
        }  # fmt: skip
        if d.get("reason"):
            said += " " + gettext("Reason: %(reason)s") % {"reason": d["reason"]}
        return said
    if event == CustodyEvent.EXPORTED:
        if failed:
            return gettext("The item could NOT be exported: %(detail)s") % {"detail": entry.detail}
        return gettext("The item was exported in court package %(export)s (the package's SHA-256: %(sha256)s).") % {
            "export": d.get("export", ""), "sha256": d.get("package_sha256", "")
        }  # fmt: skip
    if event == CustodyEvent.FIXITY_CHECK:
        if failed:
            return gettext("FIXITY CHECK FAILED: the copy in the store %(store)s does not match the SHA-256 recorded "
                           "when the file was received. %(detail)s") % {"store": d.get("store", ""),
                                                                          "detail": entry.detail}  # fmt: skip
        return gettext("Slid re-hashed the copy in the store %(store)s: its SHA-256 matches.") % {
            "store": d.get("store", "")
        }
    if event == CustodyEvent.FAILED:
        if d.get("final") or failed:
            return gettext("Processing failed after %(attempt)s attempts.") % {"attempt": d.get("attempt", "")}
        return gettext("Processing attempt %(attempt)s failed; Slid tried again.") % {"attempt": d.get("attempt", "")}
    if event == CustodyEvent.CORRUPT:
        return gettext("Slid found the item CORRUPT: %(detail)s") % {"detail": entry.detail}
    if event == CustodyEvent.RETRIED:
        return gettext("%(who)s asked for the item to be processed again.") % {"who": who}
    if event == CustodyEvent.TIMESTAMPED:
        return gettext(
            "The time-stamping authority %(tsa)s signed the file's SHA-256 with the time %(time)s "
            "(RFC 3161, serial number %(serial)s); Slid verified the token."
        ) % {"tsa": d.get("tsa", ""), "time": _stated(d.get("time"), zone), "serial": d.get("serial", "")}
    if event == CustodyEvent.PROVENANCE_READ:
        state = d.get("state", "")
        label = str(ProvenanceState(state).label) if state in ProvenanceState.values else state
        return gettext("Slid read the file's Content Credentials (C2PA): %(state)s.") % {"state": label}
    if event == CustodyEvent.REPLICATED:
        return gettext("Slid copied the file to the store %(store)s and read it back: its SHA-256 matches.") % {
            "store": d.get("store", "")
        }
    if event == CustodyEvent.REPAIRED:
        return gettext(
            "Slid repaired the copy in the store %(store)s from the good copy in %(source)s; read back, its SHA-256 "
            "matches."
        ) % {"store": d.get("store", ""), "source": d.get("from_store", "")}
    if event == CustodyEvent.COLLECTED:
        return _collected(d, people, zone)
    if event == CustodyEvent.HANDED_OVER:
        return _handed_over(d, people, zone)
    return entry.detail


def _declared_by(details: dict, people: dict[str, Person]) -> str:
    said = gettext("Declared by %(who)s, not observed by Slid:") % {
        "who": _actor(str(details.get("declared_by", "")), people)
    }
    if details.get("declared_after_intake"):
        said = gettext("Declared after intake by %(who)s, not observed by Slid (reason: %(reason)s):") % {
            "who": _actor(str(details.get("declared_by", "")), people), "reason": details.get("reason", "")
        }  # fmt: skip
    return said


def _collected(d: dict, people: dict[str, Person], zone) -> str:
    said = gettext("%(by)s collected the item") % {"by": d.get("collected_by", "")}
    if d.get("collected_from"):
        said += " " + gettext("from %(source)s") % {"source": d["collected_from"]}
    said += " " + gettext("on %(at)s") % {"at": _stated(d.get("collected_at"), zone)}
    if d.get("place_name"):
        said += " " + gettext("at %(place)s") % {"place": d["place_name"]}
    location = d.get("location") or {}
    if location.get("coordinates"):
        lon, lat = location["coordinates"][:2]
        said += " " + gettext("(longitude %(lon)s, latitude %(lat)s)") % {"lon": lon, "lat": lat}
    how = ", ".join(str(d[name]) for name in ("method", "device", "tool", "tool_version") if d.get(name))
    if how:
        said += "; " + gettext("how: %(how)s") % {"how": how}
    if d.get("note"):
        said += "; " + gettext("note: %(note)s") % {"note": d["note"]}
    return f"{_declared_by(d, people)} {said}."


def _handed_over(d: dict, people: dict[str, Person], zone) -> str:
    said = gettext("%(giver)s handed the item over to %(receiver)s on %(at)s") % {
        "giver": d.get("from", ""), "receiver": d.get("to", ""), "at": _stated(d.get("at"), zone)
    }  # fmt: skip
    if d.get("place_name"):
        said += " " + gettext("at %(place)s") % {"place": d["place_name"]}
    if d.get("seals"):
        said += "; " + gettext("seals: %(seals)s") % {"seals": ", ".join(d["seals"])}
    if d.get("note"):
        said += "; " + gettext("note: %(note)s") % {"note": d["note"]}
    return f"{_declared_by(d, people)} {said}."
