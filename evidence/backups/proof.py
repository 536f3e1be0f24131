"""Proving a restore: the record in the database, read again, against the backup's manifest (the
checks are listed in evidence.backups.restore), with every recorded copy of the archived files re-hashed.
Run after a restore, or alone (restore_database --check-only) on a database as it is."""

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.core.files.storage import storages
from django.db.migrations.loader import MigrationLoader

import config
from evidence.backups import postgres
from evidence.backups.state import record_state
from evidence.models import ArchiveCopy, Checkpoint, CopyState, EvidenceItem
from evidence.replication import REPAIR_SUFFIX, look_at
from evidence.selectors.checkpoints import checkpoints_check
from evidence.selectors.copies import configured_stores
from evidence.selectors.integrity import integrity_check

CHECKS = ("migrations", "row_counts", "custody", "checkpoints", "chain_heads", "audit", "fixity")
REPAIRED_KEY = re.compile(rf"^(?P<archive_key>.+){re.escape(REPAIR_SUFFIX)}[0-9]+$")


@dataclass(frozen=True)
class Finding:
    check: str  # one of CHECKS
    subject: str  # an ERN, a table, a migration…
    problem: str

    def __str__(self) -> str:
        return f"{self.check}: {self.subject}: {self.problem}"


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # not a failed check, but to be read before going on
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def failed(self, check: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.check == check]


# --- The proof --------------------------------------------------------------------------------


def restore_proof(manifest: dict[str, Any], *, say: Callable[[str], None] = lambda line: None) -> RestoreReport:
    """Compares the record in Django's database with the manifest, and re-hashes the archived copies."""
    report = RestoreReport(manifest)
    database = postgres.Database.from_settings()
    with database.connect() as reading:
        reading.read_only = True
        state = record_state(reading)
        reading.rollback()

    _compare_migrations(report, manifest["migrations"], state["migrations"])
    _compare_counts(report, manifest["row_counts"], state["row_counts"])
    _check_custody(report)
    _check_checkpoints(report)
    _compare_heads(report, manifest["chain_heads"], state["chain_heads"])
    _compare_audit(report, manifest["audit"], state["audit"])
    _check_fixity(report)
    _warn_of_newer_archive(report)
    for check in CHECKS:
        failures = report.failed(check)
        verdict = "ok" if not failures else f"FAILED ({len(failures)})"
        say(f"{check}: {verdict}, {report.checked.get(check, 0)} checked")
        for finding in failures:
            say(f"  {finding.subject}: {finding.problem}")
    for note in report.notes:
        say(f"note: {note}")
    for warning in report.warnings:
        say(f"WARNING: {warning}")
    return report


def _compare_migrations(report: RestoreReport, expected: list[list[str]], found: list[list[str]]) -> None:
    report.checked["migrations"] = len(expected)
    expected_set, found_set = {tuple(m) for m in expected}, {tuple(m) for m in found}
    for app, name in sorted(expected_set - found_set):
        report.findings.append(Finding("migrations", f"{app}.{name}", "applied in the backup, not in the restore"))
    for app, name in sorted(found_set - expected_set):
        report.findings.append(Finding("migrations", f"{app}.{name}", "applied in the restore, not in the backup"))
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(found_set - known)
    for app, name in unknown:
        report.findings.append(
            Finding(
                "migrations",
                f"{app}.{name}",
                f"this Slid ({config.__version__}) does not have it: run the version that made the backup "
                f"({report.manifest['slid_version']})",
            )
        )
    to_apply = sorted(known - found_set)
    if to_apply:
        report.notes.append(
            f"{len(to_apply)} migrations of this Slid are newer than the backup (first: {to_apply[0][0]}."
            f"{to_apply[0][1]}): run `manage.py migrate` once the restore is proven."
        )


