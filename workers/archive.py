"""Write-once archive stores, content-addressed: the key of a file is its SHA-256.

A copy appears at its key only complete. On the local store it is written to a temporary file in
the key's folder, flushed to disk, and hard-linked into place (a link never replaces a file that
exists); on S3 an object appears only once its upload completes. Bytes found at a key that do not
have its SHA-256 (a partial file left by a worker killed before this was so, or damage) are kept for
inspection, never deleted: moved aside on the local store, left as an older version on S3."""

import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages
from django.utils import timezone
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from evidence import hashing

# A copy being written: hidden, in the key's folder, never mistaken for a key (keys are bare hex).
TEMPORARY_SUFFIX = ".partial"
# A temporary file this old belongs to a write that died (a write that is alive keeps it fresh).
STALE_TEMPORARY_SECONDS = 3600


def archive_key(sha256: str) -> str:
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class AlreadyArchived(FileExistsError):
    pass


class StoredCopy(NamedTuple):
    """What store_in_archive did, for the custody entry."""

    key: str
    # This call wrote the bytes; False when the same bytes (same SHA-256) were there already.
    stored_now: bool
    # Where bytes found at the key with another SHA-256 were kept: a key on the local store,
    # "<key>?versionId=<id>" on S3; empty when there were none.
    damaged_kept_as: str = ""

    @property
    def replaced_damaged(self) -> bool:
        return bool(self.damaged_kept_as)


class WriteOnceMixin:
    """A key is written once: never overwritten, never renamed to a free name, never deleted. The
    one exception is bytes at a key that are not the key's content (replace_damaged)."""

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # Taken means archived already, never "try name_2": the key is the content's own name.
        if self.exists(name):
            raise AlreadyArchived(name)
        return name

    def delete(self, name: str) -> None:
        raise PermissionError(f"The archive never deletes ({name}).")

    def replace_damaged(self, name: str, content: File, sha256: str) -> StoredCopy:
        """Stores content at name, which holds bytes whose SHA-256 is not ``sha256``: those bytes are
        kept for inspection, never deleted."""
        raise NotImplementedError


class ContentMismatch(ValueError):
    """The bytes given to be stored do not hash to their key: they are never published under it."""


class WriteOnceFileSystemStorage(WriteOnceMixin, FileSystemStorage):
    """Local archive: each file is made read-only once written."""

    def _save(self, name: str, content: File) -> str:
        final = Path(self.path(name))
        folder = final.parent
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(folder)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{final.name}.", suffix=TEMPORARY_SUFFIX, dir=folder)
        try:
            hasher = hashlib.sha256()
            with os.fdopen(descriptor, "wb") as written:
                for chunk in content.chunks():
                    hasher.update(chunk)
                    written.write(chunk)
                written.flush()
                os.fsync(written.fileno())
            # The key is the content's SHA-256 (a repair key adds ".repair-<n>" to it): bytes that changed
            # since they were hashed never get it.
            if hasher.hexdigest() != final.name.partition(".")[0]:
                raise ContentMismatch(f"The bytes to be stored as {name} have SHA-256 {hasher.hexdigest()}.")
            os.chmod(temporary, 0o444)
            try:
                os.link(temporary, final)
            except FileExistsError:
                raise AlreadyArchived(name) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        _fsync_folder(folder)
        return name

    def replace_damaged(self, name: str, content: File, sha256: str) -> StoredCopy:
        final = Path(self.path(name))
        # Serialised per folder, so two workers finding the same damaged file move it aside once
        # (and neither mistakes the other's good copy for damage).
        with _folder_lock(final.parent):
            kept_as = ""
            if final.exists():
                if _sha256_of(self, name) == sha256:
                    return StoredCopy(name, stored_now=False)  # another worker repaired it meanwhile
                kept_as = self._move_aside(name)
            try:
                self.save(name, content)
            except AlreadyArchived:
                return StoredCopy(name, stored_now=False, damaged_kept_as=kept_as)
            return StoredCopy(name, stored_now=True, damaged_kept_as=kept_as)

    def _move_aside(self, name: str) -> str:
        final = Path(self.path(name))
        aside_name = f"{name}.damaged-{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}"
        aside = Path(self.path(aside_name))
        os.link(final, aside)  # like a rename that never replaces: the bytes always keep a name
        os.unlink(final)
        os.chmod(aside, 0o444)
        _fsync_folder(final.parent)
        return aside_name


class ObjectLockS3Storage(WriteOnceMixin, S3Storage):
    """Objects written with S3 Object Lock in compliance mode: nobody, not even the account's root,
    can delete or overwrite them before the retention date. The bucket must have Object Lock on
    (which turns versioning on)."""

    def get_object_parameters(self, name: str) -> dict:
        parameters = super().get_object_parameters(name)
        retain_until = timezone.now() + timedelta(days=settings.SLID_ARCHIVE_RETENTION_DAYS)
        return {**parameters, "ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": retain_until}

    def replace_damaged(self, name: str, content: File, sha256: str) -> StoredCopy:
        client, key = self.connection.meta.client, self._normalize_name(clean_name(name))
        if client.get_bucket_versioning(Bucket=self.bucket_name).get("Status") != "Enabled":
            raise PermissionError(
                f"{name} holds bytes that are not its content, and bucket {self.bucket_name} has no versioning: "
                "a new object would destroy them. Turn versioning (Object Lock) on."
            )
        version = client.head_object(Bucket=self.bucket_name, Key=key)["VersionId"]
        body = client.get_object(Bucket=self.bucket_name, Key=key, VersionId=version)["Body"]
        with contextlib.closing(body):
            found = hashing.digest_stream(body, ["sha256"]).hexdigests["sha256"]
        if found == sha256:
            return StoredCopy(name, stored_now=False)  # another worker put a good version meanwhile
        # A new version over it; the damaged one stays, locked, as an older version.
        self._save(name, content)
        return StoredCopy(name, stored_now=True, damaged_kept_as=f"{name}?versionId={version}")


def store_in_archive(path: str, sha256: str) -> StoredCopy:
    """Stores the file at ``path``, whose SHA-256 is ``sha256``, at its key. Bytes already at the
    key count as archived only when their SHA-256 matches; else they are kept aside (see
    StoredCopy.damaged_kept_as) and the file is stored in their place."""
    store, key = storages["archive"], archive_key(sha256)
    with open(path, "rb") as source:
        content = File(source, name=key)
        try:
            store.save(key, content)
        except AlreadyArchived:
            pass
        else:
            return StoredCopy(key, stored_now=True)
        if hash_archived(key) == sha256:
            return StoredCopy(key, stored_now=False)
        return store.replace_damaged(key, content, sha256)


def hash_archived(key: str) -> str:
    return _sha256_of(storages["archive"], key)


def _sha256_of(store, key: str) -> str:
    with store.open(key, "rb") as stored:
        return hashing.digest_stream(stored, ["sha256"]).hexdigests["sha256"]


def _remove_stale_temporaries(folder: Path) -> None:
    """Removes what writes that died left in the folder. A temporary file was never an archived
    copy (only a link to a complete one is), so removing it loses nothing."""
    stale_before = time.time() - STALE_TEMPORARY_SECONDS
    for entry in os.scandir(folder):
        if entry.name.startswith(".") and entry.name.endswith(TEMPORARY_SUFFIX):
            with contextlib.suppress(FileNotFoundError):
                if entry.stat(follow_symlinks=False).st_mtime < stale_before:
                    os.unlink(entry.path)


def _fsync_folder(folder: Path) -> None:
    """Makes a new name in the folder survive a power cut, not only the file's bytes."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
