"""Metadata with one exiftool kept running per process: real files, the real exiftool, and for the
failures a stand-in exiftool (a small script) that hangs or dies on the files made for it."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evidence.models import Role
from tests.media import photo_bytes, with_gps
from tests.workers.helpers import archived_item
from workers import describe

REAL_EXIFTOOL = shutil.which("exiftool")

# Speaks exiftool's -stay_open protocol as pyexiftool uses it: arguments one per line, then
# "-execute<n>"; the answer on stdout ends with "{ready<n>}", and the "-echo4" text goes to stderr
# with the exit status in it. Real files go to the real exiftool; a file that starts with "hang!"
# never gets an answer, one that starts with "crash" makes the tool die half-way.
FAKE_EXIFTOOL = """\
#!{python}
import os, subprocess, sys, time

if sys.argv[1:] == ["-ver"]:
    print("12.57")
    sys.exit()
if os.environ.get("FAKE_EXIFTOOL_HANGS_ON_START"):
    time.sleep(60)
common = sys.argv[sys.argv.index("-common_args") + 1:] if "-common_args" in sys.argv else []


def starts_with(prefix, arguments):
    for argument in arguments:
        if os.path.isfile(argument):
            with open(argument, "rb") as file:
                if file.read(len(prefix)) == prefix:
                    return True
    return False


arguments = []
for line in sys.stdin.buffer:
    argument = line.rstrip(b"\\n")
    if arguments == [b"-stay_open"] and argument == b"False":
        break
    if not argument.startswith(b"-execute"):
        arguments.append(argument)
        continue
    number = argument[len(b"-execute"):]
    echo = arguments[arguments.index(b"-echo4") + 1]
    del arguments[arguments.index(b"-echo4"):arguments.index(b"-echo4") + 2]
    if arguments == [b"-ver"]:
        output, errors, status = b"12.57\\n", b"", 0
    elif starts_with(b"hang!", arguments):
        time.sleep(60)
        output, errors, status = b"", b"", 1
    elif starts_with(b"crash", arguments):
        sys.stdout.buffer.write(b"[{{")
        sys.stdout.flush()
        os._exit(3)
    else:
        answer = subprocess.run([{real!r}, *arguments, *common], capture_output=True)
        output, errors, status = answer.stdout, answer.stderr, answer.returncode
    sys.stdout.buffer.write(output + b"{{ready" + number + b"}}\\n")
    sys.stdout.flush()
    sys.stderr.buffer.write(errors + echo.replace(b"${{status}}", str(status).encode()) + b"\\n")
    sys.stderr.flush()
    arguments = []
