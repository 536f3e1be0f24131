"""Restoring a backup into an empty database, and proving the restore.

The backup is checked before anything is written: its manifest must be well formed and believable
(evidence.backups.source: an encrypted backup's authenticates under the key given; an unencrypted
one is refused while a key is set, unless allowed), its dump must have the SHA-256 the manifest
gives, and an encrypted dump must be of the key given and authenticate chunk by chunk (its
plaintext must then have the manifest's ``plaintext_sha256`` too). The restore runs in one
transaction. The proof (evidence.backups.proof) then reads the restored record and compares it
with the manifest:

- ``migrations``: the applied migrations are the manifest's (and this Slid knows each of them);
- ``row_counts``: every table holds the rows it held;
- ``custody``: every chain of custody verifies, every item's hashes are its custody's, the ERNs run
  without a gap (``evidence.selectors.integrity``);
- ``checkpoints``: every checkpoint is reproduced by the restored chains and the audit log's chain
  holds (``evidence.selectors.checkpoints``; with ``custody``, ``verify_custody``'s checks); the latest
  checkpoint's root is printed, to compare with the one published outside Slid;
- ``chain_heads``: every item's last custody entry is the manifest's, no item missing or added;
- ``audit``: the head of the audit log's chain, and the log's count, last entry and SHA-256, are the
  manifest's;
- ``fixity``: every recorded copy of an archived file (each store, at the key its record gives: a
  repair key once repaired) is there and has the item's SHA-256; copies still waiting to be made are
  counted apart.

A valid backup can still be an old one: the proof warns of files in the archive stores that no item
of the restored record refers to (the archive is newer than the backup), and prints the latest
checkpoint, since only a root published outside the database tells an old record from today's.
"""

import hashlib
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from evidence.backups import crypto, postgres
from evidence.backups.proof import CHECKS, Finding, RestoreReport, restore_proof
from evidence.backups.source import BackupSource, RestoreRefused, backup_manifest, manifest_check_authentic

__all__ = ["CHECKS", "BackupSource", "Finding", "RestoreRefused", "RestoreReport", "backup_manifest", "backup_restore",
           "restore_proof"]  # fmt: skip

CHUNK_BYTES = 1024 * 1024


# --- The restore ------------------------------------------------------------------------------


def backup_restore(
    backup: str,
    *,
    key: bytes | None,
    allow_unencrypted: bool = False,
    say: Callable[[str], None] = lambda line: None,
) -> RestoreReport:
    """Restores ``backup`` into the (empty) database of Django's settings, as their role, then
    proves it (``restore_proof``). Raises RestoreRefused, with nothing written, if the target is not
    empty or the backup is not what its manifest says, or its manifest is not authentic."""
    database = postgres.Database.from_settings()
    source = BackupSource(backup)
    manifest = source.manifest()
    unauthenticated = manifest_check_authentic(manifest, key=key, allow_unencrypted=allow_unencrypted)
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
    report = restore_proof(manifest, say=say)
    if unauthenticated:
        report.warnings.append(unauthenticated)
        say(f"WARNING: {unauthenticated}")
    return report


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


def _decrypted(stored: Path, dump_section: dict[str, Any], key: bytes, folder: Path) -> Path:
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
