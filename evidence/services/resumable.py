"""Resumable uploads: the server side of the tus protocol (tus.io, v1.0.0: creation, offsets, termination),
on the intake store. The browser workspace speaks the protocol (web.views.upload); this module decides.

An upload is a row (evidence.models.ResumableUpload: its owner, case, declared length, and the offset of
the bytes received, written and flushed to disk) and a file of its own under SLID_PARTIAL_UPLOADS_DIR,
which is never served. Each PATCH appends at exactly the offset recorded, under an exclusive lock on the
file, and the offset moves only once the bytes are on disk (fsync). A request that dies half-way leaves
bytes past the recorded offset: the next PATCH cuts them off before it writes.

Nothing is evidence before the last byte is in. The request that writes it hands the whole file to the
same intake service as the API's upload (evidence.services.intake.evidence_receive), which numbers the
item and writes its ``received`` custody entry; the upload is marked complete in the same transaction.
The receipt's digests are taken by reading the complete file once more, from its start: a hash object's
state cannot be kept across requests (hashlib's cannot be serialised, and each PATCH may reach another
process), so a 20 GiB file costs one more pass over the disk at the end, in exchange for a receipt
computed over exactly the bytes that are handed on. If that fails for a reason of the moment (the
database went away), the offset is left before the last chunk, so the client's retry sends it again and
the hand-over is tried again; if the intake service refuses (a rule), the upload fails with the reason
and its bytes are removed. Either way no item exists without its complete file.
"""

import contextlib
import errno
import fcntl
import logging
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evidence.errors import DomainError
from evidence.hashing import digest_file
from evidence.models import Case, Incident, ProtectedPerson, ResumableUpload, UploadState
from evidence.services.common import check_same_case
from evidence.services.intake import EVIDENCE_SUBMITTED_FIELDS, evidence_receive

logger = logging.getLogger(__name__)

TUS_VERSION = "1.0.0"
SHA256 = re.compile(r"[0-9a-f]{64}")
FILENAME_MAX_LENGTH = 1000
WRITE_BYTES = 1024 * 1024  # read from the request and written a megabyte at a time
# Fields given on to evidence_receive: everything the API's upload takes but the file and its hash.
UPLOAD_FIELDS = EVIDENCE_SUBMITTED_FIELDS - {"submitted_sha256"}
MOMENT_FIELDS = ("captured_at", "acquired_at")


class UploadConflict(DomainError):
    """The request does not fit the upload's state: another offset, another request writing (409)."""


class UploadTooLarge(DomainError):
    """Over SLID_MAX_UPLOAD_BYTES, or past the length declared (413)."""


class UploadGone(DomainError):
    """Cancelled, expired or failed: nothing more can be sent to it (410)."""


@dataclass(frozen=True)
class Appended:
    upload: ResumableUpload
    received: int  # bytes of this request written
    complete: bool


def partial_path(upload: ResumableUpload) -> Path:
    return Path(settings.SLID_PARTIAL_UPLOADS_DIR) / str(upload.case.public_id) / str(upload.public_id)


def too_large_message(limit: int) -> str:
    return _("The file is larger than the limit of %(limit)s bytes (%(gib).1f GiB).") % {
        "limit": limit,
        "gib": limit / 1024**3,
    }


def upload_create(
    *,
    actor: AbstractBaseUser,
    case: Case,
    filename: str,
    length: int,
    submitted_sha256: str = "",
    fields: dict[str, Any] | None = None,
    incidents: Iterable[Incident] = (),
    protected_persons: Iterable[ProtectedPerson] = (),
) -> ResumableUpload:
    """Opens an upload of ``length`` bytes for ``actor`` in ``case``. ``fields`` are the intake fields as
    evidence_receive takes them (moments as aware datetimes), already read by the caller's form; they are
    kept with the upload and given to evidence_receive with the last byte."""
    fields = dict(fields or {})
    unknown = sorted(set(fields) - UPLOAD_FIELDS)
    if unknown:
        raise DomainError(_("%(field)s cannot be set here.") % {"field": unknown[0]}, field=unknown[0])
    if not filename or "\x00" in filename or len(filename) > FILENAME_MAX_LENGTH:
        raise DomainError(
            _("The file name must be 1 to %(n)d characters, without NUL.") % {"n": FILENAME_MAX_LENGTH},
            field="filename",
        )
    if length <= 0:
        raise DomainError(_("The file is empty."), field="Upload-Length")
    if length > settings.SLID_MAX_UPLOAD_BYTES:
        raise UploadTooLarge(too_large_message(settings.SLID_MAX_UPLOAD_BYTES), field="Upload-Length")
    submitted_sha256 = submitted_sha256.lower()
    if submitted_sha256 and not SHA256.fullmatch(submitted_sha256):
        raise DomainError(_("Expected 64 hexadecimal characters."), field="sha256")
    incidents, protected_persons = list(dict.fromkeys(incidents)), list(dict.fromkeys(protected_persons))
    for incident in incidents:
        check_same_case(case, incidents=incident)
    for person in protected_persons:
        check_same_case(case, protected_persons=person)
    for name in MOMENT_FIELDS:
        if isinstance(fields.get(name), datetime):
            fields[name] = fields[name].isoformat()
    fields["incidents"] = [incident.pk for incident in incidents]
    fields["protected_persons"] = [person.pk for person in protected_persons]
    with transaction.atomic():
        upload = ResumableUpload.objects.create(
            case=case, owner=actor, filename=filename, length=length, submitted_sha256=submitted_sha256, fields=fields
        )
        path = partial_path(upload)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Its own file, readable by the service alone; exclusive creation, so two uploads never share one.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return upload


