"""BagIt 1.0 (RFC 8493) packages in a zip, stored (not recompressed).

A package is kept as its layout, not as a second copy of the evidence. The zip's own bytes (local
headers, documents, manifests, central directory) are stored once, in the package's structure
file; each evidence file is a reference to its write-once archived original. Building reads every
original once, as a stream, and never holds a file whole in memory; downloading reads the
originals again from the archive and checks each against its SHA-256 on the way out.
"""

import hashlib
import struct
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import BinaryIO

from django.core.files.storage import storages
from isal import isal_zlib

from evidence import replication
from evidence.hashing import DigestLane
from evidence.models import PRIMARY_STORE
from evidence.package.contents import BAGIT_PROFILE, ExportContents, ExportFile
from evidence.package.layout import DigestMismatch, PackageLayout, Segment
from evidence.selectors.copies import good_copy_of_key

PAYLOAD_ALGORITHMS = ["sha256", "sha512"]

# zipfile takes every member's CRC-32 with zlib's (~2.4 GB/s here), through its module global
# `crc32`; ISA-L computes the same value at ~11 GB/s. On two cores that is ~9% of an export's time.
zipfile.crc32 = isal_zlib.crc32


class PackageWriter:
    """A forward-only file for zipfile. The zip's own bytes go to ``structure``; while a payload
    file is written (``payload()``), its bytes are only hashed, and the layout refers to the
    archived original instead. zipfile, seeing it cannot seek, writes a data descriptor after each
    member rather than going back to patch its header: the bytes are final as they pass, so the
    package's SHA-256 is taken on the way.

    Two lanes hash (workers.hashing.DigestLane): one the package's and the payload's SHA-256, the
    other the payload's SHA-512; the calling thread reads and zipfile takes the CRC-32."""

    def __init__(self, structure: BinaryIO) -> None:
        self.structure, self.size, self.segments = structure, 0, []
        self._structure_size = 0
        self.package_sha256 = hashlib.sha256()
        self.lanes = {"sha256": DigestLane(), "sha512": DigestLane()}
        self._payload_hashers: dict | None = None
        # The bytes of sealed documents (identities) go here instead of the structure: they are kept
        # only encrypted (evidence.services.witnesses.package_identities_seal).
        self.sealed = bytearray()
        self._sealing = False

    def __enter__(self) -> "PackageWriter":
        for lane in self.lanes.values():
            lane.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        for lane in self.lanes.values():
            lane.__exit__(*exc_info)

    @contextmanager
    def payload(self, archive_key: str, sha256: str) -> Iterator[dict]:
        """Between a member's header and its data descriptor: yields the payload's hashers, to
        read after ``drain()``."""
        hashers = {name: hashlib.new(name) for name in PAYLOAD_ALGORITHMS}
        self.segments.append(Segment(0, archive_key=archive_key, sha256=sha256))
        self._payload_hashers = hashers
        try:
            yield hashers
        finally:
            self._payload_hashers = None

    @contextmanager
    def sealed_part(self) -> Iterator[None]:
        """While a sealed document's content is written: its bytes are hashed for the package and kept
        in ``sealed``, and the layout refers to them, never to the structure."""
        self._sealing = True
        try:
            yield
        finally:
            self._sealing = False

    def write(self, data: bytes) -> int:
        payload = self._payload_hashers
        if payload is not None:
            self.lanes["sha256"].feed((self.package_sha256, payload["sha256"]), data)
            self.lanes["sha512"].feed((payload["sha512"],), data)
        elif self._sealing:
            self.lanes["sha256"].feed((self.package_sha256,), bytes(data))
            self.segments.append(Segment(0, sealed_offset=len(self.sealed)))
            self.sealed += data
        else:
            self.lanes["sha256"].feed((self.package_sha256,), data)
            last = self.segments[-1] if self.segments else None
            if last is None or last.structure_offset is None:
                self.segments.append(Segment(0, structure_offset=self._structure_size))
            self.structure.write(data)
            self._structure_size += len(data)
        self.segments[-1].length += len(data)
        self.size += len(data)
        return len(data)

    def drain(self) -> None:
        for lane in self.lanes.values():
            lane.drain()

    def tell(self) -> int:
        return self.size

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        self.structure.flush()

    def layout(self, structure_key: str) -> PackageLayout:
        self.drain()
        sha256 = self.package_sha256.hexdigest()
        return PackageLayout(size=self.size, sha256=sha256, structure_key=structure_key, segments=self.segments)


