"""Making a backup: the database dumped by pg_dump (custom format) inside one exported snapshot,
and a manifest read inside the same snapshot, so it describes exactly what was dumped, whatever
the service writes meanwhile. Both go to the backups store, the manifest last: a backup without
its manifest is one that did not finish. With a key, the manifest carries an HMAC under a key derived
from it (``authentication``; crypto.manifest_mac), so a restore can tell it from a forged one."""

import hashlib
import json
import logging
import secrets
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import storages

import config
from evidence import hashing
from evidence.backups import crypto, postgres
from evidence.backups.state import record_state

logger = logging.getLogger(__name__)

# /2: the manifest is authenticated, and its audit section holds the head of the audit log's chain.
FORMAT = "slid-backup/2"
MANIFEST = "manifest.json"
DUMP = "database.pgdump"
ENCRYPTED_DUMP = "database.pgdump.enc"
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Backup:
    name: str
    manifest: dict[str, Any]


def backup_key() -> bytes | None:
    """SLID_BACKUP_KEY, read now (a mistyped key stops the backup, naming the variable); None when unset."""
    return crypto.parse_key(settings.SLID_BACKUP_KEY) if settings.SLID_BACKUP_KEY else None


def backup_make(*, database: postgres.Database | None = None, key: bytes | None = None) -> Backup:
    """Backs the database up to the backups store; returns its name and manifest."""
    database = database or postgres.Database.from_settings()
    store = storages["backups"]
    work = Path(settings.FILE_UPLOAD_TEMP_DIR)
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="slid-backup-", dir=work) as folder:
        dump_path = Path(folder) / (ENCRYPTED_DUMP if key else DUMP)
        with database.connect() as connection:
            # One snapshot for pg_dump and for the manifest: REPEATABLE READ, kept open until both are done.
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True
            snapshot, created_at, server, postgis = connection.execute(
                "SELECT pg_export_snapshot(), now(), current_setting('server_version'), "
                "(SELECT extversion FROM pg_extension WHERE extname = 'postgis')"
            ).fetchone()
            with ThreadPoolExecutor(max_workers=1) as executor:
                dumped = executor.submit(_write_dump, database, snapshot, dump_path, key)
                state = record_state(connection)
                dump = dumped.result()
            connection.rollback()
        name = f"slid-{created_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        manifest = {
            "format": FORMAT,
            "name": name,
            "created_at": created_at.isoformat(),
            "slid_version": config.__version__,
            "database": {"name": database.name, "server_version": server, "postgis": postgis},
            "pg_dump": postgres.tool_version("pg_dump"),
            "dump": dump,
            **state,
        }
        if key:
            manifest["authentication"] = {
                "scheme": crypto.MANIFEST_MAC_SCHEME,
                "key_id": crypto.key_id(key),
                "mac": crypto.manifest_mac(manifest, key),
            }
        _store(store, f"{name}/{dump_path.name}", dump_path, sha256=dump["sha256"])
    store.save(f"{name}/{MANIFEST}", ContentFile(json.dumps(manifest, indent=1, ensure_ascii=False).encode()))
    logger.info("Backup %s written: %s bytes, SHA-256 %s", name, dump["size_bytes"], dump["sha256"])
    return Backup(name, manifest)


def _write_dump(database: postgres.Database, snapshot: str, path: Path, key: bytes | None) -> dict[str, Any]:
    """Runs pg_dump into ``path`` (encrypted with ``key`` if given); the manifest's ``dump`` section."""
    plain = hashlib.sha256()
    stored = hashlib.sha256()
    size = 0

    def plaintext() -> Iterator[bytes]:
        for piece in postgres.dump_chunks(database, snapshot=snapshot, chunk_bytes=CHUNK_BYTES):
            plain.update(piece)
            yield piece

    pieces = crypto.encrypt_chunks(plaintext(), key) if key else plaintext()
    with open(path, "xb") as written:
        path.chmod(0o600)
        for piece in pieces:
            stored.update(piece)
            written.write(piece)
            size += len(piece)
        written.flush()
    encryption = {"scheme": crypto.SCHEME, "key_id": crypto.key_id(key)} if key else None
    return {
        "file": path.name,
        "size_bytes": size,
        "sha256": stored.hexdigest(),
        "plaintext_sha256": plain.hexdigest(),
        "encryption": encryption,
    }


def _store(store, name: str, path: Path, *, sha256: str) -> None:
    """Saves the file at ``name`` and reads the stored copy back: it must have the SHA-256 just computed."""
    with open(path, "rb") as source:
        saved = store.save(name, File(source, name=name))
    if saved != name:
        raise FileExistsError(f"{name} exists in the backups store already (saved as {saved}).")
    with store.open(name, "rb") as stored:
        found = hashing.digest_stream(stored, ["sha256"]).hexdigests["sha256"]
    if found != sha256:
        raise OSError(f"The copy in the backups store has SHA-256 {found}, not {sha256}: the store damaged it.")


def backups_list() -> list[dict[str, Any]]:
    """The backups in the store, oldest first: name, time, size and whether encrypted (from each manifest)."""
    store = storages["backups"]
    try:
        folders, _ = store.listdir("")
    except FileNotFoundError:  # a local store's folder is made by the first backup
        return []
    found = []
    for folder in sorted(folders):
        if not store.exists(f"{folder}/{MANIFEST}"):
            found.append({"name": folder, "complete": False})
            continue
        with store.open(f"{folder}/{MANIFEST}", "rb") as opened:
            manifest = json.load(opened)
        found.append(
            {
                "name": folder,
                "complete": True,
                "created_at": datetime.fromisoformat(manifest["created_at"]),
                "size_bytes": manifest["dump"]["size_bytes"],
                "encrypted": manifest["dump"]["encryption"] is not None,
                "items": len(manifest["chain_heads"]),
            }
        )
    return found
