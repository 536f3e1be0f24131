"""Uploading evidence in a real browser (headless Chromium, Playwright) against the live server and a real
Celery worker: files dropped on the page are hashed in the browser, sent with tus and followed through
intake until they are archived; an upload cut off half-way goes on from the bytes the server has, after
the page was closed and opened again; the receipt; no serious accessibility violation."""

import base64
import hashlib
import random
import time

import pytest
from django.conf import settings as django_settings
from django.templatetags.static import static
from django.test import Client

from evidence.models import EvidenceItem, ResumableUpload, Role
from tests.media import photo_bytes
from tests.web.test_browser import watch_console

pytestmark = pytest.mark.django_db(transaction=True)

ARCHIVED_WITHIN_MS = 60_000


def noise(seed: int, size: int) -> bytes:
    """Bytes that do not repeat, like a video's, the same for a seed."""
    return random.Random(seed).randbytes(size)  # noqa: S311 - test data, not a secret


def drop(page, files: list[tuple[str, bytes, str]]) -> None:
    """Drops the files on the page's drop zone as a person would drag them there from a folder."""
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], f.name, {type: f.type, lastModified: 1650000000000}));
            }
            return transfer;
        }""",
        [{"name": name, "data": base64.b64encode(data).decode(), "type": kind} for name, data, kind in files],
    )
    page.dispatch_event("[data-dropzone]", "dragenter", {"dataTransfer": transfer})
    page.dispatch_event("[data-dropzone]", "drop", {"dataTransfer": transfer})


def with_worker_policy(page, policy: str | None = None) -> None:
    """The live server sends static files past the middleware; a deployment sends them through WhiteNoise,
    with the policy Slid gives the hash worker (web/static_headers.py). The browser gets that policy here,
    as Django's stack answers it (or ``policy``), since a worker's policy decides whether it may run
    WebAssembly."""
    if policy is None:
        policy = Client().get(static("web/js/upload-hash-worker.js"))["Content-Security-Policy"]

    def serve(route, request):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": policy})

    page.context.route("**/web/js/upload-hash-worker*.js", serve)


def row(page, name: str):
    return page.locator(f"li.upload-file[data-file='{name}']")


def wait_until(condition, timeout: float = 20.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not hold in time")
        time.sleep(interval)


def test_three_files_dropped_are_hashed_sent_and_followed_until_archived(
    page_as, live_server, web_case, celery_worker, axe_check
):
    files = [
        ("IMG_0042.jpg", photo_bytes(seed=42), "image/jpeg"),
        ("statement.txt", "Свідчення: черга за хлібом, 16 березня.\n".encode() * 50, "text/plain"),
        ("VID_0007.mp4", noise(7, 300_000), "video/mp4"),
    ]
    page = page_as(Role.INVESTIGATOR)
    with_worker_policy(page)
    errors = watch_console(page)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/upload/")

    drop(page, files)
    for name, _, _ in files:
        row(page, name).get_by_text("SHA-256 computed by your browser").wait_for()
    page.locator("#id_batch-source").fill("Phone of a neighbour, handed over on 20 March 2022")
    page.locator("#id_batch-confidentiality").select_option("confidential")
    row(page, "statement.txt").get_by_text("Details for this file").click()
    row(page, "statement.txt").get_by_label("Kind").select_option("testimony")
    page.get_by_role("button", name="Send the files (3)").click()

    for name, _, _ in files:
        page.wait_for_selector(f"li.upload-file[data-file='{name}'][data-stage='archived']", timeout=ARCHIVED_WITHIN_MS)
        assert row(page, name).get_by_text("The bytes we received are the bytes you had").is_visible()
    assert axe_check(page) == []

    items = {item.original_filename: item for item in EvidenceItem.objects.all()}
    for name, data, _ in files:
        item = items[name]
        sha256 = hashlib.sha256(data).hexdigest()
        assert (item.status, item.sha256, item.submitted_sha256) == ("archived", sha256, sha256)
        assert (item.source, item.confidentiality) == (
            "Phone of a neighbour, handed over on 20 March 2022",
            "confidential",
        )
    assert items["statement.txt"].kind == "testimony" and items["IMG_0042.jpg"].kind == "photo"

    page.get_by_role("link", name="Keep a receipt of the files received").click()
    page.get_by_role("heading", name="Receipt of evidence").wait_for()
    for name, data, _ in files:
        assert page.get_by_role("cell", name=hashlib.sha256(data).hexdigest()).is_visible()
        assert page.get_by_role("cell", name=items[name].ern).is_visible()
    assert axe_check(page) == []
    assert errors == []


def test_an_upload_cut_off_half_way_goes_on_from_the_bytes_the_server_has_after_the_page_is_reopened(
    page_as, live_server, web_case, celery_worker, settings, tmp_path
):
    settings.SLID_UPLOAD_CHUNK_BYTES = 64 * 1024
    video = noise(2022, 16 * 64 * 1024)  # 1 MiB: sixteen pieces
    sha256 = hashlib.sha256(video).hexdigest()
    page = page_as(Role.INVESTIGATOR)
    with_worker_policy(page)
    errors = watch_console(page)
    patches: list[str] = []

    def cut_off_after_eight_pieces(route, request):
        if request.method == "PATCH":
            if len(patches) >= 8:
                route.abort("connectionreset")  # the connection drops: nothing of it reaches the server
                return
            patches.append(request.headers["upload-offset"])
        route.continue_()

    page.route("**/uploads/**", cut_off_after_eight_pieces)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/upload/")
    drop(page, [("VID_0100.mp4", video, "video/mp4")])
    row(page, "VID_0100.mp4").get_by_text("SHA-256 computed by your browser").wait_for()
    page.get_by_role("button", name="Send the files (1)").click()
    row(page, "VID_0100.mp4").get_by_text("The connection dropped").wait_for()

    upload = ResumableUpload.objects.get()
    assert (upload.offset, upload.length, upload.state) == (8 * 64 * 1024, 16 * 64 * 1024, "receiving")
    assert patches == [str(n * 64 * 1024) for n in range(8)]
    assert not EvidenceItem.objects.exists()

    # The tab is closed and opened again; the browser still has the upload's address.
    context = page.context
    page.close()
    page = context.new_page()
    errors += watch_console(page)
    resumed: list[str] = []
    page.on(
        "request",
        lambda request: resumed.append(request.headers["upload-offset"]) if request.method == "PATCH" else None,
    )
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/upload/")
    (tmp_path / "VID_0100.mp4").write_bytes(video)
    page.get_by_label("Choose files").set_input_files(tmp_path / "VID_0100.mp4")  # the same file, chosen this time
    row(page, "VID_0100.mp4").get_by_text("SHA-256 computed by your browser").wait_for()
    page.get_by_role("button", name="Send the files (1)").click()
    page.wait_for_selector(
        "li.upload-file[data-file='VID_0100.mp4'][data-stage='archived']", timeout=ARCHIVED_WITHIN_MS
    )

    assert resumed[0] == str(8 * 64 * 1024)  # from where the server's bytes end, not from zero
    assert resumed == [str(n * 64 * 1024) for n in range(8, 16)]
    upload.refresh_from_db()
    assert (upload.offset, upload.state) == (16 * 64 * 1024, "complete")
    assert ResumableUpload.objects.count() == 1  # the same upload, resumed
    item = EvidenceItem.objects.get()
    assert (item.sha256, item.submitted_sha256, item.status) == (sha256, sha256, "archived")
    assert row(page, "VID_0100.mp4").get_by_text("The bytes we received are the bytes you had").is_visible()
    assert [error for error in errors if "ERR_CONNECTION_RESET" not in error and "Failed to load" not in error] == []


def test_a_file_the_server_refuses_says_why_next_to_it(page_as, live_server, web_case, settings):
    settings.SLID_MAX_UPLOAD_BYTES = 1000
    page = page_as(Role.INVESTIGATOR)
    with_worker_policy(page)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/upload/")

    drop(
        page,
        [
            ("empty.txt", b"", "text/plain"),
            ("big.mov", b"x" * 1001, "video/quicktime"),
            ("ok.txt", b"ok", "text/plain"),
        ],
    )
    page.locator("#id_batch-captured_at").fill("the day before yesterday")
    row(page, "ok.txt").get_by_text("SHA-256 computed by your browser").wait_for()
    page.get_by_role("button", name="Send the files (1)").click()

    assert row(page, "empty.txt").get_by_role("alert").inner_text() == "The file is empty; nothing to send."
    assert "larger than the limit" in row(page, "big.mov").get_by_role("alert").inner_text()
    row(page, "ok.txt").get_by_role("alert").wait_for()
    assert row(page, "ok.txt").get_by_role("alert").inner_text() == (
        "Captured: Write a date (2022-03-04) or a date and time (2022-03-04 14:05)."
    )
    assert not ResumableUpload.objects.exists()


def test_the_hash_worker_runs_under_its_own_policy_and_would_not_under_the_site_s(page_as, live_server, web_case):
    assert "'wasm-unsafe-eval'" in Client().get(static("web/js/upload-hash-worker.js"))["Content-Security-Policy"]
    page = page_as(Role.INVESTIGATOR)
    with_worker_policy(page, policy=django_settings.SLID_CONTENT_SECURITY_POLICY)  # what any other file gets
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/upload/")

    drop(page, [("IMG_0001.jpg", b"a photograph", "image/jpeg")])

    alert = row(page, "IMG_0001.jpg").get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text().startswith("Its SHA-256 could not be computed in this browser")


def test_the_file_choosers_are_reached_with_the_keyboard_and_show_where_the_focus_is(page_as, live_server, web_case):
    page = page_as(Role.INVESTIGATOR)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/upload/")

    reached = []
    for _ in range(15):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id"))
        if reached[-1] == "upload-files-input":
            outline = page.evaluate(
                "getComputedStyle(document.querySelector('label[for=upload-files-input]')).outlineStyle"
            )
            assert outline == "solid"  # the visible label shows the focus of its hidden input

    assert reached.index("upload-files-input") < reached.index("upload-folder-input")
