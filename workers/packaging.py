"""BagIt 1.0 (RFC 8493) packages in a zip, stored (not recompressed), written as a stream: no file
is ever held whole in memory, so packages far larger than memory are fine."""

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from workers.hashing import CHUNK_BYTES, ParallelDigests

PAYLOAD_ALGORITHMS = ["sha256", "sha512"]


@dataclass
class PayloadFile:
    path: str  # below data/
    open: Callable[[], BinaryIO]
    size: int
    expected_sha256: str
    label: str  # what to call it in an error (the ERN)


@dataclass
class BagPlan:
    name: str  # the bag's folder inside the zip
    info: dict[str, str]
    files: list[PayloadFile] = field(default_factory=list)
    documents: dict[str, bytes] = field(default_factory=dict)  # path below data/ -> content


class HashingWriter:
    """A forward-only file for zipfile: it hashes the package as it is written, so the package's
    SHA-256 needs no second pass. zipfile, seeing it cannot seek, writes data descriptors instead
    of going back to patch headers."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.size = raw, 0
        # Its own thread, beside the payload's digests: the main thread only reads and writes.
        self.digests = ParallelDigests(["sha256"])

    def __enter__(self) -> "HashingWriter":
        self.digests.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.digests.__exit__(*exc_info)

    def write(self, data: bytes) -> int:
        self.digests.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def tell(self) -> int:
        return self.size

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        self.raw.flush()

    @property
    def sha256(self) -> str:
        return self.digests.result.hexdigests["sha256"]


class DigestMismatch(Exception):
    def __init__(self, label: str, expected: str, actual: str) -> None:
        super().__init__(f"{label}: the archived copy's SHA-256 is {actual}, expected {expected}")
        self.label, self.expected, self.actual = label, expected, actual


def manifest_path(path: str) -> str:
    """RFC 8493 §2.1.3: percent-encode CR, LF and % in file paths of manifests."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def write_bag(plan: BagPlan, out: BinaryIO, *, progress: Callable[[int, int], None] = lambda done, total: None):
    """Writes the bag into ``out`` as a zip; raises DigestMismatch (and stops) if an evidence file
    read back from the archive does not have its recorded SHA-256."""
    total = sum(f.size for f in plan.files) + sum(len(content) for content in plan.documents.values())
    done = 0
    digests: dict[str, dict[str, str]] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as bag:

        def add(path: str, source: BinaryIO | None, content: bytes | None = None) -> dict[str, str]:
            nonlocal done
            with bag.open(f"{plan.name}/{path}", "w", force_zip64=True) as target:
                with ParallelDigests(PAYLOAD_ALGORITHMS) as hashes:
                    chunks = iter(lambda: source.read(CHUNK_BYTES), b"") if source else [content]
                    for chunk in chunks:
                        hashes.update(chunk)
                        target.write(chunk)
                        done += len(chunk)
                        progress(done, total)
            return hashes.result.hexdigests

        for payload in plan.files:
            with payload.open() as source:
                hexdigests = add(f"data/{payload.path}", source)
            if hexdigests["sha256"] != payload.expected_sha256:
                raise DigestMismatch(payload.label, payload.expected_sha256, hexdigests["sha256"])
            digests[f"data/{payload.path}"] = hexdigests
        for path, content in plan.documents.items():
            digests[f"data/{path}"] = add(f"data/{path}", None, content)

        tag_files = {
            "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            "bag-info.txt": _bag_info(plan, total, len(digests)),
        }
        for algorithm in PAYLOAD_ALGORITHMS:
            lines = (f"{d[algorithm]}  {manifest_path(path)}\n" for path, d in sorted(digests.items()))
            tag_files[f"manifest-{algorithm}.txt"] = "".join(lines).encode("utf-8")
        tag_digests = {}
        for path, content in tag_files.items():
            tag_digests[path] = add(path, None, content)["sha256"]
        tag_manifest = "".join(f"{digest}  {path}\n" for path, digest in sorted(tag_digests.items()))
        add("tagmanifest-sha256.txt", None, tag_manifest.encode("utf-8"))


def _bag_info(plan: BagPlan, octets: int, streams: int) -> bytes:
    info = {"Bagging-Date": datetime.now(UTC).date().isoformat(), **plan.info, "Payload-Oxum": f"{octets}.{streams}"}
    lines = []
    for label, value in info.items():
        # A tag value is one line: line breaks inside a value become spaces.
        lines.append(f"{label}: {' '.join(str(value).split())}")
    return ("\n".join(lines) + "\n").encode("utf-8")
