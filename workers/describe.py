"""Metadata of a file with exiftool (and ffprobe for audio and video), each with a timeout, so a
malformed or hostile file can neither hang nor crash the worker: a failure is reported, not raised.

Starting exiftool (Perl) costs far more than reading a photo's metadata, so each worker process
keeps one exiftool running (``-stay_open``, through pyexiftool) and gives it one file after another.
A file that keeps it busy past the timeout gets it killed, and the next file starts a fresh one."""

import concurrent.futures
import contextlib
import json
import logging
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from functools import cache

import exiftool
from django.conf import settings

from workers.capture_time import CaptureTime, capture_time

logger = logging.getLogger(__name__)

EXIFTOOL_OPTIONS = (b"-json", b"-n", b"-G", b"-struct")
# Where our copy of the file lies on the server: not a fact about the evidence.
SERVER_TAGS = ("SourceFile", "File:Directory")
# While waiting for exiftool, check this often whether it died (pyexiftool would then wait for ever).
_LIVENESS_SECONDS = 0.5


@dataclass
class Description:
    metadata: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    gps: tuple[float, float] | None = None  # (lon, lat)
    captured: CaptureTime | None = None  # when the file says it was captured


def describe_file(path: str, media_type: str, *, timeout: int) -> Description:
    description = Description()
    exif = _exiftool_json(path, timeout, description)
    if isinstance(exif, list) and exif and isinstance(exif[0], dict):
        tags = {name: value for name, value in exif[0].items() if name not in SERVER_TAGS}
        description.metadata["exiftool"] = tags
        description.gps = _gps(tags)
    if media_type.startswith(("video/", "audio/")):
        probe = _run_json(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", "--", path],
            timeout,
            description,
        )
        if isinstance(probe, dict):
            description.metadata["ffprobe"] = probe
            description.metadata["summary"] = _media_summary(probe)
    description.captured = capture_time(description.metadata)
    return description


def exiftool_executable() -> str:
    return settings.SLID_EXIFTOOL


class ExiftoolTimeout(Exception):
    pass


class ExiftoolDied(Exception):
    pass


class _ExifTool(exiftool.ExifTool):
    """pyexiftool's stay-open exiftool, with what a worker also needs: its pid, and a kill that ends
    a read waiting on it. pyexiftool reads with no timeout, and loops for ever on the empty pipe of a
    tool that died."""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def exit_status(self) -> int | None:
        """The process's exit status once it has exited on its own, else None."""
        return self._process.poll() if self._process is not None else None

    def kill(self) -> None:
        """Kills the process; a read waiting on it (in another thread) then fails at once."""
        process = self._process
        if process is None:
            return
        process.kill()
        process.wait()
        # A write-only descriptor in place of each pipe (atomically, so the number is never free for
        # another file to take): the reader's next read fails instead of reading nothing for ever.
        unreadable = os.open(os.devnull, os.O_WRONLY)
        try:
            for pipe in (process.stdout, process.stderr):
                os.dup2(unreadable, pipe.fileno(), inheritable=False)
        finally:
            os.close(unreadable)

    def forget(self) -> None:
        """Drops the process's pipes once nothing reads them; the next run() starts a fresh process.
        Also used in a forked child, whose copies of the pipes lead to the parent's exiftool."""
        if self._process is not None:
            for pipe in (self._process.stdin, self._process.stdout, self._process.stderr):
                with contextlib.suppress(OSError):
                    pipe.close()
        self._flag_running_false()

    def __del__(self) -> None:
        # pyexiftool's own clean-up asks the tool to quit and waits up to 30 s; a reader is done with it.
        self.kill()
        self.forget()


class ExiftoolSession:
    """One exiftool kept running. It is started and spoken to from a thread of its own, so that the
    caller waits no longer than the timeout, and kills it when it hangs or dies."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.broken = False  # its reader thread is stuck: the next file gets a new session
        self._tool = _ExifTool(executable=executable, common_args=[])
        self._thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="exiftool")

    @property
    def pid(self) -> int | None:
        return self._tool.pid

    def read(self, path: str, timeout: float) -> tuple[bytes, bytes]:
        """exiftool's output and error output for the file; raises ExiftoolTimeout or ExiftoolDied
        (the tool was killed), or what pyexiftool raised."""
        future = self._thread.submit(self._read, _argument(path))
        deadline = time.monotonic() + timeout
        try:
            while not future.done():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ExiftoolTimeout
                concurrent.futures.wait([future], timeout=min(remaining, _LIVENESS_SECONDS))
                if not future.done() and (status := self._tool.exit_status()) is not None:
                    raise ExiftoolDied(f"it exited with status {status}")
            return future.result()
        except BaseException:
            self._stop(future)
            raise

    def close(self) -> None:
        self._stop(None)
        self._thread.shutdown(wait=False)

    def abandon_after_fork(self) -> None:
        self._tool.forget()

    def _read(self, argument: bytes) -> tuple[bytes, bytes]:
        if not self._tool.running:
            self._tool.run()
        output = self._tool.execute(*EXIFTOOL_OPTIONS, argument, raw_bytes=True)
        return output, self._tool.last_stderr

    def _stop(self, future: concurrent.futures.Future | None) -> None:
        pid = self._tool.pid
        self._tool.kill()
        if future is not None and not concurrent.futures.wait([future], timeout=10).done:
            logger.error("The exiftool reader thread is still busy after exiftool %s was killed", pid)
            self.broken = True
            return
        self._tool.forget()


def _argument(path: str) -> bytes:
    """The file as one line of exiftool's argument stream; any line break is written as a C escape."""
    name = os.fsencode(os.path.abspath(path))
    if b"\n" not in name and b"\r" not in name:
        return name
    escaped = name.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r")
    return b"#[CSTR]" + escaped


