"""Streaming a stored file as an attachment, with HTTP range requests (RFC 9110 §14)."""

import re
from collections.abc import Callable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """(first, last) byte of a single range; None to send everything; "unsatisfiable" for a 416."""
    if not header:
        return None
    match = SINGLE_RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # several ranges or a form we do not serve: the whole file is a valid answer
    first, last = match.groups()
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, end


def file_download(
    read: Callable[[int, int], Iterator[bytes]],
    *,
    size: int,
    filename: str,
    content_type: str,
    range_header: str | None,
) -> HttpResponse:
    """``read(start, length)`` yields the bytes; only the range asked for is read."""
    wanted = _parse_range(range_header, size)
    if wanted == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    first, last = wanted if wanted else (0, size - 1)
    length = last - first + 1 if size else 0
    response = StreamingHttpResponse(read(first, length), status=206 if wanted else 200)
    if wanted:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(length)
    response["Content-Type"] = content_type or "application/octet-stream"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