# The zip's "extended timestamp" extra field (Info-ZIP, header 0x5455): the modification time in Unix seconds,
# UTC. A zip's own date has no zone; with this, unzip, 7-Zip and libarchive show the UTC time it states.
EXTENDED_TIMESTAMP = 0x5455


def member_info(name: str, built_at: datetime) -> zipfile.ZipInfo:
    """A zip member dated ``built_at`` (the package's build time, UTC): in the header's own date and time
    (which has no zone and two-second steps) and, exactly, in an extended timestamp."""
    built_at = built_at.astimezone(UTC)
    info = zipfile.ZipInfo(name, date_time=built_at.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    seconds = int(built_at.timestamp())
    if seconds < 2**31:  # the extended timestamp is a signed 32-bit number: after 2038 the header's date alone
        info.extra = struct.pack("<HHBl", EXTENDED_TIMESTAMP, 5, 1, seconds)
    return info


def manifest_path(path: str) -> str:
    """RFC 8493 §2.1.3: percent-encode CR, LF and % in file paths of manifests."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def write_bag(
    contents: ExportContents, out: PackageWriter, *, progress: Callable[[int, int], None] = lambda done, total: None
) -> None:
    """Writes the bag into ``out`` as a zip; raises DigestMismatch (and stops) if an evidence file
    read back from the archive does not have its recorded SHA-256."""
    total = sum(f.size for f in contents.files) + sum(len(content) for content in contents.documents.values())
    done = 0
    digests: dict[str, dict[str, str]] = {}
    sealed = {f"data/{path}" for path in contents.sealed_documents}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as bag:

        def add(path: str, content: bytes = b"", archived: ExportFile | None = None) -> dict[str, str]:
            nonlocal done
            with bag.open(
                member_info(f"{contents.bag_name}/{path}", contents.built_at), "w", force_zip64=True
            ) as target:
                if archived is None:
                    with out.sealed_part() if path in sealed else nullcontext():
                        target.write(content)
                    done += len(content)
                    progress(done, total)
                    return {name: hashlib.new(name, content).hexdigest() for name in PAYLOAD_ALGORITHMS}
                # The original's good bytes: the primary's copy, or a replica's (evidence.selectors.copies).
                copy = good_copy_of_key(archive_key=archived.archive_key, size=archived.size)
                read_from[archived.archive_key] = (
                    (copy.store, copy.key) if copy else (PRIMARY_STORE, archived.archive_key)
                )
                store, key = read_from[archived.archive_key]
                with out.payload(archived.archive_key, archived.sha256) as hashers:
                    for chunk in replication.read_chunks(storages[store], key):  # streamed, never whole
                        target.write(chunk)
                        done += len(chunk)
                        progress(done, total)
            out.drain()
            return {name: hasher.hexdigest() for name, hasher in hashers.items()}

        read_from: dict[str, tuple[str, str]] = {}
        for archived in contents.files:
            hexdigests = add(f"data/{archived.path}", archived=archived)
            if hexdigests["sha256"] != archived.sha256:
                store, key = read_from[archived.archive_key]
                raise DigestMismatch(archived.ern, archived.sha256, hexdigests["sha256"], store=store, key=key)
            digests[f"data/{archived.path}"] = hexdigests
        for path, content in contents.documents.items():
            digests[f"data/{path}"] = add(f"data/{path}", content)

        tag_files = {
            "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            "bag-info.txt": _bag_info(contents.info, total, len(digests), contents.built_at),
            "bagit-profile.json": BAGIT_PROFILE,
        }
        for algorithm in PAYLOAD_ALGORITHMS:
            lines = (f"{d[algorithm]}  {manifest_path(path)}\n" for path, d in sorted(digests.items()))
            tag_files[f"manifest-{algorithm}.txt"] = "".join(lines).encode("utf-8")
        tag_digests = {}
        for path, content in tag_files.items():
            tag_digests[path] = add(path, content)["sha256"]
        tag_manifest = "".join(f"{digest}  {path}\n" for path, digest in sorted(tag_digests.items()))
        add("tagmanifest-sha256.txt", tag_manifest.encode("utf-8"))


def _bag_info(tags: dict[str, str | list[str]], octets: int, streams: int, built_at: datetime) -> bytes:
    info = {"Bagging-Date": built_at.astimezone(UTC).date().isoformat(), **tags, "Payload-Oxum": f"{octets}.{streams}"}
    lines = []
    for label, values in info.items():
        for value in values if isinstance(values, list) else [values]:
            # A tag value is one line: line breaks inside a value become spaces.
            lines.append(f"{label}: {' '.join(str(value).split())}")
    return ("\n".join(lines) + "\n").encode("utf-8")
