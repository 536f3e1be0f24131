"""captured_at and kind from what the file says: real JPEGs tagged by exiftool, real videos made by
ffmpeg, processed by the worker's own code in this process, on the real database and file stores."""

import random
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from evidence.models import EvidenceItem, Role
from evidence.services.intake import evidence_receive
from tests.media import photo_bytes
from tests.workers.helpers import archived_item
from workers import capture_time, describe

pytestmark = pytest.mark.django_db

EXIFTOOL = shutil.which("exiftool")
FFMPEG = shutil.which("ffmpeg")


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


def tagged_photo(tmp_path: Path, *tags: str, seed: int = 1) -> bytes:
    path = tmp_path / f"photo-{seed}.jpg"
    path.write_bytes(photo_bytes(seed=seed, size=(64, 48)))
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", *tags, str(path)], check=True, capture_output=True)
    return path.read_bytes()


def video(tmp_path: Path, name: str, *metadata: str) -> bytes:
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    path = tmp_path / name
    options = [option for pair in metadata for option in ("-metadata", pair)]
    subprocess.run(
        [FFMPEG, "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=64x64:d=1", *options,
         "-c:v", "mpeg4", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path.read_bytes()


def described_entry(item: EvidenceItem):
    return item.custody.get(event_type="described")


def test_exif_date_time_original_with_its_offset_becomes_captured_at(case_a, investigator, tmp_path):
    photo = tagged_photo(tmp_path, "-DateTimeOriginal=2022:03:04 10:15:30", "-OffsetTimeOriginal=+02:00")

    item = archived_item(case_a, investigator, photo, name="IMG_0042.jpg")

    assert item.captured_at == datetime(2022, 3, 4, 8, 15, 30, tzinfo=UTC)
    assert item.captured_at_source == "exif"
    entry = described_entry(item)
    assert entry.details["captured_at"] == {
        "at": "2022-03-04T10:15:30+02:00", "source": "exif",
        "tags": "EXIF:DateTimeOriginal, EXIF:OffsetTimeOriginal", "written": "2022:03:04 10:15:30 +02:00",
        "time_zone": None, "used": True,
    }  # fmt: skip
    assert "recorded as captured_at" in entry.detail
    call_command("verify_custody", case=case_a.reference, verbosity=0)  # the chain holds with it


def test_exif_time_without_an_offset_is_read_in_the_case_time_zone(case_a, investigator, tmp_path):
    # In July Kyiv keeps summer time, three hours ahead of UTC.
    photo = tagged_photo(tmp_path, "-DateTimeOriginal=2022:07:01 10:00:00")

    item = archived_item(case_a, investigator, photo, name="IMG_0043.jpg")

    assert item.captured_at == datetime(2022, 7, 1, 7, 0, tzinfo=UTC)
    assert item.captured_at_source == "exif_case_time_zone"
    entry = described_entry(item)
    assert entry.details["captured_at"]["time_zone"] == "Europe/Kyiv"
    assert "without an offset: read in the case's time zone Europe/Kyiv" in entry.detail


def test_a_case_in_another_time_zone_reads_the_camera_clock_there(case_a, investigator, tmp_path):
    case_a.time_zone = "Asia/Tokyo"
    case_a.save(update_fields=["time_zone"])
    photo = tagged_photo(tmp_path, "-DateTimeOriginal=2022:07:01 10:00:00")

    item = archived_item(case_a, investigator, photo, name="IMG_0044.jpg")

    assert item.captured_at == datetime(2022, 7, 1, 1, 0, tzinfo=UTC)


def test_the_submitters_captured_at_wins_and_the_files_value_is_still_in_custody(case_a, investigator, tmp_path):
    photo = tagged_photo(tmp_path, "-DateTimeOriginal=2022:03:04 10:15:30", "-OffsetTimeOriginal=+02:00")
    given = datetime(2022, 3, 5, 12, 0, tzinfo=UTC)

    item = archived_item(case_a, investigator, photo, name="IMG_0045.jpg", captured_at=given)

    assert item.captured_at == given
    assert item.captured_at_source == "submitter"
    entry = described_entry(item)
    assert entry.details["captured_at"]["at"] == "2022-03-04T10:15:30+02:00"
    assert entry.details["captured_at"]["used"] is False
    assert "the submitter's captured_at 2022-03-05T12:00:00+00:00 stands" in entry.detail


def test_a_date_after_the_file_arrived_is_recorded_but_not_used(case_a, investigator, tmp_path):
    photo = tagged_photo(tmp_path, "-DateTimeOriginal=2099:01:01 00:00:00", "-OffsetTimeOriginal=+00:00")

    item = archived_item(case_a, investigator, photo, name="IMG_0046.jpg")

    assert item.captured_at is None
    assert item.captured_at_source == ""
    assert "not used, as that is after the file was received" in described_entry(item).detail


def test_a_photo_without_a_date_leaves_captured_at_empty(case_a, investigator):
    item = archived_item(case_a, investigator, photo_bytes(seed=3), name="IMG_0047.jpg")

    assert (item.captured_at, item.captured_at_source) == (None, "")
    assert "captured_at" not in described_entry(item).details


def test_a_quicktime_creation_time_becomes_captured_at(case_a, investigator, tmp_path):
    clip = video(tmp_path, "clip.mp4", "creation_time=2022-03-04T08:15:30Z")

    item = archived_item(case_a, investigator, clip, name="clip.mp4")

    assert item.captured_at == datetime(2022, 3, 4, 8, 15, 30, tzinfo=UTC)
    assert item.captured_at_source == "quicktime"
    assert described_entry(item).details["captured_at"]["tags"] == "QuickTime:CreateDate"
    assert item.kind == "video"


def test_a_matroska_creation_time_is_read_through_ffprobe(case_a, investigator, tmp_path):
    clip = video(tmp_path, "clip.mkv", "creation_time=2022-03-04T08:15:30Z")

    item = archived_item(case_a, investigator, clip, name="clip.mkv")

    assert item.captured_at == datetime(2022, 3, 4, 8, 15, 30, tzinfo=UTC)
    assert item.captured_at_source == "ffprobe"


def test_a_video_without_a_creation_time_leaves_captured_at_empty(case_a, investigator, tmp_path):
    clip = video(tmp_path, "plain.mp4")  # ffmpeg writes a zero date: 0000:00:00 00:00:00

    item = archived_item(case_a, investigator, clip, name="plain.mp4")

    assert item.captured_at is None


def test_dates_that_cannot_be_real_are_passed_over():
    tags = {
        "EXIF:DateTimeOriginal": "0000:00:00 00:00:00",
        "QuickTime:CreationDate": "2022:02:30 10:00:00+02:00",
        "QuickTime:CreateDate": "    :  :     :  :  ",
    }
    assert capture_time.capture_time({"exiftool": tags}) is None
    assert capture_time.parse_offset("+15:00") is None
    assert capture_time.parse_offset("-03:30") is not None
    assert capture_time.capture_time({"exiftool": {"EXIF:DateTimeOriginal": 20220304}}) is None


def test_a_phone_creation_date_with_its_offset_comes_before_the_utc_create_date():
    tags = {"QuickTime:CreationDate": "2022:03:04 10:15:30+02:00", "QuickTime:CreateDate": "2022:03:04 08:15:31"}

    found = capture_time.capture_time({"exiftool": tags})

    assert found.moment == datetime(2022, 3, 4, 8, 15, 30, tzinfo=UTC)
    assert found.tags == "QuickTime:CreationDate"


def test_describe_file_reads_the_date_of_a_real_photo(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(tagged_photo(tmp_path, "-DateTimeOriginal=2022:03:04 10:15:30", "-OffsetTimeOriginal=-03:30"))

    found = describe.describe_file(str(path), "image/jpeg", timeout=30).captured

    assert found.moment == datetime(2022, 3, 4, 13, 45, 30, tzinfo=UTC)
    assert found.source == "exif"


def test_kind_left_out_is_guessed_from_the_name_then_set_from_the_content(case_a, investigator):
    item = evidence_receive(
        actor=investigator, case=case_a, upload=ContentFile(photo_bytes(seed=5), name="upload.bin"),
        original_filename="upload.bin",
    )  # fmt: skip
    assert (item.kind, item.kind_source) == ("other", "file_name")

    item = archived_item(case_a, investigator, photo_bytes(seed=5), name="upload.bin")

    assert (item.kind, item.kind_source) == ("photo", "media_type")
    identified = item.custody.get(event_type="identified")
    assert identified.details["kind"] == "photo"
    assert identified.details["kind_from_name"] == "other"
    assert "kind photo, from the media type (guessed other from the name)" in identified.detail


def test_a_kind_the_submitter_gave_is_never_changed(case_a, investigator):
    item = archived_item(case_a, investigator, photo_bytes(seed=6), name="statement.jpg", kind="testimony")

    assert (item.kind, item.kind_source) == ("testimony", "submitter")
    assert "kind" not in item.custody.get(event_type="identified").details


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "document"),
        ("notes.txt", b"Statement taken on 4 March 2022.\n", "document"),
        ("blob.dat", random.Random(1).randbytes(4096), "other"),  # noqa: S311 - application/octet-stream
    ],
)
def test_kind_follows_the_media_type_of_the_content(case_a, investigator, name, content, kind):
    assert archived_item(case_a, investigator, content, name=name).kind == kind


