"""Streaming a stored file as an attachment, with HTTP range requests (RFC 9110 §14).

The streaming is evidence.services.downloads's, shared with the workspace's media route; here its
refusal of a range becomes DRF's 416 (api.exceptions adds ``Content-Range: bytes */size``)."""

from django.utils.translation import gettext
from rest_framework.exceptions import APIException

from evidence.services import downloads as shared
from evidence.services.downloads import (  # noqa: F401 - the API's names for the shared helpers
    ascii_filename,
    attachment_disposition,
    verified_chunks,
)


class RangeNotSatisfiable(APIException):
    """416: the Range header asks for bytes the file does not have. Raised before anything is recorded."""

    status_code = 416
    default_code = "range_not_satisfiable"

    def __init__(self, size: int) -> None:
        message = gettext("No byte of the range asked for is in the file, which has %(size)d bytes.") % {"size": size}
        super().__init__({"Range": [message]})
        self.size = size


def requested_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single range; None to send everything (evidence.services.downloads)."""
    try:
        return shared.requested_range(header, size)
    except shared.RangeNotSatisfiable as refused:
        raise RangeNotSatisfiable(refused.size) from None


def file_download(read, **options):
    """evidence.services.downloads.file_download, with a refused range as the API's 416."""
    try:
        return shared.file_download(read, **options)
    except shared.RangeNotSatisfiable as refused:
        raise RangeNotSatisfiable(refused.size) from None
