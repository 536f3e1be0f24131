"""Streaming a stored file as an attachment, with HTTP range requests (RFC 9110 §14)."""

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from urllib.parse import quote

from django.http import HttpResponse, StreamingHttpResponse
from rest_framework.exceptions import APIException
from unidecode import unidecode

from evidence.package.layout import DigestMismatch

SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Byte positions with more digits than this are beyond any file (and int() refuses 4,300 digits and more).
MAX_DIGITS = 18
BEYOND_ANY_FILE = 10**MAX_DIGITS
# What a quoted filename= may hold as it is (RFC 9110 §5.6.4, without the quote and the backslash), and
# without "%", which some clients percent-decode there.
NOT_QUOTABLE = re.compile(r'[^\x20-\x7e]|["\\%]')


class RangeNotSatisfiable(APIException):
    """416: the Range header asks for bytes the file does not have. Raised before anything is recorded."""

    status_code = 416
    default_code = "range_not_satisfiable"

    def __init__(self, size: int) -> None:
        super().__init__({"Range": [f"No byte of the range asked for is in the file, which has {size} bytes."]})
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


def attachment_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename=`` and, when the name is not plain ASCII, the exact name in
    ``filename*`` (RFC 6266 §4.3, RFC 8187), which the clients that know it prefer."""
    fallback = ascii_filename(filename)
    header = f'attachment; filename="{fallback}"'
    if filename and fallback != filename:
        header += f"; filename*=utf-8''{quote(filename, safe='')}"
    return header


def file_download(
    read: Callable[[int, int], Iterator[bytes]],
    *,
    size: int,
    filename: str,
    content_type: str,
    range_header: str | None,
    verify_whole: Callable[[Iterator[bytes]], Iterator[bytes]] | None = None,
    head: bool = False,
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
    response["Content-Disposition"] = attachment_disposition(filename)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
