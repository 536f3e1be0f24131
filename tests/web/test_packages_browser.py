"""A court package in a real browser: a legal member chooses an incident, requests the package, watches
the real worker build it, downloads it, and the bytes are the package whose SHA-256 the page shows."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from evidence.models import AuditEntry, Export, Role
from tests.web.test_browser import watch_console
from tests.workers.helpers import archived_item

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


def test_build_and_download_a_package(page_as, live_server, web_case, axe_check):
    lead = web_case.memberships.get(role=Role.LEAD).user
    yablunska = web_case.incidents.get(title="Killings on Yablunska Street")
    archived_item(web_case, lead, b"photo bytes " * 5000, name="IMG_0042.jpg", incidents=[yablunska])
    page = page_as(Role.LEGAL)
    errors = watch_console(page)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/packages/")
    assert axe_check(page) == []

    page.get_by_label("Find incidents").fill("Yablunska")
    page.locator("#incident-choices li").filter(has_text="Mass grave").wait_for(state="detached")
    page.get_by_role("checkbox", name=re.compile("Killings on Yablunska Street")).check()
    page.get_by_role("button", name="Request the package").click()

    page.get_by_text(re.compile(r"Package [0-9a-f-]{36} requested")).wait_for()
    export = Export.objects.get()
    row = page.locator(f"#package-{export.public_id}")
    row.get_by_role("link", name="Download").wait_for(timeout=60_000)  # the row updates itself as it is built
    row.get_by_role("link", name=re.compile(str(export.public_id)[:8])).click()

    page.get_by_role("heading", name="The package's SHA-256").wait_for()
    export.refresh_from_db()
    shown = page.locator("#package-sha256").inner_text()
    assert shown == export.sha256
    assert axe_check(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the package").click()
    saved = download.value
    assert saved.suggested_filename == f"slid-export-{export.public_id}.zip"
    assert hashlib.sha256(open(saved.path(), "rb").read()).hexdigest() == shown  # noqa: PTH123, SIM115
    assert AuditEntry.objects.filter(action="export.download", target=str(export.public_id)).count() == 1
    assert errors == []


def test_a_package_page_watches_the_build_until_it_is_ready(page_as, live_server, web_case):
    """The status part asks again every two seconds, and stops once the package is ready."""
    lead = web_case.memberships.get(role=Role.LEAD).user
    # A lease far ahead: the session's worker sweeps for lost packages, and this one is no business of it.
    export = Export.objects.create(
        case=web_case, requested_by=lead, incident_ids=[web_case.incidents.first().pk],
        lease_expires_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    page = page_as(user=lead)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/packages/{export.public_id}/")
    assert page.get_by_text("Queued").is_visible()

    Export.objects.filter(pk=export.pk).update(status="building", progress=40)
    page.locator("#package-status progress[value='40']").wait_for()
    Export.objects.filter(pk=export.pk).update(status="failed", status_reason="IMG_0042.jpg is damaged")

    page.get_by_text("The package could not be built: IMG_0042.jpg is damaged").wait_for()
    assert page.locator("#package-announcer").inner_text() == "The package could not be built."
    assert page.locator("#package-status[hx-trigger]").count() == 0