def upload_append(
    *, actor: AbstractBaseUser, upload: ResumableUpload, offset: int, stream: BinaryIO, content_length: int
) -> Appended:
    """Writes the bytes of one PATCH at ``offset``, which must be the upload's offset, and hands the file to
    intake once the last byte is in. A request whose client goes away keeps what arrived."""
    _check_open(upload)
    if offset != upload.offset:
        raise UploadConflict(
            _("The upload has %(have)d bytes; this request starts at byte %(offset)d. Ask for the offset (HEAD).")
            % {"have": upload.offset, "offset": offset},
            field="Upload-Offset",
        )
    if content_length < 0 or offset + content_length > upload.length:
        raise UploadTooLarge(
            _("These bytes would go past the length declared (%(length)d bytes).") % {"length": upload.length},
            field="Content-Length",
        )
    path = partial_path(upload)
    try:
        descriptor = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        raise UploadGone(_("This upload's bytes are gone; start it again."), field="upload") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadConflict(
                _("Another request is writing to this upload; ask for the offset (HEAD) and go on from there."),
                field="upload",
            ) from None
        # Under the lock, what the database says is final: another request may have moved it meanwhile.
        upload.refresh_from_db()
        _check_open(upload)
        if upload.offset != offset:
            raise UploadConflict(
                _("The upload has %(have)d bytes; this request starts at byte %(offset)d.")
                % {"have": upload.offset, "offset": offset},
                field="Upload-Offset",
            )
        os.ftruncate(descriptor, offset)  # bytes of a request that died before its offset was recorded
        received = _write(descriptor, stream, offset=offset, count=content_length)
        os.fsync(descriptor)
        end = offset + received
        if end == upload.length:
            _finish(actor=actor, upload=upload, path=path, start=offset)
            return Appended(upload=upload, received=received, complete=True)
        moved = ResumableUpload.objects.filter(pk=upload.pk, offset=offset, state=UploadState.RECEIVING).update(
            offset=end, last_written_at=timezone.now()
        )
        if not moved:
            raise UploadGone(_("This upload was cancelled while the bytes arrived."), field="upload")
        upload.offset = end
        return Appended(upload=upload, received=received, complete=False)
    finally:
        os.close(descriptor)  # releases the lock


def _check_open(upload: ResumableUpload) -> None:
    if upload.state == UploadState.COMPLETE:
        raise UploadConflict(
            _("Every byte of this upload is in: it was received as %(ern)s.") % {"ern": upload.item.ern},
            field="upload",
        )
    if upload.state != UploadState.RECEIVING:
        raise UploadGone(upload.reason or _("This upload is %(state)s.") % {"state": upload.get_state_display()})


def _write(descriptor: int, stream: BinaryIO, *, offset: int, count: int) -> int:
    """Copies up to ``count`` bytes from the request to the file at ``offset``; returns how many arrived."""
    written = 0
    while written < count:
        try:
            chunk = stream.read(min(WRITE_BYTES, count - written))
        except Exception:  # the client went away mid-request (each server words it its own way)
            logger.info("An upload's request ended after %d of %d bytes", written, count, exc_info=True)
            break
        if not chunk:
            break
        view = memoryview(chunk)
        while view:
            done = os.pwrite(descriptor, view, offset + written)
            written += done
            view = view[done:]
    return written


class _HandedOver(File):
    """The complete file, under a name of its own (a hard link) that the intake store may move into place:
    the upload's own file stays until the item is committed, so a failure leaves it whole for a retry."""

    def __init__(self, path: Path) -> None:
        self._path = path
        super().__init__(path.open("rb"), name=path.name)

    def temporary_file_path(self) -> str:
        return str(self._path)


