"""Restoring a backup into an empty database, and proving the restore.

The backup is checked before anything is written: its dump must have the SHA-256 its manifest
gives, and an encrypted dump must be of the key given and authenticate chunk by chunk (its
plaintext must then have the manifest's ``plaintext_sha256`` too). The restore runs in one
transaction. The proof then reads the restored record and compares it with the manifest:

- ``migrations``: the applied migrations are the manifest's (and this Slid knows each of them);
- ``row_counts``: every table holds the rows it held;
- ``custody``: every chain of custody verifies, every item's hashes are its custody's, the ERNs run
  without a gap (``verify_custody``'s checks, ``evidence.selectors.integrity``);
- ``chain_heads``: every item's last custody entry is the manifest's, no item missing or added;
- ``audit``: the audit log's count, last entry and SHA-256 are the manifest's;
- ``fixity``: every archived item's copy is in the archive store and has its SHA-256.
"""

import hashlib
import json
import tempfile
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection
from django.db.migrations.loader import MigrationLoader

import config
from evidence import hashing
from evidence.backups import crypto, postgres
from evidence.backups.make import FORMAT, MANIFEST
from evidence.backups.state import record_state
from evidence.models import EvidenceItem
from evidence.selectors.copies import configured_stores
from evidence.selectors.integrity import integrity_check

CHUNK_BYTES = 1024 * 1024
CHECKS = ("migrations", "row_counts", "custody", "chain_heads", "audit", "fixity")


class RestoreRefused(Exception):
    """Nothing was restored, for the reason given."""


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
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def failed(self, check: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.check == check]


# --- Where a backup is ------------------------------------------------------------------------


class BackupSource:
    """A backup by its name in the backups store, or a local folder holding its manifest and dump
    (one copied off the store, or off another site's)."""

    def __init__(self, backup: str) -> None:
        path = Path(backup)
        if path.is_file() and path.name == MANIFEST:
            path = path.parent
        self.folder = path if path.is_dir() else None
        self.name = backup.rstrip("/") if self.folder is None else str(path)
        self.store = storages["backups"]

    @contextmanager
    def open(self, file_name: str) -> IO[bytes]:
        if self.folder is not None:
            with open(self.folder / file_name, "rb") as opened:
                yield opened
            return
        key = f"{self.name}/{file_name}"
        if not self.store.exists(key):
            raise RestoreRefused(f"There is no {file_name} of backup {self.name!r} in the backups store.")
        with self.store.open(key, "rb") as opened:
            yield opened

    def manifest(self) -> dict[str, Any]:
        try:
            with self.open(MANIFEST) as opened:
                manifest = json.load(opened)
        except FileNotFoundError:
            raise RestoreRefused(f"{self.name} has no {MANIFEST}: not a backup, or one that did not finish.") from None
        except json.JSONDecodeError as error:
            raise RestoreRefused(f"The manifest of {self.name} is not JSON ({error}).") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise RestoreRefused(f"The manifest of {self.name} is not a {FORMAT} manifest.")
        return manifest


# --- The restore ------------------------------------------------------------------------------


def backup_restore(backup: str, *, key: bytes | None, say: Callable[[str], None] = lambda line: None) -> RestoreReport:
    """Restores ``backup`` into the (empty) database of Django's settings, as their role, then
    proves it (``restore_proof``). Raises RestoreRefused, with nothing written, if the target is not
    empty or the backup is not what its manifest says."""
    database = postgres.Database.from_settings()
    source = BackupSource(backup)
    manifest = source.manifest()
    dump_section = manifest["dump"]

    found = postgres.objects_in(database)
    if found:
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise RestoreRefused(
            f"Database {database.name!r} is not empty: it holds {len(found)} tables or views ({shown}). "
            "A backup is restored only into an empty database: create a new one (as the superuser: CREATE DATABASE "
            "… OWNER slid_owner; then CREATE EXTENSION postgis in it) and restore into that."
        )
    if "postgis" not in postgres.extensions_in(database):
        raise RestoreRefused(
            f"Database {database.name!r} has no PostGIS: as the superuser, run CREATE EXTENSION postgis in it first "
            "(the owner role may not create it)."
        )

    work = Path(settings.FILE_UPLOAD_TEMP_DIR)
    work.mkdir(parents=True, exist_ok=True)
    with ExitStack() as cleanup:
        folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="slid-restore-", dir=work)))
        say(f"Checking the dump of {manifest['name']} against its manifest…")
        stored = _fetched(source, dump_section, folder)
        plain = _decrypted(stored, dump_section, key, folder) if dump_section["encryption"] else stored
        say(f"Restoring {manifest['name']} into {database.name!r}…")
        postgres.run_restore(database, plain)
    connection.close()  # Django's next query sees the restored tables with a new connection
    say("Restored. Proving the restore…")
    return restore_proof(manifest, say=say)


