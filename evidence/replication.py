"""Copies of archived files between write-once stores: looking at a copy, and writing good bytes into a store.
Storage only, no database (evidence.services.copies records what happened).

A store is write-once (workers.archive): bytes at a key are never overwritten, moved or deleted here. So a
copy is made good at the archive key when nothing is there, and otherwise at a repair key beside it,
``<key>.repair-<n>``: damaged bytes stay where they were found, for whoever looks into how they came to be,
and the copy's record says where the good bytes now are. Bytes are published under a key only once their
SHA-256 is known to be the file's: a local store checks the bytes it writes against the key itself
(workers.archive), and an S3 store is sent a private temporary copy, the one that was hashed, never the source's
path again (bytes changed there in between would become a locked version). Every copy written is read back
before it counts.

Reading never holds a file whole in memory: on S3 it is one streamed GET (django-storages' own file object
fetches the whole object into a spool first). Asking whether a copy can be read (``probe_size``, for a web
thread choosing where to read, and the health check) waits a second or two at most, and a store that did not
answer is not asked again for ``UNANSWERED_SECONDS``."""

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

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


def read_chunks(store: Storage, key: str) -> Iterator[bytes]:
    """The bytes at ``key``, in chunks of ``hashing.CHUNK_BYTES``: never the whole file in memory."""
    if isinstance(store, S3Storage):
        with store.open(key, "rb") as handle:  # a HEAD: a missing key is FileNotFoundError, as locally
            body = handle.obj.get()["Body"]
            with contextlib.closing(body):
                yield from body.iter_chunks(hashing.CHUNK_BYTES)
        return
    with store.open(key, "rb") as stored:
        while chunk := stored.read(hashing.CHUNK_BYTES):
            yield chunk


def look_at(store: Storage, key: str) -> Look:
    """Hashes the bytes at ``key``; any storage error is a Look with the error, never raised."""
    try:
        if not store.exists(key):
            return Look(missing=True)
        digest = hashlib.sha256()
        for chunk in read_chunks(store, key):
            digest.update(chunk)
        return Look(sha256=digest.hexdigest())
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
def verified_source(store: Storage, key: str, sha256: str, *, private: bool = False) -> Iterator[str]:
    """A local path to the source copy's bytes, checked to be ``sha256``: the file itself on a local store
    (unless ``private``), else a private temporary copy hashed on the way, which nobody else changes. Raises
    SourceNotGood if they cannot be read or are not the file's bytes (another source may then be tried)."""
    if isinstance(store, FileSystemStorage) and not private:
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
            for chunk in read_chunks(store, key):
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
    # A local target checks what it writes against the key; an S3 target is sent the bytes that were hashed.
    private = not isinstance(target, FileSystemStorage)
    with verified_source(source, source_key, sha256, private=private) as path:
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


# --- Asking whether a store answers, without holding a web thread ------------------------------------------

# One try, a second to connect and two to answer (botocore's defaults: 60 s each, retried).
PROBE_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1, "mode": "standard"})
# A store that did not answer is taken as not answering for this long, without asking it again.
UNANSWERED_SECONDS = 30


class StoreNotAnswering(OSError):
    """The store did not answer a probe (now, or within the last ``UNANSWERED_SECONDS``)."""


_probe_lock = threading.Lock()
_probe_clients: dict[tuple, object] = {}
_unanswered: dict[tuple, tuple[float, str]] = {}


def _identity(store: S3Storage) -> tuple:
    return (store.endpoint_url, store.region_name, store.bucket_name, store.access_key)


def _probe_client(store: S3Storage):
    identity = _identity(store)
    with _probe_lock:
        client = _probe_clients.get(identity)
        if client is None:
            session = boto3.session.Session(
                aws_access_key_id=store.access_key,
                aws_secret_access_key=store.secret_key,
                aws_session_token=store.security_token,
            )
            client = session.client(
                "s3",
                region_name=store.region_name,
                endpoint_url=store.endpoint_url,
                use_ssl=store.use_ssl,
                verify=store.verify,
                config=store.client_config.merge(PROBE_CONFIG),
            )
            _probe_clients[identity] = client
        return client


def _head(store: S3Storage, key: str) -> dict | None:
    """The object's HEAD answer, None when nothing is at ``key``. Raises ClientError for any other answer of
    the store, StoreNotAnswering when it gave none (remembered for ``UNANSWERED_SECONDS``)."""
    identity = _identity(store)
    with _probe_lock:
        since = _unanswered.get(identity)
    if since is not None and time.monotonic() - since[0] < UNANSWERED_SECONDS:
        ago = int(time.monotonic() - since[0])
        raise StoreNotAnswering(f"{store.bucket_name} did not answer {ago} s ago: {since[1]}")
    try:
        return _probe_client(store).head_object(Bucket=store.bucket_name, Key=store._normalize_name(clean_name(key)))
    except ClientError as answer:
        if answer.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            return None
        raise
    except Exception as problem:  # noqa: BLE001 - botocore's connection errors and timeouts: no answer
        why = f"{type(problem).__name__}: {problem}"[:300]
        with _probe_lock:
            _unanswered[identity] = (time.monotonic(), why)
        raise StoreNotAnswering(f"{store.bucket_name} did not answer: {why}") from problem


def probe_size(store: Storage, key: str) -> int:
    """The size of the file at ``key``, asked with short timeouts and no retry: for a web thread choosing which
    copy to read. Raises FileNotFoundError, the store's refusal, or StoreNotAnswering."""
    if not isinstance(store, S3Storage):
        return store.size(key)
    head = _head(store, key)
    if head is None:
        raise FileNotFoundError(f"Nothing is stored at {key}")
    return head["ContentLength"]


def probe_s3(store: S3Storage) -> None:
    """Raises unless the store answers a HEAD request (of a key that need not exist) within the probe's
    timeouts: the bucket and the credentials are then good for reading."""
    _head(store, "health")


def forget_unanswered() -> None:
    """Forgets which stores did not answer (tests; a store that is back is asked again at once)."""
    with _probe_lock:
        _unanswered.clear()
