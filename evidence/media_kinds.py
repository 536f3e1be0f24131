"""The kind of evidence a media type suggests, for items whose submitter did not say (``kind`` is
then guessed from the file name on upload, and set again from the content once a worker has read it)."""

import mimetypes

from evidence.models.items import EvidenceKind

# Documents that are not text/*: PDF, word processing, spreadsheets, presentations, e-mail.
DOCUMENT_TYPES = {
    "application/pdf",
    "application/rtf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.ms-outlook",
    "message/rfc822",
}
DOCUMENT_PREFIXES = ("text/", "application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.")
BY_TOP_LEVEL = {"image": EvidenceKind.PHOTO, "video": EvidenceKind.VIDEO, "audio": EvidenceKind.AUDIO}


def kind_for_media_type(media_type: str | None) -> str:
    """photo, video, audio, document or other."""
    media_type = (media_type or "").split(";")[0].strip().lower()
    if media_type in DOCUMENT_TYPES or media_type.startswith(DOCUMENT_PREFIXES):
        return EvidenceKind.DOCUMENT
    return BY_TOP_LEVEL.get(media_type.split("/")[0], EvidenceKind.OTHER)


def kind_for_file_name(name: str) -> str:
    media_type, _ = mimetypes.guess_type(name, strict=False)
    return kind_for_media_type(media_type)
