"""Uploads stream to a temporary file on disk, never into memory, and stop at the size limit. The
digests are taken as the bytes arrive: that is the evidence's hash at the moment of receipt."""

import hashlib

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.utils.translation import gettext
from rest_framework import status
from rest_framework.exceptions import APIException

from evidence.hashing import Digests


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"


def too_large() -> UploadTooLarge:
    limit = settings.SLID_MAX_UPLOAD_BYTES
    message = gettext("The upload is larger than the limit of %(limit)s bytes (%(gib).1f GiB).")
    return UploadTooLarge(message % {"limit": limit, "gib": limit / 1024**3})


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Refuses at once when the declared length is over the limit, and stops reading when the
    bytes received pass it (a client may not declare a length). Each file it completes carries
    ``receipt``: its size and digests (SHA-256 and SLID_DIGESTS), taken as the bytes arrived."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.SLID_MAX_UPLOAD_BYTES + 64 * 1024:
            raise too_large()
        self.received = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.hashers = {name: hashlib.new(name) for name in dict.fromkeys(["sha256", *settings.SLID_DIGESTS])}

    def receive_data_chunk(self, raw_data, start):
        self.received = start + len(raw_data)
        if self.received > settings.SLID_MAX_UPLOAD_BYTES:
            self.file.close()
            raise too_large()
        for hasher in self.hashers.values():
            hasher.update(raw_data)
        try:
            return super().receive_data_chunk(raw_data, start)
        except OSError:
            # Django's parser closes the file only on StopUpload: a full disk would leave it behind.
            self.file.close()
            raise

    def file_complete(self, file_size):
        file = super().file_complete(file_size)
        file.receipt = Digests(size=file_size, hexdigests={name: h.hexdigest() for name, h in self.hashers.items()})
        return file
