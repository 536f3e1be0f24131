"""Write-once archive stores, content-addressed: the key of a file is its SHA-256."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages
from django.utils import timezone
from storages.backends.s3 import S3Storage

from evidence import hashing


def archive_key(sha256: str) -> str:
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class AlreadyArchived(FileExistsError):
    pass


class WriteOnceMixin:
    """A key is written once: never overwritten, never renamed to a free name, never deleted."""

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # Taken means archived already, never "try name_2": the key is the content's own name.
        if self.exists(name):
            raise AlreadyArchived(name)
        return name

    def delete(self, name: str) -> None:
        raise PermissionError(f"The archive never deletes ({name}).")


class WriteOnceFileSystemStorage(WriteOnceMixin, FileSystemStorage):
    """Local archive: each file is made read-only once written."""

    def _save(self, name: str, content) -> str:
        saved = super()._save(name, content)
        Path(self.path(saved)).chmod(0o444)
        return saved


class ObjectLockS3Storage(WriteOnceMixin, S3Storage):
    """Objects written with S3 Object Lock in compliance mode: nobody, not even the account's root,
    can delete or overwrite them before the retention date. The bucket must have Object Lock on."""

    def get_object_parameters(self, name: str) -> dict:
        parameters = super().get_object_parameters(name)
        retain_until = timezone.now() + timedelta(days=settings.SLID_ARCHIVE_RETENTION_DAYS)
        return {**parameters, "ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": retain_until}


def store_in_archive(path: str, sha256: str) -> tuple[str, bool]:
    store, key = storages["archive"], archive_key(sha256)
    try:
        with open(path, "rb") as source:
            store.save(key, File(source, name=key))
    except AlreadyArchived:
        return key, False  # the same bytes (same SHA-256) are there already; read back below
    return key, True


def hash_archived(key: str) -> str:
    with storages["archive"].open(key, "rb") as stored:
        return hashing.digest_stream(stored, ["sha256"]).hexdigests["sha256"]