def _compare_counts(report: RestoreReport, expected: dict[str, int], found: dict[str, int]) -> None:
    report.checked["row_counts"] = len(expected)
    for table in sorted(set(expected) | set(found)):
        if expected.get(table) != found.get(table):
            report.findings.append(
                Finding(
                    "row_counts",
                    table,
                    f"{_rows(found.get(table))} restored, {_rows(expected.get(table))} in the backup",
                )
            )


def _rows(count: int | None) -> str:
    return "no table" if count is None else f"{count} rows"


def _check_custody(report: RestoreReport) -> None:
    integrity = integrity_check()
    report.checked["custody"] = integrity.items_checked
    for finding in integrity.findings:
        report.findings.append(Finding("custody", finding.ern, finding.problem))


def _check_checkpoints(report: RestoreReport) -> None:
    """verify_custody's other half: the checkpoints against the restored chains, and the audit log's chain.
    Both sit in the database they check, so an old backup passes: the latest root is printed, to compare
    with the one published outside it."""
    anchored = checkpoints_check()
    report.checked["checkpoints"] = anchored.checkpoints_checked
    for finding in anchored.findings:
        report.findings.append(Finding("checkpoints", finding.ern, finding.problem))
    report.notes.extend(anchored.notices)
    latest = Checkpoint.objects.order_by("-id").first()
    if latest is None:
        report.notes.append("The restored record has no checkpoint: nothing outside the database anchors it.")
        return
    report.notes.append(
        f"The latest checkpoint of the restored record is checkpoint {latest.pk}, built "
        f"{latest.created_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC, root {latest.root}. Compare it with the latest "
        "root published outside Slid (`manage.py checkpoint_root --check ROOT`): a later published root means this "
        "backup is older than the record was, and everything after it is missing from it."
    )


def _compare_heads(report: RestoreReport, expected: dict[str, dict], found: dict[str, dict]) -> None:
    report.checked["chain_heads"] = len(expected)
    for public_id, head in expected.items():
        restored = found.get(public_id)
        if restored is None:
            report.findings.append(Finding("chain_heads", head["ern"], "in the backup, missing from the restore"))
        elif restored != head:
            report.findings.append(
                Finding(
                    "chain_heads",
                    head["ern"],
                    f"last custody entry {restored['sequence']} ({restored['entry_hash']}), the backup's is "
                    f"{head['sequence']} ({head['entry_hash']})",
                )
            )
    for public_id in found.keys() - expected.keys():
        report.findings.append(Finding("chain_heads", found[public_id]["ern"], "in the restore, not in the backup"))


def _compare_audit(report: RestoreReport, expected: dict[str, Any], found: dict[str, Any]) -> None:
    report.checked["audit"] = expected["entries"]
    for name, value in expected["chain"].items():
        if found["chain"][name] != value:
            report.findings.append(
                Finding("audit", f"chain {name}", f"{found['chain'][name]} restored, {value} backed up")
            )
    for name in ("entries", "last_id", "last_entry_sha256", "log_sha256"):
        if expected[name] != found[name]:
            report.findings.append(Finding("audit", name, f"{found[name]} restored, {expected[name]} backed up"))


def archive_stores() -> list[tuple[str, Any]]:
    """The stores whose copies the proof re-hashes: the primary archive and each replica
    (SLID_ARCHIVE_REPLICAS)."""
    return [(name, storages[name]) for name in configured_stores()]


