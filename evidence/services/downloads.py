"""Serving an archived original over HTTP, with range requests (RFC 9110 §14): one path for the API's
download and the workspace's media route, so both refuse, record and verify alike.

- ``evidence_serving_refusal``: an item not archived yet, or whose archived copy failed a fixity check,
  is not served (409), ranges included;
- ``requested_range``: a range with no byte in the file is refused (``RangeNotSatisfiable``, 416) before
  anything is recorded;
- the access is recorded by the caller (``evidence.services.custody.evidence_record_access`` for each
  download; ``evidence_record_view`` once per view of an evidence page);
- ``evidence_file_response`` streams the bytes: a whole file is hashed on the way, its last chunk held
  back until the hash is known, and a copy that no longer matches breaks off and is recorded as a failed
  fixity check.
"""

import hashlib
import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import PurePosixPath
from urllib.parse import quote

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import storages
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext
from unidecode import unidecode

from evidence.agents import Agent
from evidence.errors import DomainError
from evidence.models import PRIMARY_STORE, CustodyEvent, EvidenceItem, Export
from evidence.package import layout as package_layout
from evidence.package.layout import DigestMismatch
from evidence.selectors.copies import GoodCopy, evidence_good_copies, evidence_good_copy
from evidence.services.custody import evidence_record_access
from evidence.services.fixity import evidence_record_fixity
from evidence.services.packages import export_record_damaged_original, export_record_download
from evidence.services.witnesses import package_identities_document

SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Byte positions with more digits than this are beyond any file (and int() refuses 4,300 digits and more).
MAX_DIGITS = 18
BEYOND_ANY_FILE = 10**MAX_DIGITS
# What a quoted filename= may hold as it is (RFC 9110 §5.6.4, without the quote and the backslash), and
# without "%", which some clients percent-decode there.
NOT_QUOTABLE = re.compile(r'[^\x20-\x7e]|["\\%]')


class RangeNotSatisfiable(DomainError):
    """416: the Range header asks for bytes the file does not have. Raised before anything is recorded."""

    def __init__(self, size: int) -> None:
        message = gettext("No byte of the range asked for is in the file, which has %(size)d bytes.") % {"size": size}
        super().__init__(message, field="Range")
        self.size = size


