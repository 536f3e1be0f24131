"""The evidence page in a real browser (headless Chromium): a graphic photo blurred until the viewer
chooses to see it, a video that seeks through range requests (and is recorded once), a PDF in the
browser's own viewer framed by Slid's page, the map; axe finds no serious violation. Each test also fails
on any error in the browser's console (a script or a frame the policy refused)."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point

from evidence.models import Role
from evidence.services.viewing import evidence_mark_graphic
from tests.media import photo_bytes, with_gps
from tests.web.test_browser import watch_console
from tests.web.test_evidence_pages import PDF
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db(transaction=True)

FFMPEG = shutil.which("ffmpeg")


def video_bytes(tmp_path: Path) -> bytes:
    """Ten seconds of noisy H.264 (about 3 MB, moov first): too much for the browser to fetch whole while it
    reads the metadata, so seeking near the end needs a range of its own."""
    if FFMPEG is None:
        pytest.fail("ffmpeg is missing: scripts/install.sh installs it")
    path = tmp_path / "clip.mp4"
    subprocess.run(
        [FFMPEG, "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=15:d=10",
         "-vf", "noise=alls=40:allf=t", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30",
         "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path.read_bytes()


def own_errors(errors: list[str]) -> list[str]:
    """The console's errors but the map tiles': the tests' tile server is unreachable on purpose
    (config/settings/test.py), and the map then works without it."""
    return [error for error in errors if error != "Failed to load resource: net::ERR_UNSAFE_PORT"]


def evidence_url(live_server, item) -> str:
    return f"{live_server.url}/cases/{item.case.reference}/evidence/{item.pk}/"


@pytest.fixture
def lead(web_case):
    return web_case.memberships.get(role=Role.LEAD).user


def test_a_graphic_photo_is_blurred_until_the_viewer_chooses_to_see_it(
    page_as, web_case, lead, live_server, axe_check, tmp_path
):
    incident = web_case.incidents.get(title="Killings on Yablunska Street")
    incident.location = Point(30.2220, 50.5450, srid=4326)
    incident.save(update_fields=["location"])
    jpeg = with_gps(photo_bytes(seed=11), tmp_path, lon=30.2208, lat=50.5445)
    photo = archived_item(web_case, lead, jpeg, name="IMG_0042.jpg", title="Yablunska Street", incidents=[incident])
    evidence_mark_graphic(actor=lead, item=photo, graphic=True)
    page = page_as(Role.ANALYST)
    errors = watch_console(page)

    page.goto(evidence_url(live_server, photo))
    figure = page.locator("figure.media").first
    image = figure.locator("img")
    image.wait_for()
    page.wait_for_function("document.querySelector('figure.media img').complete")

    assert "media-blurred" in figure.get_attribute("class")
    assert "blur(" in image.evaluate("img => getComputedStyle(img).filter")
    assert "grayscale(" in image.evaluate("img => getComputedStyle(img).filter")
    assert axe_check(page) == []

    figure.get_by_role("button", name=f"Show {photo.ern}").click()

    assert "media-blurred" not in figure.get_attribute("class")
    assert image.evaluate("img => getComputedStyle(img).filter") == "none"
    assert image.evaluate("img => img.naturalWidth") == 640  # the archived original, loaded
    assert page.locator("[data-evidence-map] canvas").count() >= 1
    assert photo.custody.filter(event_type="accessed").count() == 1
    assert own_errors(errors) == []


def test_a_video_plays_and_seeks_through_range_requests_recorded_once(page_as, web_case, lead, live_server, tmp_path):
    clip = archived_item(web_case, lead, video_bytes(tmp_path), name="clip.mp4", kind="video")
    assert clip.media_type == "video/mp4", clip.media_type
    page = page_as(Role.INVESTIGATOR)
    errors = watch_console(page)
    ranges: list[str] = []
    page.on(
        "request", lambda request: ranges.append(request.headers.get("range", "")) if "/media/" in request.url else None
    )

    page.goto(evidence_url(live_server, clip))
    video = page.locator("video")
    video.evaluate("v => new Promise(done => v.readyState >= 1 ? done() : v.addEventListener('loadedmetadata', done))")
    duration = video.evaluate("v => v.duration")
    video.evaluate(
        "v => new Promise(done => {"
        " v.addEventListener('seeked', done, {once: true}); v.currentTime = v.duration - 0.5; })"
    )

    assert 9.5 < duration < 10.5
    assert video.evaluate("v => v.muted") is False  # not blurred: the investigator's setting blurs graphic only
    assert ranges and all(header.startswith("bytes=") for header in ranges), ranges
    assert any(header not in ("bytes=0-", "") for header in ranges), ranges  # a range for the seek
    assert clip.custody.filter(event_type="accessed").count() == 1
    assert own_errors(errors) == []


def test_a_blurred_video_is_muted_until_shown(page_as, web_case, lead, live_server, tmp_path):
    clip = archived_item(web_case, lead, video_bytes(tmp_path), name="clip.mp4", kind="video")
    evidence_mark_graphic(actor=lead, item=clip, graphic=True)
    page = page_as(Role.INVESTIGATOR)

    page.goto(evidence_url(live_server, clip))
    video = page.locator("video")

    assert video.evaluate("v => v.muted") is True
    page.get_by_role("button", name=f"Show {clip.ern}").click()
    assert video.evaluate("v => v.muted") is False
    assert video.evaluate("v => document.activeElement === v")  # the keyboard carries on from the video


def test_a_pdf_is_shown_in_the_page_from_the_archived_original(page_as, web_case, lead, live_server, axe_check):
    statement = archived_item(web_case, lead, PDF, name="protocol.pdf", title="Protocol of inspection")
    page = page_as(Role.LEGAL)
    errors = watch_console(page)
    answers = []
    page.on("response", lambda response: answers.append(response) if "/media/" in response.url else None)

    page.goto(evidence_url(live_server, statement))
    frame = page.locator("iframe")
    frame.wait_for()
    page.wait_for_load_state("load")

    assert frame.get_attribute("title") == f"Document {statement.ern}"
    assert answers and answers[0].status == 200
    assert answers[0].headers["x-frame-options"] == "SAMEORIGIN"
    assert axe_check(page) == []
    assert [error for error in errors if "frame" in error.lower()] == []
    assert statement.custody.filter(event_type="accessed").count() == 1


def test_the_custody_timeline_and_the_evidence_list_pass_axe(page_as, web_case, lead, live_server, axe_check):
    item = archived_item(web_case, lead, photo_bytes(seed=12), name="IMG_0100.jpg")
    page = page_as(Role.INVESTIGATOR)
    errors = watch_console(page)

    page.goto(f"{live_server.url}/cases/{web_case.reference}/evidence/")
    assert page.get_by_role("link", name=item.ern).is_visible()
    assert axe_check(page) == []
    page.get_by_label("Find").fill("nothing like it")
    page.get_by_text("No evidence of the case matches these filters.").wait_for()
    assert "q=nothing%20like%20it" in page.url  # the filters are in the address, to share
    page.get_by_role("link", name="Clear the filters").click()
    page.get_by_role("link", name=item.ern).click()

    page.get_by_role("heading", name="Chain of custody").wait_for()
    # The page lists the chain as it was when shown: this view's own access is written as the photo loads.
    assert page.locator(".custody-entry").count() == item.custody.exclude(event_type="accessed").count()
    assert page.locator(".hash-failed").count() == 0
    assert axe_check(page) == []
    assert own_errors(errors) == []


def test_the_settings_page_blurs_everything_and_passes_axe(page_as, web_case, lead, live_server, axe_check):
    item = archived_item(web_case, lead, photo_bytes(seed=13), name="IMG_0200.jpg")
    page = page_as(Role.ANALYST)

    page.goto(f"{live_server.url}/account/settings/")
    assert axe_check(page) == []
    page.get_by_label("Blur all material until I choose to see it").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your settings are saved.").wait_for()
    page.goto(evidence_url(live_server, item))

    assert "media-blurred" in page.locator("figure.media").get_attribute("class")