"""


@pytest.fixture
def fake_exiftool(settings, tmp_path) -> Path:
    script = tmp_path / "fake-exiftool"
    script.write_text(FAKE_EXIFTOOL.format(python=sys.executable, real=REAL_EXIFTOOL))
    script.chmod(0o755)
    settings.SLID_EXIFTOOL = str(script)
    return script


@pytest.fixture
def gps_photo(tmp_path) -> Path:
    """A real JPEG whose EXIF says: a Canon EOS 5D, 4 March 2022 10:15, at 50.54 N 30.23 E."""
    path = tmp_path / "photo.jpg"
    path.write_bytes(with_gps(photo_bytes(seed=3), tmp_path, lon=30.23, lat=50.54))
    subprocess.run(
        [REAL_EXIFTOOL, "-overwrite_original", "-Make=Canon", "-Model=Canon EOS 5D",
         "-DateTimeOriginal=2022:03:04 10:15:00", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_until_gone(pid: int, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while is_running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_metadata_of_a_real_jpeg_is_what_was_written_into_it(gps_photo):
    description = describe.describe_file(str(gps_photo), "image/jpeg", timeout=30)

    tags = description.metadata["exiftool"]
    assert description.errors == []
    assert (tags["EXIF:Make"], tags["EXIF:Model"]) == ("Canon", "Canon EOS 5D")
    assert tags["EXIF:DateTimeOriginal"] == "2022:03:04 10:15:00"
    assert (tags["File:ImageWidth"], tags["File:ImageHeight"]) == (640, 480)
    assert tags["File:MIMEType"] == "image/jpeg"
    assert (tags["EXIF:GPSLatitudeRef"], tags["EXIF:GPSLongitudeRef"]) == ("N", "E")
    assert tags["Composite:GPSLatitude"] == pytest.approx(50.54)
    assert description.gps == pytest.approx((30.23, 50.54))


def test_southern_and_western_coordinates_are_negative(tmp_path):
    path = tmp_path / "buenos-aires.jpg"
    path.write_bytes(with_gps(photo_bytes(seed=4), tmp_path, lon=-58.3816, lat=-34.6037))

    description = describe.describe_file(str(path), "image/jpeg", timeout=30)

    assert description.gps == pytest.approx((-58.3816, -34.6037))


def test_the_server_path_of_the_file_is_not_kept(gps_photo):
    description = describe.describe_file(str(gps_photo), "image/jpeg", timeout=30)

    tags = description.metadata["exiftool"]
    assert "SourceFile" not in tags
    assert "File:Directory" not in tags
    assert str(gps_photo.parent) not in json.dumps(description.metadata)
    assert tags["File:FileName"] == "photo.jpg"


def test_one_exiftool_describes_file_after_file(tmp_path, gps_photo):
    other = tmp_path / "other.jpg"
    other.write_bytes(photo_bytes(seed=8, size=(320, 200)))

    describe.describe_file(str(gps_photo), "image/jpeg", timeout=30)
    first = describe.exiftool_session().pid
    widths = [
        describe.describe_file(str(path), "image/jpeg", timeout=30).metadata["exiftool"]["File:ImageWidth"]
        for path in (other, gps_photo, other)
    ]

    assert widths == [320, 640, 320]
    assert describe.exiftool_session().pid == first
    assert is_running(first)
    assert b"-stay_open" in Path(f"/proc/{first}/cmdline").read_bytes()


def test_a_file_that_hangs_exiftool_is_cut_off_and_the_next_gets_a_fresh_exiftool(fake_exiftool, gps_photo, tmp_path):
    hostile = tmp_path / "hostile.jpg"
    hostile.write_bytes(b"hang!" + photo_bytes(seed=9))
    describe.describe_file(str(gps_photo), "image/jpeg", timeout=30)
    hung = describe.exiftool_session().pid

    started = time.monotonic()
    cut_off = describe.describe_file(str(hostile), "image/jpeg", timeout=2)
    elapsed = time.monotonic() - started
    after = describe.describe_file(str(gps_photo), "image/jpeg", timeout=30)

    assert 2 <= elapsed < 3.5
    assert cut_off.errors == ["exiftool took longer than 2 s and was stopped"]
    assert cut_off.metadata == {}
    assert not is_running(hung)
    assert describe.exiftool_session().pid not in (None, hung)
    assert after.errors == []
    assert after.metadata["exiftool"]["EXIF:Model"] == "Canon EOS 5D"
    assert after.gps == pytest.approx((30.23, 50.54))


def test_an_exiftool_that_dies_on_a_file_is_noticed_without_waiting_for_the_timeout(fake_exiftool, gps_photo, tmp_path):
    hostile = tmp_path / "hostile.jpg"
    hostile.write_bytes(b"crash" + photo_bytes(seed=10))

    started = time.monotonic()
    died = describe.describe_file(str(hostile), "image/jpeg", timeout=60)
    elapsed = time.monotonic() - started
    after = describe.describe_file(str(gps_photo), "image/jpeg", timeout=30)

    assert elapsed < 5
    assert len(died.errors) == 1
    assert died.errors[0].startswith("exiftool failed and was stopped")
    assert after.gps == pytest.approx((30.23, 50.54))


def test_an_exiftool_that_hangs_on_start_is_cut_off(fake_exiftool, gps_photo, monkeypatch):
    monkeypatch.setenv("FAKE_EXIFTOOL_HANGS_ON_START", "1")

    started = time.monotonic()
    description = describe.describe_file(str(gps_photo), "image/jpeg", timeout=2)

    assert time.monotonic() - started < 3.5
    assert description.errors == ["exiftool took longer than 2 s and was stopped"]


def test_a_file_name_with_a_line_break_is_given_to_exiftool_whole(gps_photo, tmp_path):
    odd = tmp_path / "two\nlines #1.jpg "
    shutil.copy(gps_photo, odd)

    description = describe.describe_file(str(odd), "image/jpeg", timeout=30)

    assert description.errors == []
    assert description.metadata["exiftool"]["File:FileName"] == "two\nlines #1.jpg "
    assert description.gps == pytest.approx((30.23, 50.54))


def test_a_missing_exiftool_is_reported(settings, gps_photo):
    settings.SLID_EXIFTOOL = "/nonexistent/exiftool"

    description = describe.describe_file(str(gps_photo), "image/jpeg", timeout=30)

    assert description.errors == ["exiftool is not installed"]
    assert description.metadata == {}


def test_a_forked_process_starts_its_own_exiftool_and_leaves_the_parents_alone(gps_photo):
    describe.describe_file(str(gps_photo), "image/jpeg", timeout=30)
    parent = describe.exiftool_session().pid
    reading, writing = os.pipe()

    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and exits at once
        try:
            result = describe.describe_file(str(gps_photo), "image/jpeg", timeout=30)
            os.write(writing, json.dumps([describe.exiftool_session().pid, result.gps]).encode())
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as answer:
        child_pid, child_gps = json.loads(answer.read())
    os.waitpid(child, 0)

    assert child_pid != parent
    assert child_gps == pytest.approx([30.23, 50.54])
    assert wait_until_gone(child_pid)  # it went with the child
    assert describe.exiftool_session().pid == parent
    assert describe.describe_file(str(gps_photo), "image/jpeg", timeout=30).gps == pytest.approx((30.23, 50.54))


@pytest.mark.django_db
def test_a_hanging_file_is_recorded_in_custody_and_still_archived(fake_exiftool, settings, case_a, member_of):
    settings.SLID_TOOL_TIMEOUT_SECONDS = 2
    investigator = member_of(case_a, Role.INVESTIGATOR)

    item = archived_item(case_a, investigator, b"hang!" + photo_bytes(seed=12), name="IMG_0001.jpg")

    assert item.status == "archived"
    assert item.metadata_error == "exiftool took longer than 2 s and was stopped"
    described = item.custody.get(event_type="described")
    assert (described.outcome, described.detail) == ("warning", "exiftool took longer than 2 s and was stopped")
