"""Where a backup is (a name in the backups store, or a folder copied off it), and whether its manifest
may be believed: well formed (every field the restore and the proof read, of its type) and, for an
encrypted backup, authenticated under the backup key (crypto.manifest_mac). Whoever can write the
backups store without the key can neither forge an encrypted backup's manifest nor pass off a plain
dump while a key is set."""

import json
import re
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.core.files.storage import storages

from evidence.backups import crypto
from evidence.backups.make import DUMP, ENCRYPTED_DUMP, FORMAT, MANIFEST

# A backup's name in the backups store: one folder, never a path.
STORE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


class RestoreRefused(Exception):
    """Nothing was restored, for the reason given."""


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
        if self.folder is None and not STORE_NAME.match(self.name):
            raise RestoreRefused(
                f"{backup!r} is neither a folder nor the name of a backup in the backups store (one name of letters, "
                "digits, '.', '_' and '-', as `backup_database --list` shows them)."
            )
        self.store = storages["backups"]

    @contextmanager
    def open(self, file_name: str) -> IO[bytes]:
        if file_name not in (MANIFEST, DUMP, ENCRYPTED_DUMP):  # never a path the manifest makes up
            raise RestoreRefused(f"A backup holds no file {file_name!r}.")
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
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise RestoreRefused(
                f"The manifest of {self.name} is not a {FORMAT} manifest"
                + (f" (it is {found!r}: restore it with the Slid that made it)." if isinstance(found, str) else ".")
            )
        problem = manifest_problem(manifest)
        if problem:
            raise RestoreRefused(f"The manifest of {self.name} is not well formed: {problem}. Nothing was restored.")
        return manifest


# --- The manifest's shape, and whether it is authentic --------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _optional(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_hex64(value: Any) -> bool:
    return isinstance(value, str) and bool(HEX64.match(value))


def _is_time(value: Any) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _fields_problem(section: Any, path: str, fields: dict[str, tuple[Callable[[Any], bool], str]]) -> str | None:
    if not isinstance(section, dict):
        return f"`{path}` is not an object"
    for name, (check, wanted) in fields.items():
        if name not in section:
            return f"`{path}{name}` is missing"
        if not check(section[name]):
            return f"`{path}{name}` is not {wanted}"
    return None


def manifest_problem(manifest: dict[str, Any]) -> str | None:
    """What is wrong with the manifest's structure (the first thing found), or None: every field the
    restore and the proof read, of the type they read it as."""
    text, count, optional_count = (_is_str, "text"), (_is_int, "a number"), (_optional(_is_int), "a number or null")
    problem = _fields_problem(
        manifest,
        "",
        {
            "name": text,
            "created_at": (_is_time, "a time with its offset"),
            "slid_version": text,
            "migrations": (
                lambda value: (
                    isinstance(value, list)
                    and all(isinstance(m, list) and len(m) == 2 and all(map(_is_str, m)) for m in value)
                ),
                "a list of [app, name]",
            ),
            "row_counts": (
                lambda value: isinstance(value, dict) and all(map(_is_int, value.values())),
                "an object of row counts",
            ),
            "chain_heads": (lambda value: isinstance(value, dict), "an object"),
            "audit": (lambda value: isinstance(value, dict), "an object"),
            "dump": (lambda value: isinstance(value, dict), "an object"),
        },
    )
    if problem:
        return problem
    for public_id, head in manifest["chain_heads"].items():
        problem = _fields_problem(
            head,
            f"chain_heads.{public_id}.",
            {"ern": text, "sequence": optional_count, "entry_hash": (_optional(_is_hex64), "a SHA-256 or null")},
        )
        if problem:
            return problem
    audit = manifest["audit"]
    problem = _fields_problem(
        audit,
        "audit.",
        {
            "chain": (lambda value: isinstance(value, dict), "an object"),
            "entries": count,
            "last_id": optional_count,
            "last_entry_sha256": (_optional(_is_hex64), "a SHA-256 or null"),
            "log_sha256": (_is_hex64, "a SHA-256"),
        },
    ) or _fields_problem(
        audit["chain"],
        "audit.chain.",
        {
            "links": count,
            "head_position": optional_count,
            "head_link_hash": (_optional(_is_hex64), "a SHA-256 or null"),
        },
    )
    if problem:
        return problem
    dump = manifest["dump"]
    problem = _fields_problem(
        dump,
        "dump.",
        {
            "file": (lambda value: value in (DUMP, ENCRYPTED_DUMP), f"{DUMP} or {ENCRYPTED_DUMP}"),
            "size_bytes": count,
            "sha256": (_is_hex64, "a SHA-256"),
            "plaintext_sha256": (_is_hex64, "a SHA-256"),
            "encryption": (lambda value: value is None or isinstance(value, dict), "an object or null"),
        },
    )
    if problem:
        return problem
    if dump["encryption"] is not None:
        problem = _fields_problem(dump["encryption"], "dump.encryption.", {"scheme": text, "key_id": text})
        if problem:
            return problem
    if (dump["file"] == ENCRYPTED_DUMP) != (dump["encryption"] is not None):
        return f"`dump.file` is {dump['file']}, but `dump.encryption` says the dump is " + (
            "encrypted" if dump["encryption"] is not None else "not encrypted"
        )
    if manifest.get("authentication") is not None:
        return _fields_problem(
            manifest["authentication"], "authentication.", {"scheme": text, "key_id": text, "mac": text}
        )
    return None


