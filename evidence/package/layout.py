"""Reading stored bytes back: a range of a stored file, and a package from its layout.

A package is kept as its layout, not as a second copy of the evidence (evidence.package.writer writes
it): runs of its structure file (zip headers, documents, manifests) and references to archived
originals. Reading it back reads the originals from the write-once archive again."""

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial

from django.core.files.storage import storages
from storages.backends.s3 import S3Storage

from evidence.models import PRIMARY_STORE
from evidence.selectors.copies import good_copy_of_key

CHUNK_BYTES = 4 * 1024 * 1024
LAYOUT_FORMAT = "slid-package-layout/1"


def read_range(storage, key: str, start: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of a stored file from ``start``, in chunks. On S3 it is one ranged GET, so
    only those bytes travel (django-storages would fetch the whole object first)."""
    if length <= 0:
        return
    with storage.open(key, "rb") as handle:
        if isinstance(storage, S3Storage):
            body = handle.obj.get(Range=f"bytes={start}-{start + length - 1}")["Body"]
            chunks = body.iter_chunks(CHUNK_BYTES)
        else:
            handle.seek(start)
            chunks = iter(lambda: handle.read(min(CHUNK_BYTES, start + length - handle.tell())), b"")
        sent = 0
        for chunk in chunks:
            sent += len(chunk)
            yield chunk
    if sent != length:
        raise OSError(f"{key} ended after {start + sent} bytes; {start + length} were expected")


class SealedPartWithheld(Exception):
    """A run of the package that is kept sealed (witness and victim identities) was asked for by a
    reader given no way to unseal it."""


class DigestMismatch(Exception):
    """An archived original read back does not have its SHA-256; ``store`` and ``key`` say which copy was read
    (when known), so that copy, and no other, is recorded as damaged."""

    def __init__(
        self, label: str, expected: str, actual: str, *, store: str | None = None, key: str | None = None
    ) -> None:
        super().__init__(f"{label}: the archived copy's SHA-256 is {actual}, expected {expected}")
        self.label, self.expected, self.actual = label, expected, actual
        self.store, self.key = store, key


@dataclass
class Segment:
    """A run of the package's bytes: from its structure file, a whole archived original, or the
    sealed part (identities, kept encrypted in the database, never in the exports store)."""

    length: int
    structure_offset: int | None = None
    archive_key: str | None = None
    sha256: str | None = None  # of the archived original
    sealed_offset: int | None = None


@dataclass
class PackageLayout:
    size: int
    sha256: str
    structure_key: str
    segments: list[Segment]

    @property
    def sealed(self) -> bool:
        """Whether some of the package's bytes are the sealed identities."""
        return any(segment.sealed_offset is not None for segment in self.segments)

    def to_json(self) -> bytes:
        return json.dumps({"format": LAYOUT_FORMAT, **asdict(self)}, indent=1).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "PackageLayout":
        document = json.loads(raw)
        if document.pop("format", None) != LAYOUT_FORMAT:
            raise ValueError(f"Not a {LAYOUT_FORMAT} document.")
        segments = [Segment(**segment) for segment in document.pop("segments")]
        return cls(**document, segments=segments)


def stored_layout(key: str) -> PackageLayout:
    with storages["exports"].open(key, "rb") as stored:
        return PackageLayout.from_json(stored.read())


def package_chunks(
    layout: PackageLayout,
    start: int,
    length: int,
    *,
    on_mismatch: Callable[..., None],
    unseal: Callable[[], bytes] | None = None,
) -> Iterator[bytes]:
    """``length`` bytes of the package from ``start``, read from its structure and the archive.

    An archived original sent whole is hashed on the way, and its last chunk held back until the
    SHA-256 is known. A copy that no longer matches is reported to ``on_mismatch(segment, actual_sha256,
    store=…, key=…)`` (the copy it was read from) and raises
    DigestMismatch, which breaks the download off: a bad file is never delivered whole.

    The sealed part is decrypted by ``unseal`` only when the range reaches it; without ``unseal``
    it raises SealedPartWithheld."""
    end, segment_start = start + length, 0
    unsealed: bytes | None = None
    for segment in layout.segments:
        if segment_start >= end:
            break
        segment_end = segment_start + segment.length
        if segment_end > start and segment.length:
            first, last = max(start, segment_start) - segment_start, min(end, segment_end) - segment_start
            if segment.sealed_offset is not None:
                if unseal is None:
                    raise SealedPartWithheld("This package holds sealed identities; they are not read here.")
                if unsealed is None:
                    unsealed = unseal()
                yield unsealed[segment.sealed_offset + first : segment.sealed_offset + last]
            elif segment.archive_key is None:
                offset = segment.structure_offset + first
                yield from read_range(storages["exports"], layout.structure_key, offset, last - first)
            else:
                # The original's good bytes: the primary's copy, or a replica's (evidence.selectors.copies).
                copy = good_copy_of_key(archive_key=segment.archive_key, size=segment.length)
                store, key = (copy.store, copy.key) if copy else (PRIMARY_STORE, segment.archive_key)
                if first == 0 and last == segment.length:
                    chunks = read_range(storages[store], key, 0, segment.length)
                    yield from _verified(chunks, segment, partial(on_mismatch, store=store, key=key))
                else:
                    yield from read_range(storages[store], key, first, last - first)
        segment_start = segment_end


def _verified(chunks: Iterator[bytes], segment: Segment, on_mismatch: Callable[[Segment, str], None]):
    digest, held = hashlib.sha256(), None
    for chunk in chunks:
        if held is not None:
            yield held
        digest.update(chunk)
        held = chunk
    if digest.hexdigest() != segment.sha256:
        on_mismatch(segment, digest.hexdigest())
        raise DigestMismatch(segment.archive_key, segment.sha256, digest.hexdigest())
    if held is not None:
        yield held