def _fetched(source: BackupSource, dump_section: dict[str, Any], folder: Path) -> Path:
    """The stored dump, copied to ``folder`` (from S3, or a folder that may change), checked
    against the manifest's SHA-256 as it is copied."""
    target = folder / "stored"
    digest = hashlib.sha256()
    with source.open(dump_section["file"]) as opened, open(target, "xb") as written:
        while chunk := opened.read(CHUNK_BYTES):
            digest.update(chunk)
            written.write(chunk)
    if digest.hexdigest() != dump_section["sha256"]:
        raise RestoreRefused(
            f"The dump {dump_section['file']} has SHA-256 {digest.hexdigest()}, but its manifest says "
            f"{dump_section['sha256']}: it changed after it was written. Nothing was restored."
        )
    return target


def _decrypted(stored: Path, dump_section: dict[str, Any], key: bytes | None, folder: Path) -> Path:
    encryption = dump_section["encryption"]
    if encryption.get("scheme") != crypto.SCHEME:
        raise RestoreRefused(f"The dump is encrypted with {encryption.get('scheme')!r}, which this Slid cannot read.")
    if key is None:
        raise RestoreRefused(
            f"The dump is encrypted (key {encryption['key_id']}): set SLID_BACKUP_KEY to that key. "
            "Nothing was restored."
        )
    target = folder / "plain"
    digest = hashlib.sha256()
    try:
        with open(stored, "rb") as source, open(target, "xb") as written:
            target.chmod(0o600)
            for chunk in crypto.decrypt_chunks(source, key):
                digest.update(chunk)
                written.write(chunk)
    except (crypto.BackupKeyError, crypto.DecryptionError) as error:
        raise RestoreRefused(f"{error} Nothing was restored.") from None
    if digest.hexdigest() != dump_section["plaintext_sha256"]:
        raise RestoreRefused(
            f"The decrypted dump has SHA-256 {digest.hexdigest()}, but the manifest says "
            f"{dump_section['plaintext_sha256']}. Nothing was restored."
        )
    stored.unlink()
    return target


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
    _compare_heads(report, manifest["chain_heads"], state["chain_heads"])
    _compare_audit(report, manifest["audit"], state["audit"])
    _check_fixity(report)
    for check in CHECKS:
        failures = report.failed(check)
        verdict = "ok" if not failures else f"FAILED ({len(failures)})"
        say(f"{check}: {verdict}, {report.checked.get(check, 0)} checked")
        for finding in failures:
            say(f"  {finding.subject}: {finding.problem}")
    for note in report.notes:
        say(f"note: {note}")
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
    for name in ("entries", "last_id", "last_entry_sha256", "log_sha256"):
        if expected[name] != found[name]:
            report.findings.append(Finding("audit", name, f"{found[name]} restored, {expected[name]} backed up"))


def archive_stores() -> list[tuple[str, Any]]:
    """The stores whose copies the proof re-hashes: the primary archive and each replica
    (SLID_ARCHIVE_REPLICAS)."""
    return [(name, storages[name]) for name in configured_stores()]


def _check_fixity(report: RestoreReport) -> None:
    """Every archived item's copy is present and has the item's SHA-256. Items with the same bytes
    share a key (duplicates): each key is read once, each item reported."""
    items = EvidenceItem.objects.exclude(archive_key="").order_by("ern").values_list("ern", "archive_key", "sha256")
    report.checked["fixity"] = 0
    for store_name, store in archive_stores():
        verdicts: dict[str, str | None] = {}
        for ern, key, sha256 in items.iterator(chunk_size=1000):
            report.checked["fixity"] += 1
            if key not in verdicts:
                verdicts[key] = _copy_problem(store, key, sha256)
            if verdicts[key] is not None:
                report.findings.append(Finding("fixity", ern, f"{store_name} store, {key}: {verdicts[key]}"))


def _copy_problem(store, key: str, sha256: str) -> str | None:
    try:
        if not store.exists(key):
            return "missing"
        with store.open(key, "rb") as stored:
            found = hashing.digest_stream(stored, ["sha256"]).hexdigests["sha256"]
    except Exception as error:  # any storage error (OSError, botocore's): the copy cannot be read
        return f"cannot be read: {type(error).__name__}: {error}"
    return None if found == sha256 else f"SHA-256 is {found}, expected {sha256}"
