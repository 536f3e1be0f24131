"""Pages, duration, author and creation date read from real files (a PDF made with Pillow and tagged with
exiftool, a video and a recording made with ffmpeg, a photo tagged with exiftool), processed by the worker's
own code in this process, and kept beside what people give."""

import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from evidence.models import Role
from evidence.services.corrections import evidence_set_document_facts
from tests.media import photo_bytes
from tests.workers.helpers import archived_item
from workers.document_facts import document_facts

pytestmark = pytest.mark.django_db

EXIFTOOL = shutil.which("exiftool")
FFMPEG = shutil.which("ffmpeg")


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


def tagged(path: Path, *tags: str) -> bytes:
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", *tags, str(path)], check=True, capture_output=True)
    return path.read_bytes()


def pdf(tmp_path: Path, pages: int, *tags: str) -> bytes:
    path = tmp_path / "order.pdf"
    sheets = [Image.new("RGB", (200, 280), (255, 255, 255 - n)) for n in range(pages)]
    sheets[0].save(path, save_all=True, append_images=sheets[1:])
    return tagged(path, *tags)


def media(tmp_path: Path, name: str, *arguments: str) -> bytes:
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    path = tmp_path / name
    subprocess.run([FFMPEG, "-loglevel", "error", "-y", *arguments, str(path)], check=True, capture_output=True)
    return path.read_bytes()


def test_a_pdf_gives_its_pages_author_and_creation_date(case_a, investigator, tmp_path):
    order = pdf(tmp_path, 3, "-Author=Полковник І. Петров", "-CreateDate=2022:03:04 10:15:00+02:00")

    item = archived_item(case_a, investigator, order, name="order.pdf")

    assert item.pages_from_file == 3
    assert item.author_from_file == "Полковник І. Петров"
    assert item.document_date_from_file == datetime(2022, 3, 4, 8, 15, tzinfo=UTC)
    assert item.duration_seconds_from_file is None
    facts = item.custody.get(event_type="described").details["document_facts"]
    assert facts["pages"] == 3 and facts["created_written"] == "2022:03:04 10:15:00+02:00"
    assert "PDF:PageCount" in facts["tags"] and "PDF:Author" in facts["tags"]


def test_a_video_gives_its_duration_and_artist_and_its_creation_time(case_a, investigator, tmp_path):
    clip = media(
        tmp_path, "clip.mp4", "-f", "lavfi", "-i", "color=c=red:s=64x64:d=2:r=10", "-metadata", "artist=Olena K.",
        "-metadata", "creation_time=2022-03-04T08:15:00Z", "-c:v", "mpeg4",
    )  # fmt: skip

    item = archived_item(case_a, investigator, clip, name="clip.mp4")

    assert item.duration_seconds_from_file == Decimal("2.000")  # 20 frames at 10 a second
    assert item.author_from_file == "Olena K."
    # No document date of its own: the moment it says it was captured.
    assert item.document_date_from_file == datetime(2022, 3, 4, 8, 15, tzinfo=UTC)
    assert item.pages_from_file is None


def test_a_recording_gives_its_duration(case_a, investigator, tmp_path):
    recording = media(tmp_path, "call.wav", "-f", "lavfi", "-i", "sine=frequency=440:duration=1.75")

    item = archived_item(case_a, investigator, recording, name="call.wav")

    assert item.duration_seconds_from_file == Decimal("1.750")


def test_a_photo_gives_its_artist_and_creators(case_a, investigator, tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(photo_bytes(size=(64, 48)))
    photo = tagged(path, "-Artist=", "-XMP:Creator=Olena K.", "-XMP:Creator=Taras M.")

    item = archived_item(case_a, investigator, photo, name="photo.jpg")

    assert item.author_from_file == "Olena K.; Taras M."


def test_what_people_give_is_kept_beside_what_the_file_says(case_a, investigator, tmp_path):
    order = pdf(tmp_path, 2, "-Author=scanner")
    item = archived_item(case_a, investigator, order, name="order.pdf", pages=3, author="Col. I. Petrov")

    assert (item.pages, item.pages_from_file) == (3, 2)
    assert (item.author, item.author_from_file) == ("Col. I. Petrov", "scanner")
    evidence_set_document_facts(actor=investigator, item=item, pages=None)
    item.refresh_from_db()
    assert (item.pages, item.pages_from_file) == (None, 2)


def test_values_that_cannot_be_are_passed_over():
    metadata = {
        "exiftool": {"PDF:PageCount": 0, "PDF:Author": ["", " "], "PDF:CreateDate": "0000:00:00 00:00:00"},
        "summary": {"duration_seconds": "nan"},
    }

    facts = document_facts(metadata)

    assert (facts.pages, facts.duration_seconds, facts.author, facts.created) == (None, None, "", None)


@pytest.mark.parametrize("count", [float("inf"), float("-inf"), float("nan"), "1e999"])
def test_a_page_count_of_infinity_is_passed_over(count):
    # exiftool's JSON may say 1e999, which Python reads as infinity: int() of it overflows.
    facts = document_facts({"exiftool": {"PDF:PageCount": count}})

    assert facts.pages is None
