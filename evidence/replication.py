"""Copies of archived files between write-once stores: looking at a copy, and writing good bytes into a store.
Storage only, no database (evidence.services.copies records what happened).

A store is write-once (workers.archive): bytes at a key are never overwritten, moved or deleted here. So a
copy is made good at the archive key when nothing is there, and otherwise at a repair key beside it,
``<key>.repair-<n>``: damaged bytes stay where they were found, for whoever looks into how they came to be,
and the copy's record says where the good bytes now are. Bytes are published under a key only once their
SHA-256 is known to be the file's, and every copy written is read back before it counts."""

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage

from evidence import hashing

REPAIR_SUFFIX = ".repair-"
# Repair keys tried at most, after the archive key: each one already taken holds other damaged bytes.
MAX_REPAIR_KEYS = 100


class CopyFailed(Exception):
    """No good copy could be made: the message says why (the bytes read back did not match, the source's
    bytes were not the file's, every repair key was taken)."""


class SourceNotGood(CopyFailed):
    """The copy to copy from is not the file's bytes (any more): another good copy may be tried."""


def repair_key(archive_key: str, number: int) -> str:
    return f"{archive_key}{REPAIR_SUFFIX}{number}"


@dataclass(frozen=True)
class Look:
    """What one look at a copy found: its SHA-256, or that nothing is at the key (``missing``), or why it could
    not be read (``error``: the store did not answer, refused, …)."""

    sha256: str | None = None
    missing: bool = False
    error: str = ""


def look_at(store: Storage, key: str) -> Look:
    """Hashes the bytes at ``key``; any storage error is a Look with the error, never raised."""
    try:
        if not store.exists(key):
            return Look(missing=True)
        with store.open(key, "rb") as stored:
            return Look(sha256=hashing.digest_stream(stored, ["sha256"]).hexdigests["sha256"])
    except Exception as problem:  # noqa: BLE001 - OSError locally, botocore's errors on S3: all are "unreadable"
        return Look(error=f"{type(problem).__name__}: {problem}"[:2000])


@dataclass(frozen=True)
class Written:
    """Good bytes are at ``key`` in the target store (read back: SHA-256 ``sha256``)."""

    key: str
    sha256: str
    stored_now: bool  # False: the same bytes were there already (another worker, or an earlier try)
    damaged_keys: list[str] = field(default_factory=list)  # keys passed over: they hold other bytes


@contextlib.contextmanager
def verified_source(store: Storage, key: str, sha256: str) -> Iterator[str]:
    """A local path to the source copy's bytes, checked to be ``sha256``: the file itself on a local store,
    else a temporary copy hashed on the way. Raises SourceNotGood if they cannot be read or are not the
    file's bytes (another source may then be tried)."""
    if isinstance(store, FileSystemStorage):
        path = store.path(key)
        try:
            with open(path, "rb") as source:
                found = hashing.digest_stream(source, ["sha256"]).hexdigests["sha256"]
        except OSError as problem:
            raise SourceNotGood(f"The source copy {key} could not be read: {problem}") from problem
        _check_source(key, found, sha256)
        yield path
        return
    os.makedirs(settings.FILE_UPLOAD_TEMP_DIR, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as copy:
        digest = hashlib.sha256()
        try:
            with store.open(key, "rb") as source:
                while chunk := source.read(hashing.CHUNK_BYTES):
                    digest.update(chunk)
                    copy.write(chunk)
        except Exception as problem:  # noqa: BLE001 - botocore's errors are not OSErrors
            raise SourceNotGood(
                f"The source copy {key} could not be read: {type(problem).__name__}: {problem}"
            ) from problem
        copy.flush()
        _check_source(key, digest.hexdigest(), sha256)
        yield copy.name


def _check_source(key: str, found: str, sha256: str) -> None:
    if found != sha256:
        raise SourceNotGood(f"The source copy {key} has SHA-256 {found}, not {sha256}: it is not copied.")


def write_good_copy(
    source: Storage,
    source_key: str,
    target: Storage,
    archive_key: str,
    sha256: str,
    *,
    known_damaged: Sequence[str] = (),
) -> Written:
    """Makes the file's bytes (read from ``source_key`` in ``source``) present in ``target``: at the archive
    key if it is free or holds them already, else at the first repair key that is free or holds them. Keys
    in ``known_damaged`` are passed over without reading them again. Reads the written copy back. Raises
    CopyFailed, or the store's own error (an outage) for the caller to retry."""
    candidates = [archive_key, *(repair_key(archive_key, n) for n in range(1, MAX_REPAIR_KEYS + 1))]
    damaged: list[str] = [key for key in candidates if key in known_damaged]
    with verified_source(source, source_key, sha256) as path:
        for key in candidates:
            if key in known_damaged:
                continue
            with open(path, "rb") as content:
                try:
                    target.save(key, File(content, name=key))
                except FileExistsError:  # workers.archive.AlreadyArchived: the key is taken
                    look = look_at(target, key)
                    if look.error:
                        raise CopyFailed(f"{key} is there but could not be read: {look.error}") from None
                    if look.sha256 == sha256:
                        return Written(key, sha256, stored_now=False, damaged_keys=damaged)
                    damaged.append(key)
                    continue
            back = look_at(target, key)
            if back.sha256 != sha256:
                found = back.error or ("nothing" if back.missing else f"SHA-256 {back.sha256}")
                raise CopyFailed(f"{key} was written, but reading it back found {found}, not {sha256}.")
            return Written(key, sha256, stored_now=True, damaged_keys=damaged)
    raise CopyFailed(f"{archive_key} and its {MAX_REPAIR_KEYS} repair keys all hold other bytes.")