def test_ingest_folder_guesses_the_kind_unless_told(tmp_path, case_a, member_of):
    member_of(case_a, Role.INVESTIGATOR, username="field")
    (tmp_path / "a.jpg").write_bytes(b"photo a")
    (tmp_path / "b.mp3").write_bytes(b"audio b")

    call_command("ingest_folder", str(tmp_path), case=case_a.reference, user="field", verbosity=0)
    (tmp_path / "c.jpg").write_bytes(b"statement c")
    call_command("ingest_folder", str(tmp_path), case=case_a.reference, user="field", kind="testimony", verbosity=0)

    kinds = {item.original_filename: (item.kind, item.kind_source) for item in EvidenceItem.objects.all()}
    assert kinds == {
        "a.jpg": ("photo", "file_name"),
        "b.mp3": ("audio", "file_name"),
        "c.jpg": ("testimony", "submitter"),
    }


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        # The first and last days Slid keeps, pushed past midnight UTC by the case's zone or the offset.
        (["-DateTimeOriginal=0001:01:02 00:30:00"], datetime(1, 1, 1, 22, 27, 56, tzinfo=UTC)),  # Kyiv's LMT
        (["-DateTimeOriginal=0001:01:02 00:00:00", "-OffsetTimeOriginal=+14:00"], datetime(1, 1, 1, 10, tzinfo=UTC)),
        (["-DateTimeOriginal=9999:12:30 23:59:59", "-OffsetTimeOriginal=-14:00"], None),  # after receipt: unused
        (["-DateTimeOriginal=2022:03:04 10:15:30", "-OffsetTimeOriginal=+99:00"], "case zone"),
    ],
)
def test_extreme_dates_in_a_file_are_stored_or_passed_over_never_a_failure(
    case_a, investigator, tmp_path, tags, expected
):
    item = archived_item(case_a, investigator, tagged_photo(tmp_path, *tags), name="extreme.jpg")

    assert item.status == "archived", item.status_reason
    if expected == "case zone":  # a nonsense offset is no offset: the camera's clock, read in Kyiv
        assert (item.captured_at, item.captured_at_source) == (
            datetime(2022, 3, 4, 8, 15, 30, tzinfo=UTC),
            "exif_case_time_zone",
        )
    else:
        assert item.captured_at == expected