def _position(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= MAX_DIGITS else BEYOND_ANY_FILE


def requested_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single range; None to send everything. Raises RangeNotSatisfiable.

    A view calls this before it records the access, so that a refused range records nothing."""
    if not header:
        return None
    match = SINGLE_RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # several ranges or a form we do not serve: the whole file is a valid answer
    first, last = match.groups()
    if first == "":  # the last N bytes
        length = _position(last)
        if length == 0:
            raise RangeNotSatisfiable(size)
        return max(0, size - length), size - 1
    start = _position(first)
    end = min(_position(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable(size)
    return start, end


def verified_chunks(
    chunks: Iterator[bytes], *, sha256: str, on_mismatch: Callable[[str], None], label: str
) -> Iterator[bytes]:
    """The whole file's chunks, hashed on the way, with the last chunk held back until its SHA-256
    is known. On a mismatch ``on_mismatch(actual_sha256)`` is called and DigestMismatch raised, which
    breaks the response off: the client never receives a damaged file whole."""
    digest, held = hashlib.sha256(), None
    for chunk in chunks:
        if held is not None:
            yield held
        digest.update(chunk)
        held = chunk
    if digest.hexdigest() != sha256:
        on_mismatch(digest.hexdigest())
        raise DigestMismatch(label, sha256, digest.hexdigest())
    if held is not None:
        yield held


def ascii_filename(filename: str, *, default: str = "download") -> str:
    """The name transliterated to printable ASCII (Протокол огляду.pdf -> Protokol ogliadu.pdf), for
    clients that do not read ``filename*``: curl -OJ, older browsers and download managers."""
    path = PurePosixPath(filename.replace("/", "_")) if filename.strip(". ") else PurePosixPath(default)
    stem = _ascii(path.stem).strip(" ._") or default
    suffix = _ascii(path.suffix).strip(" ")
    return stem + (suffix if suffix.strip("._") else "")


def _ascii(text: str) -> str:
    return NOT_QUOTABLE.sub("_", unidecode(text))


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment`` (or ``inline``) with an ASCII ``filename=`` and, when the name is not plain ASCII,
    the exact name in ``filename*`` (RFC 6266 §4.3, RFC 8187), which the clients that know it prefer."""
    fallback = ascii_filename(filename)
    header = f'{"inline" if inline else "attachment"}; filename="{fallback}"'
    if filename and fallback != filename:
        header += f"; filename*=utf-8''{quote(filename, safe='')}"
    return header


def attachment_disposition(filename: str) -> str:
    return content_disposition(filename)


def file_download(
    read: Callable[[int, int], Iterator[bytes]],
    *,
    size: int,
    filename: str,
    content_type: str,
    range_header: str | None,
    verify_whole: Callable[[Iterator[bytes]], Iterator[bytes]] | None = None,
    head: bool = False,
    inline: bool = False,
) -> HttpResponse:
    """``read(start, length)`` yields the bytes; only the range asked for is read. When the answer is
    the whole file (no range, or a range covering all of it), its chunks pass through ``verify_whole``.
    With ``head``, the answer has the same status and headers, and nothing is read."""
    wanted = requested_range(range_header, size)
    first, last = wanted if wanted else (0, size - 1)
    length = last - first + 1 if size else 0
    if head:
        chunks: Iterator[bytes] = iter(())
    else:
        chunks = read(first, length)
        if verify_whole is not None and first == 0 and length == size:
            chunks = verify_whole(chunks)
    response = StreamingHttpResponse(chunks, status=206 if wanted else 200)
    if wanted:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(length)
    response["Content-Type"] = content_type or "application/octet-stream"
    response["Content-Disposition"] = content_disposition(filename, inline=inline)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def evidence_serving_refusal(*, item: EvidenceItem) -> str | None:
    """Why the item's archived original is not served (409), or None: it is not archived yet, or no copy of
    it is known good (every copy failed a fixity check: no byte of a copy that no longer matches, ranges
    included). One good copy, in any store, is enough."""
    if not item.archive_key:
        return gettext("%(ern)s is %(status)s; it is not archived yet.") % {"ern": item.ern, "status": item.status}
    if not evidence_good_copies(item=item):
        if item.fixity_failed_at is None:
            return gettext("%(ern)s is not served: none of its archived copies is known to be good.") % {
                "ern": item.ern
            }
        failed_on = item.fixity_failed_at.isoformat(timespec="seconds")
        return gettext(
            "%(ern)s is not served: its archived copy failed a fixity check at %(failed_on)s (it no longer "
            "matches the SHA-256 recorded at intake). Its chain of custody has the details."
        ) % {"ern": item.ern, "failed_on": failed_on}
    return None


def evidence_file_response(
    *,
    actor: AbstractBaseUser,
    item: EvidenceItem,
    range_header: str | None,
    head: bool = False,
    inline: bool = False,
    content_type: str | None = None,
) -> HttpResponse:
    """The archived original (the caller has checked who may have it, ``evidence_serving_refusal`` and the
    range, and recorded the access), read from a good copy (``evidence_good_copy``: the primary, or a replica
    when the primary is damaged or cannot be reached). A whole file is checked against the SHA-256 recorded
    at intake on the way; a copy that no longer matches breaks off and is written in custody as a failed
    fixity check of that copy, in ``actor``'s name (the next download reads another copy)."""
    agent = Agent.for_user(actor)
    copy = evidence_good_copy(item=item) or GoodCopy(PRIMARY_STORE, item.archive_key)

    def on_mismatch(actual_sha256: str) -> None:
        where = "archived copy" if copy.store == PRIMARY_STORE else f"copy in {copy.store}"
        error = (
            f"While {agent.name} downloaded {item.ern}: the {where}'s SHA-256 is {actual_sha256}, "
            f"expected {item.sha256}; the download was broken off"
        )
        evidence_record_fixity(
            item=item, agent=agent, sha256=actual_sha256, error=error, store=copy.store, key=copy.key
        )

    return file_download(
        partial(package_layout.read_range, storages[copy.store], copy.key),
        size=item.size_bytes,
        filename=item.original_filename,
        content_type=item.media_type if content_type is None else content_type,
        range_header=range_header,
        verify_whole=partial(verified_chunks, sha256=item.sha256, on_mismatch=on_mismatch, label=copy.key),
        head=head,
        inline=inline,
    )


@transaction.atomic
def evidence_record_view(*, actor: AbstractBaseUser, item: EvidenceItem, view: str, byte_range: str | None) -> bool:
    """Records a view of the item's bytes in the workspace: one ``accessed`` custody entry (and its audit
    entries, identity reveals included: evidence_record_access) per view of a page and viewer, not one per
    range the browser asks for while a video plays. ``view`` is the page view's random id; the first request
    of a view records it, with its range, and the next ones find that entry (under the item's row lock, so
    two ranges asked at once still record once). Returns whether this request recorded it."""
    EvidenceItem.objects.select_for_update().filter(pk=item.pk).values_list("pk", flat=True).get()
    seen = item.custody.filter(event_type=CustodyEvent.ACCESSED, user=actor, details__view=view).exists()
    if seen:
        return False
    evidence_record_access(actor=actor, item=item, byte_range=byte_range, view=view)
    return True


def export_file_response(
    *, actor: AbstractBaseUser, export: Export, range_header: str | None, head: bool
) -> HttpResponse:
    """A ready package's zip for ``actor``, once the caller has checked who may and the range: ``HEAD``
    records nothing; a download is audited (the identities in it revealed) before a byte is read, and an
    archived original found damaged on the way is recorded. The API's download and the workspace's."""
    answer = partial(
        file_download, size=export.size_bytes, filename=f"slid-export-{export.public_id}.zip",
        content_type="application/zip", range_header=range_header,
    )  # fmt: skip
    if head:  # the same headers, no bytes: not a download, so nothing is recorded
        return answer(lambda start, length: iter(()), head=True)
    export_record_download(actor=actor, export=export, byte_range=range_header)
    layout = package_layout.stored_layout(export.package_key)
    unseal = partial(package_identities_document, export=export) if layout.sealed else None

    def on_mismatch(segment: package_layout.Segment, actual: str, store: str, key: str) -> None:
        export_record_damaged_original(
            export=export,
            archive_key=segment.archive_key,
            sha256=actual,
            agent=Agent.for_user(actor),
            store=store,
            key=key,
        )

    return answer(partial(package_layout.package_chunks, layout, on_mismatch=on_mismatch, unseal=unseal))
