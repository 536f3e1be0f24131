"""Digests of a file in one streaming pass, the digests in threads of their own.

hashlib releases the GIL while it hashes a buffer larger than 2 KiB, so the digests really run in
parallel: the pass takes about as long as the slowest digest alone."""

import hashlib
import queue
import threading
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_BYTES = 4 * 1024 * 1024
QUEUE_CHUNKS = 4  # bounded: memory stays at a few chunks whatever the file's size


@dataclass(frozen=True)
class Digests:
    size: int
    hexdigests: dict[str, str]


class DigestLane:
    """A thread that updates hashers with chunks, in the order fed. Hashers sharing a lane are
    updated one after the other; lanes run in parallel. On two cores, exporting runs best with
    one lane for SHA-512 and one for both SHA-256s (docs/performance.md)."""

    def __init__(self) -> None:
        self._tasks: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while (task := self._tasks.get()) is not None:
            hashers, chunk = task
            for hasher in hashers:
                hasher.update(chunk)
            self._tasks.task_done()
        self._tasks.task_done()

    def __enter__(self) -> "DigestLane":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._tasks.put(None)
        self._thread.join()

    def feed(self, hashers: tuple, chunk: bytes) -> None:
        self._tasks.put((hashers, chunk))

    def drain(self) -> None:
        """Returns once every chunk fed so far has been hashed."""
        self._tasks.join()


class ParallelDigests:
    """Feeds every chunk to each digest in a lane of its own; use as a context manager, then read ``result``."""

    def __init__(self, algorithms: list[str]) -> None:
        self.hashers = {name: hashlib.new(name) for name in dict.fromkeys(algorithms)}
        self.lanes = {name: DigestLane() for name in self.hashers}
        self.size = 0

    def __enter__(self) -> "ParallelDigests":
        for lane in self.lanes.values():
            lane.__enter__()
        return self

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        for name, lane in self.lanes.items():
            lane.feed((self.hashers[name],), chunk)

    def __exit__(self, *exc_info) -> None:
        for lane in self.lanes.values():
            lane.__exit__(*exc_info)

    @property
    def result(self) -> Digests:
        return Digests(size=self.size, hexdigests={name: hasher.hexdigest() for name, hasher in self.hashers.items()})


def digest_stream(stream: BinaryIO, algorithms: list[str], *, chunk_bytes: int = CHUNK_BYTES) -> Digests:
    first = stream.read(chunk_bytes)
    second = stream.read(chunk_bytes) if first else b""
    if not second:
        # All of it in one chunk (a photo): hashing it here costs less than starting a thread per digest.
        hexdigests = {name: hashlib.new(name, first).hexdigest() for name in dict.fromkeys(algorithms)}
        return Digests(size=len(first), hexdigests=hexdigests)
    with ParallelDigests(algorithms) as digests:
        digests.update(first)
        digests.update(second)
        while chunk := stream.read(chunk_bytes):
            digests.update(chunk)
    return digests.result


def digest_file(path: str, algorithms: list[str]) -> Digests:
    with open(path, "rb") as stream:
        return digest_stream(stream, algorithms)
