"""Uploads stream to a temporary file on disk, never into memory, and stop at the size limit."""

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from rest_framework import status
from rest_framework.exceptions import APIException


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"


def too_large() -> UploadTooLarge:
    limit = settings.SLID_MAX_UPLOAD_BYTES
    return UploadTooLarge(f"The upload is larger than the limit of {limit} bytes ({limit / 1024**3:.1f} GiB).")


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Refuses at once when the declared length is over the limit, and stops reading when the
    bytes received pass it (a client may not declare a length)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.SLID_MAX_UPLOAD_BYTES + 64 * 1024:
            raise too_large()
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received = start + len(raw_data)
        if self.received > settings.SLID_MAX_UPLOAD_BYTES:
            self.file.close()
            raise too_large()
        return super().receive_data_chunk(raw_data, start)