def _check_fixity(report: RestoreReport) -> None:
    """Every recorded copy (store, key) is there and has its item's SHA-256; each (store, key) is read once
    (duplicates share their bytes), each item reported. A copy still pending was never written, and is
    counted apart; so are copies in stores this Slid is not configured with."""
    stores = dict(archive_stores())
    copies = ArchiveCopy.objects.order_by("store", "evidence__ern", "id").values_list(
        "store", "key", "state", "evidence__ern", "evidence__sha256"
    )
    verdicts: dict[tuple[str, str, str], str | None] = {}
    pending: Counter[str] = Counter()
    elsewhere: Counter[str] = Counter()
    report.checked["fixity"] = 0
    for store_name, key, state, ern, sha256 in copies.iterator(chunk_size=1000):
        if store_name not in stores:
            elsewhere[store_name] += 1
            continue
        if state == CopyState.PENDING:
            pending[store_name] += 1
            continue
        report.checked["fixity"] += 1
        if (store_name, key, sha256) not in verdicts:
            verdicts[store_name, key, sha256] = _copy_problem(stores[store_name], key, sha256)
        if verdicts[store_name, key, sha256] is not None:
            report.findings.append(
                Finding("fixity", ern, f"{store_name} store, {key}: {verdicts[store_name, key, sha256]}")
            )
    uncopied = EvidenceItem.objects.exclude(archive_key="").filter(copies__isnull=True).order_by("ern")
    for ern in uncopied.values_list("ern", flat=True):
        report.findings.append(Finding("fixity", ern, "archived, but no copy of it is recorded in any store"))
    for store_name, count in sorted(pending.items()):
        report.notes.append(
            f"{count} copies in the {store_name} store are pending (never made yet), not checked: the copies sweep "
            "makes them once the service runs (or `manage.py repair_copies`)."
        )
    for store_name, count in sorted(elsewhere.items()):
        report.notes.append(
            f"{count} copies are recorded in the store {store_name}, which this Slid is not configured with "
            "(SLID_ARCHIVE_REPLICAS): not checked."
        )


def _copy_problem(store: Any, key: str, sha256: str) -> str | None:
    look = look_at(store, key)
    if look.error:
        return f"cannot be read: {look.error}"
    if look.missing:
        return "missing"
    return None if look.sha256 == sha256 else f"SHA-256 is {look.sha256}, expected {sha256}"


# --- Whether the archive is newer than the backup ----------------------------------------------------


def _warn_of_newer_archive(report: RestoreReport) -> None:
    """Files in an archive store that no item of the restored record refers to were archived after the
    backup: those items are not in the record, and new ones would be given their ERNs again."""
    referenced = set(EvidenceItem.objects.exclude(archive_key="").values_list("archive_key", flat=True).iterator())
    for store_name, store in archive_stores():
        unreferenced, first = 0, None
        try:
            for key in stored_keys(store):
                match = REPAIRED_KEY.match(key)
                if (match["archive_key"] if match else key) not in referenced:
                    unreferenced, first = unreferenced + 1, first or key
        except Exception as problem:  # noqa: BLE001 - a store that cannot be listed is named, not a crash
            report.notes.append(f"The {store_name} store could not be listed ({type(problem).__name__}: {problem}).")
            continue
        if unreferenced:
            report.warnings.append(
                f"The {store_name} store holds {unreferenced} files that no item of the restored record refers to "
                f"(the first: {first}): the archive is newer than this backup. The items they belong to are not in "
                "the restored record, and new evidence would be given their ERNs again: find them (a newer backup, "
                "pgBackRest, the published checkpoints, the packages sent) before the service takes new evidence."
            )


def stored_keys(store: Any) -> Iterator[str]:
    """Every key in an archive store, but the hidden files of writes in progress (workers.archive)."""
    bucket = getattr(store, "bucket", None)
    if bucket is not None:  # S3: one paginated listing of the bucket, not one request per folder
        prefix = f"{store.location.strip('/')}/" if store.location else ""
        for summary in bucket.objects.filter(Prefix=prefix):
            yield summary.key.removeprefix(prefix)
        return
    yield from _walk(store, "")


def _walk(store: Any, folder: str) -> Iterator[str]:
    try:
        folders, files = store.listdir(folder)
    except FileNotFoundError:  # a local store whose folder was never made, or was lost
        return
    for name in files:
        if not name.startswith("."):
            yield f"{folder}/{name}" if folder else name
    for name in folders:
        yield from _walk(store, f"{folder}/{name}" if folder else name)