_session: ExiftoolSession | None = None
_session_lock = threading.Lock()


def exiftool_session() -> ExiftoolSession:
    """This process's exiftool session (a new one when the configured executable changed)."""
    global _session
    executable = exiftool_executable()
    if _session is None or _session.broken or _session.executable != executable:
        if _session is not None:
            _session.close()
        _session = ExiftoolSession(executable)
    return _session


def _forget_session_in_forked_child() -> None:
    # A forked child (a Celery pool process) shares the parent's exiftool pipes and has no copy of its
    # thread: it leaves the parent's tool alone and starts its own.
    global _session, _session_lock
    if _session is not None:
        _session.abandon_after_fork()
    _session = None
    _session_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_session_in_forked_child)


def _exiftool_json(path: str, timeout: int, description: Description):
    if shutil.which(exiftool_executable()) is None:
        description.errors.append("exiftool is not installed")
        return None
    with _session_lock:
        session = exiftool_session()
        try:
            output, errors = session.read(path, timeout)
        except ExiftoolTimeout:
            description.errors.append(f"exiftool took longer than {timeout} s and was stopped")
            return None
        except (ExiftoolDied, OSError, exiftool.exceptions.ExifToolException) as error:
            reason = f"{type(error).__name__}: {error}".replace(os.path.abspath(path), "the file")
            description.errors.append(f"exiftool failed and was stopped ({reason[:500]})")
            return None
    if not output:
        message = errors.decode(errors="replace").replace(os.path.abspath(path), "the file")
        description.errors.append(f"exiftool failed: {message[:500].strip()}")
        return None
    try:
        return json.loads(output.decode("utf-8", errors="replace"))
    except ValueError:
        description.errors.append("exiftool wrote no readable JSON")
        return None


def _run_json(command: list[str], timeout: int, description: Description):
    tool = command[0]
    if shutil.which(tool) is None:
        description.errors.append(f"{tool} is not installed")
        return None
    try:
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        description.errors.append(f"{tool} took longer than {timeout} s and was stopped")
        return None
    if result.returncode != 0 and not result.stdout:
        description.errors.append(f"{tool} failed: {result.stderr.decode(errors='replace')[:500].strip()}")
        return None
    try:
        return json.loads(result.stdout.decode("utf-8", errors="replace"))
    except ValueError:
        description.errors.append(f"{tool} wrote no readable JSON")
        return None


def _gps(exif: dict) -> tuple[float, float] | None:
    lat = exif.get("Composite:GPSLatitude", exif.get("EXIF:GPSLatitude"))
    lon = exif.get("Composite:GPSLongitude", exif.get("EXIF:GPSLongitude"))
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    if "Composite:GPSLatitude" not in exif:  # bare EXIF values carry the hemisphere in the Ref tags
        lat = -abs(lat) if exif.get("EXIF:GPSLatitudeRef") in ("S", "South") else lat
        lon = -abs(lon) if exif.get("EXIF:GPSLongitudeRef") in ("W", "West") else lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return float(lon), float(lat)


def _media_summary(probe: dict) -> dict:
    media_format = probe.get("format", {})
    return {
        "duration_seconds": _float(media_format.get("duration")),
        "codecs": sorted({s.get("codec_name") for s in probe.get("streams", []) if s.get("codec_name")}),
        "creation_time": media_format.get("tags", {}).get("creation_time"),
    }


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@cache
def tool_versions() -> dict[str, str]:
    versions = {}
    for tool, command in (("exiftool", [exiftool_executable(), "-ver"]), ("ffprobe", ["ffprobe", "-version"])):
        try:
            output = subprocess.run(command, capture_output=True, timeout=10, check=False).stdout  # noqa: S603
            versions[tool] = output.decode(errors="replace").splitlines()[0].strip() if output else "unknown"
        except (OSError, subprocess.TimeoutExpired):
            versions[tool] = "not installed"
    return versions
