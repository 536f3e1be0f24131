"""A camera's clock without an offset, read in the case's time zone, may name a moment that happened twice
(the hour the clocks go back) or never (the hour they go forward). Slid records one moment as captured_at,
and says in the ``described`` custody entry that the time was ambiguous, with every moment it could be."""

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from evidence.models import Role
from tests.media import photo_bytes
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR)


def photo_taken_at(tmp_path: Path, wall_clock: str) -> bytes:
    path = tmp_path / "photo.jpg"
    path.write_bytes(photo_bytes(seed=7, size=(64, 48)))
    subprocess.run(
        [shutil.which("exiftool"), "-q", "-overwrite_original", f"-DateTimeOriginal={wall_clock}", str(path)],
        check=True,
        capture_output=True,
    )
    return path.read_bytes()


def test_a_time_of_the_hour_kyiv_lived_twice_is_recorded_as_ambiguous(case_a, investigator, tmp_path):
    # 30 October 2022: at 04:00 summer time Kyiv's clocks went back to 03:00, so 03:30 happened twice.
    item = archived_item(case_a, investigator, photo_taken_at(tmp_path, "2022:10:30 03:30:00"), name="IMG_1.jpg")

    assert item.captured_at == datetime(2022, 10, 30, 0, 30, tzinfo=UTC)  # the first of the two
    entry = item.custody.get(event_type="described")
    assert entry.details["captured_at"]["wall_clock"] == {
        "ambiguity": "repeated",
        "could_be": ["2022-10-30T03:30:00+03:00", "2022-10-30T03:30:00+02:00"],
        "read_as": "2022-10-30T03:30:00+03:00",
    }
    assert "03:30:00 happened twice in Europe/Kyiv" in entry.detail
    call_command("verify_custody", case=case_a.reference, verbosity=0)


def test_a_time_of_the_hour_kyiv_skipped_is_recorded_as_ambiguous(case_a, investigator, tmp_path):
    # 27 March 2022: at 03:00 winter time Kyiv's clocks went forward to 04:00, so 03:30 never happened.
    item = archived_item(case_a, investigator, photo_taken_at(tmp_path, "2022:03:27 03:30:00"), name="IMG_2.jpg")

    assert item.captured_at == datetime(2022, 3, 27, 1, 30, tzinfo=UTC)  # read with the offset before the change
    entry = item.custody.get(event_type="described")
    assert entry.details["captured_at"]["wall_clock"] == {
        "ambiguity": "skipped",
        "could_be": ["2022-03-27T03:30:00+02:00", "2022-03-27T03:30:00+03:00"],
        "read_as": "2022-03-27T03:30:00+02:00",
    }
    assert "03:30:00 did not happen in Europe/Kyiv" in entry.detail


def test_an_ordinary_time_records_no_ambiguity(case_a, investigator, tmp_path):
    item = archived_item(case_a, investigator, photo_taken_at(tmp_path, "2022:10:30 05:30:00"), name="IMG_3.jpg")

    assert item.captured_at == datetime(2022, 10, 30, 3, 30, tzinfo=UTC)
    assert "wall_clock" not in item.custody.get(event_type="described").details["captured_at"]
