"""What every worker module shares: the agent that signs custody entries, and a local path for a
stored file."""

import contextlib
import functools
import shutil
import tempfile
from collections.abc import Iterator

from django.conf import settings

from evidence import hashing
from evidence.agents import Agent
from workers import describe, identify, provenance


@functools.cache
def worker_agent(worker_name: str) -> Agent:
    """The worker as custody names it, with its tools' versions (asked once per process: a tool is not
    upgraded under a running worker)."""
    tools = {**describe.tool_versions(), "libmagic": identify.libmagic_version(), "c2pa": provenance.reader_version()}
    return Agent.for_worker(worker_name, tools)


@contextlib.contextmanager
def local_path(storage, key: str) -> Iterator[str]:
    """A path on this machine for a stored file: the file itself on a local store, else a temporary copy."""
    try:
        yield storage.path(key)
    except NotImplementedError:
        with storage.open(key, "rb") as source, tempfile.NamedTemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as copy:
            shutil.copyfileobj(source, copy, length=hashing.CHUNK_BYTES)
            copy.flush()
            yield copy.name
