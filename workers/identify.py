"""The real media type of a file, from its content (libmagic), compared with what its name says."""

import mimetypes
from dataclasses import dataclass

import magic


@dataclass(frozen=True)
class Identification:
    media_type: str
    expected_from_name: str | None
    mismatch: bool
    description: str


def identify_file(path: str, original_filename: str) -> Identification:
    media_type = magic.from_file(path, mime=True)
    description = magic.from_file(path)
    expected, _ = mimetypes.guess_type(original_filename, strict=False)
    mismatch = expected is not None and not _same_kind(expected, media_type)
    return Identification(media_type, expected, mismatch, description)


def _same_kind(expected: str, actual: str) -> bool:
    # libmagic says text/plain for CSV and the like; only a different top-level type is a mismatch
    # worth flagging (a ".jpg" that is really a PDF or an executable).
    return expected == actual or expected.split("/")[0] == actual.split("/")[0]


def libmagic_version() -> str:
    return str(magic.version()) if hasattr(magic, "version") else "unknown"
