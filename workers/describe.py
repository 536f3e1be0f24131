"""Metadata of a file with exiftool (and ffprobe for audio and video), each run with a timeout, so
a malformed or hostile file can neither hang nor crash the worker: a failure is reported, not raised."""

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache


@dataclass
class Description:
    metadata: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    gps: tuple[float, float] | None = None  # (lon, lat)


def describe_file(path: str, media_type: str, *, timeout: int) -> Description:
    description = Description()
    exif = _run_json(["exiftool", "-json", "-n", "-G", "-struct", "--", path], timeout, description)
    if isinstance(exif, list) and exif:
        description.metadata["exiftool"] = exif[0]
        description.gps = _gps(exif[0])
    if media_type.startswith(("video/", "audio/")):
        probe = _run_json(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", "--", path],
            timeout,
            description,
        )
        if isinstance(probe, dict):
            description.metadata["ffprobe"] = probe
            description.metadata["summary"] = _media_summary(probe)
    return description


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
    for tool, flag in (("exiftool", "-ver"), ("ffprobe", "-version")):
        try:
            output = subprocess.run([tool, flag], capture_output=True, timeout=10, check=False).stdout  # noqa: S603
            versions[tool] = output.decode(errors="replace").splitlines()[0].strip() if output else "unknown"
        except (OSError, subprocess.TimeoutExpired):
            versions[tool] = "not installed"
    return versions