def manifest_check_authentic(
    manifest: dict[str, Any], *, key: bytes | None, allow_unencrypted: bool = False
) -> str | None:
    """Raises RestoreRefused (or crypto.BackupKeyError) unless the manifest may be believed: an encrypted
    backup's must authenticate under ``key``; an unencrypted backup has no authentication, and is refused
    while a key is set unless ``allow_unencrypted``. Returns a note for the report, or None."""
    name, encryption = manifest["name"], manifest["dump"]["encryption"]
    if encryption is None:
        if key is not None and not allow_unencrypted:
            raise RestoreRefused(
                f"Backup {name} is not encrypted, and SLID_BACKUP_KEY is set: its manifest cannot be authenticated, "
                "and anyone who can write the backups store can make such a backup, or replace one. Nothing was "
                "restored. If you know where this backup comes from (one made before backups were encrypted), "
                "restore it with --allow-unencrypted."
            )
        return (
            f"backup {name} is not encrypted: its manifest is not authenticated, so nothing proves it was made by "
            "Slid rather than by whoever could write the backups store."
        )
    if encryption["scheme"] != crypto.SCHEME:
        raise RestoreRefused(f"The dump is encrypted with {encryption['scheme']!r}, which this Slid cannot read.")
    if key is None:
        raise RestoreRefused(
            f"The dump is encrypted (key {encryption['key_id']}): set SLID_BACKUP_KEY to that key. "
            "Nothing was restored."
        )
    crypto.check_key(encryption["key_id"], key)
    authentication = manifest.get("authentication")
    if (
        authentication is None
        or authentication["scheme"] != crypto.MANIFEST_MAC_SCHEME
        or authentication["key_id"] != encryption["key_id"]
        or not crypto.manifest_authentic(manifest, key, authentication["mac"])
    ):
        raise RestoreRefused(
            f"The manifest of {name} does not authenticate under key {encryption['key_id']}: it was changed after "
            "it was written, or made by someone without the key. Nothing was restored."
        )
    return None


def backup_manifest(backup: str, *, key: bytes | None, allow_unencrypted: bool = False) -> dict[str, Any]:
    """The manifest of ``backup``, well formed and authentic (manifest_check_authentic), for --check-only."""
    manifest = BackupSource(backup).manifest()
    manifest_check_authentic(manifest, key=key, allow_unencrypted=allow_unencrypted)
    return manifest