def _finish(*, actor: AbstractBaseUser, upload: ResumableUpload, path: Path, start: int) -> None:
    """Hands the complete file to intake: the receipt's digests read from the file, then evidence_receive,
    and the upload marked complete in the same transaction."""
    if path.stat().st_size != upload.length:
        raise UploadConflict(_("The file on disk is not the length declared; send the last chunk again."))
    receipt = digest_file(str(path), ["sha256", *settings.SLID_DIGESTS])
    try:
        fields, incidents, persons = _intake_arguments(upload)
    except DomainError as refusal:
        _fail(upload, path, refusal.message)
        raise
    link = path.with_name(f"{path.name}.{uuid.uuid4().hex}.intake")
    os.link(path, link)
    handed = _HandedOver(link)
    try:
        with transaction.atomic():
            item = evidence_receive(
                actor=actor,
                case=upload.case,
                upload=handed,
                original_filename=upload.filename,
                incidents=incidents,
                protected_persons=persons,
                receipt=receipt,
                submitted_sha256=upload.submitted_sha256,
                **fields,
            )
            finished = ResumableUpload.objects.filter(pk=upload.pk, offset=start, state=UploadState.RECEIVING).update(
                offset=upload.length, state=UploadState.COMPLETE, item=item, last_written_at=timezone.now()
            )
            if not finished:
                raise UploadGone(_("This upload was cancelled while the bytes arrived."), field="upload")
    except UploadGone:
        raise
    except DomainError as refusal:
        _fail(upload, path, refusal.message)
        raise
    finally:
        handed.close()
        with contextlib.suppress(FileNotFoundError):
            link.unlink()  # still there when the store copied it (S3, another disk) or nothing was committed
    upload.offset, upload.state, upload.item = upload.length, UploadState.COMPLETE, item
    with contextlib.suppress(OSError):
        path.unlink()


def _intake_arguments(upload: ResumableUpload) -> tuple[dict, list[Incident], list[ProtectedPerson]]:
    fields = dict(upload.fields)
    incident_ids, person_ids = fields.pop("incidents", []), fields.pop("protected_persons", [])
    for name in MOMENT_FIELDS:
        if fields.get(name):
            fields[name] = datetime.fromisoformat(fields[name])
    incidents = list(Incident.objects.filter(case=upload.case, pk__in=incident_ids))
    persons = list(ProtectedPerson.objects.filter(case=upload.case, pk__in=person_ids))
    if len(incidents) != len(set(incident_ids)) or len(persons) != len(set(person_ids)):
        raise DomainError(_("An incident or a protected person named for this file is no longer in the case."))
    return fields, incidents, persons


def _fail(upload: ResumableUpload, path: Path, reason: str) -> None:
    ResumableUpload.objects.filter(pk=upload.pk, state=UploadState.RECEIVING).update(
        state=UploadState.FAILED, reason=reason, last_written_at=timezone.now()
    )
    upload.state, upload.reason = UploadState.FAILED, reason
    with contextlib.suppress(OSError):
        path.unlink()


def upload_terminate(*, actor: AbstractBaseUser, upload: ResumableUpload) -> None:
    """Cancels an upload that is still receiving, and removes its bytes (tus termination). A request
    writing to it meanwhile finds it cancelled and records nothing."""
    if upload.state == UploadState.COMPLETE:
        raise UploadConflict(
            _("This file was received as %(ern)s; evidence is never deleted.") % {"ern": upload.item.ern},
            field="upload",
        )
    cancelled = ResumableUpload.objects.filter(pk=upload.pk, state=UploadState.RECEIVING).update(
        state=UploadState.TERMINATED, reason=_("Cancelled by %(user)s.") % {"user": actor.get_username()}
    )
    if not cancelled:
        upload.refresh_from_db()
        _check_open(upload)
    with contextlib.suppress(FileNotFoundError):
        partial_path(upload).unlink()


def uploads_expire(*, now: datetime | None = None, orphans_older_than: timedelta = timedelta(hours=1)) -> list[str]:
    """Removes the bytes of uploads nobody has sent to for SLID_UPLOAD_EXPIRY_HOURS (marked expired), and
    files in SLID_PARTIAL_UPLOADS_DIR that no receiving upload owns, once older than ``orphans_older_than``
    (left by a request that died between creating the file and committing its row, or a hand-over whose
    clean-up failed). Returns the public ids of the uploads expired."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.SLID_UPLOAD_EXPIRY_HOURS)
    stale = ResumableUpload.objects.filter(state=UploadState.RECEIVING, last_written_at__lt=cutoff)
    expired = []
    for upload in stale.select_related("case"):
        if ResumableUpload.objects.filter(pk=upload.pk, state=UploadState.RECEIVING, last_written_at__lt=cutoff).update(
            state=UploadState.EXPIRED, reason=_("Nothing was sent to this upload for too long; start it again.")
        ):
            with contextlib.suppress(FileNotFoundError):
                partial_path(upload).unlink()
            expired.append(str(upload.public_id))
    _remove_orphans(now - orphans_older_than)
    return expired


def _remove_orphans(cutoff: datetime) -> None:
    root = Path(settings.SLID_PARTIAL_UPLOADS_DIR)
    if not root.is_dir():
        return
    receiving = {
        str(pk)
        for pk in ResumableUpload.objects.filter(state=UploadState.RECEIVING).values_list("public_id", flat=True)
    }
    for folder in root.iterdir():
        for path in folder.iterdir() if folder.is_dir() else ():
            with contextlib.suppress(FileNotFoundError):
                if path.name in receiving or path.stat().st_mtime >= cutoff.timestamp():
                    continue
                # Created since the list was read: not an orphan.
                if ResumableUpload.objects.filter(public_id=_uuid(path.name), state=UploadState.RECEIVING).exists():
                    continue
                path.unlink()


def _uuid(name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(name)
    except ValueError:
        return None


def disk_full(error: OSError) -> bool:
    return error.errno in (errno.ENOSPC, errno.EDQUOT)
