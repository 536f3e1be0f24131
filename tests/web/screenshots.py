"""Screenshots of the workspace for the README, taken with the browser tests' fixtures so they show
what the tests see: `make screenshots` writes docs/screenshots/*.png. Not part of `make test` (its
name does not start with test_); run it after changing how a page looks, and look at the result."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from evidence.models import IssuedPassword, Role
from tests.factories import CaseFactory, MembershipFactory
from tests.otp import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 760}


def test_take_screenshots(new_page, page_as, live_server, web_case):
    SHOTS.mkdir(parents=True, exist_ok=True)
    lead = web_case.memberships.get(role=Role.LEAD).user
    for reference, title, role, opened in (
        ("UA-2022-IZIUM", "Mass burial site in Izium", Role.LEGAL, datetime(2022, 9, 16, 9, 0, tzinfo=UTC)),
        ("UA-2023-KAKHOVKA", "Destruction of the Kakhovka dam", Role.ANALYST, datetime(2023, 6, 6, 4, 0, tzinfo=UTC)),
    ):
        case = CaseFactory(reference=reference, title=title, created_at=opened)
        MembershipFactory(case=case, user=lead, role=role)
    type(web_case).objects.filter(pk=web_case.pk).update(created_at=datetime(2022, 4, 3, 8, 0, tzinfo=UTC))

    for locale, name in (("en-GB", "signin-en"), ("uk-UA", "signin-uk")):
        page = new_page(locale=locale, viewport=DESKTOP)
        page.goto(f"{live_server.url}/signin/")
        page.screenshot(path=SHOTS / f"{name}.png", full_page=True)

    for locale, viewport, name in (("en-GB", DESKTOP, "cases-en"), ("uk-UA", PHONE, "cases-uk-phone")):
        page = page_as(user=lead, locale=locale, viewport=viewport)
        page.goto(f"{live_server.url}/")
        page.screenshot(path=SHOTS / f"{name}.png", full_page=True)

    page = page_as(user=lead, viewport=DESKTOP)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/")
    page.locator("summary", has_text="UA-2022-BUCHA").click()
    page.screenshot(path=SHOTS / "case-switcher-en.png", full_page=True)

    # A form with its errors: a colleague's first sign-in, choosing a password too common.
    newcomer = MembershipFactory(case=web_case, role=Role.INVESTIGATOR).user
    IssuedPassword.objects.create(user=newcomer, expires_at=timezone.now() + timedelta(days=3))
    page = page_as(user=newcomer, locale="uk-UA", viewport=DESKTOP)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Поточний пароль").fill(PASSWORD)
    page.get_by_label("Новий пароль", exact=True).fill("password1234")
    page.get_by_label("Новий пароль ще раз").fill("password1234")
    page.get_by_role("button", name="Змінити пароль").click()
    page.screenshot(path=SHOTS / "password-uk.png", full_page=True)


def test_take_incident_screenshots(page_as, live_server, web_case):
    """The incident form with an area drawn on the map, and an incident's page with its evidence,
    allegations, witnesses and history (web/views/incidents.py)."""
    from django.contrib.gis.geos import Polygon
    from django.core.files.base import ContentFile

    from evidence.models import Incident
    from evidence.services.intake import evidence_receive
    from evidence.services.record import allegation_create, incident_update, person_create, unit_create
    from evidence.services.witnesses import protected_person_create

    SHOTS.mkdir(parents=True, exist_ok=True)
    lead = web_case.memberships.get(role=Role.LEAD).user
    page = page_as(Role.INVESTIGATOR, viewport=DESKTOP)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/incidents/new/")
    page.get_by_role("button", name="Draw an area").click()
    page.locator("#incident-map canvas").first.wait_for()
    # Chernihiv, at the scale of a few streets.
    page.evaluate("document.getElementById('incident-map').incidentMap.getView()"
                  ".animate({center: ol.proj.fromLonLat([31.2893, 51.4982]), zoom: 16, duration: 0})")  # fmt: skip
    box = page.locator("#incident-map").bounding_box()
    for x, y in ((180, 110), (300, 130), (290, 230)):
        page.mouse.click(box["x"] + x, box["y"] + y)
    page.mouse.dblclick(box["x"] + 170, box["y"] + 210)
    page.locator("#location-feedback .incident-feedback").first.wait_for()
    page.get_by_label("Title").fill("Shelling of a bread queue")
    page.get_by_label("From (day)").fill("2022-03-16")
    page.get_by_label("Place").fill("Heroiv Street, Chernihiv")
    crimes = page.get_by_role("combobox", name="Crimes (Rome Statute)")
    crimes.fill("8(2)(b)(i)")
    crimes.press("Enter")
    page.get_by_label("Killed").fill("14")
    crimes.fill("wilful killing")
    page.screenshot(path=SHOTS / "incident-create-en.png", full_page=True)

    incident = Incident.objects.get(title="Killings on Yablunska Street")
    incident_update(
        actor=lead, incident=incident, crimes=["8(2)(a)(i)", "7(1)(a)"], killed=7, place_name="Yablunska Street, Bucha",
        location=Polygon(((30.2195, 50.5441), (30.2236, 50.5450), (30.2230, 50.5462), (30.2190, 50.5455),
                          (30.2195, 50.5441)), srid=4326),
    )  # fmt: skip
    for name, kind, title in (
        ("IMG_0042.jpg", "photo", "Street after the withdrawal"),
        ("VID_0007.mp4", "video", "Drone footage, 4 March"),
        ("statement-W-0001.pdf", "testimony", "Witness statement"),
        ("protocol.pdf", "document", "Inspection protocol"),
    ):
        evidence_receive(
            actor=lead, case=web_case, upload=ContentFile(name.encode(), name=name), original_filename=name,
            incidents=[incident], kind=kind, title=title,
        )  # fmt: skip
    unit = unit_create(
        actor=lead, case=web_case, name="64th Separate Motor Rifle Brigade", designation="military unit 51460"
    )
    person = person_create(actor=lead, case=web_case, full_name="Азатбек Омурбеков", unit=unit)
    allegation_create(actor=lead, case=web_case, incident=incident, person=person, role="commander", confidence="high")
    allegation_create(actor=lead, case=web_case, incident=incident, unit=unit, role="unit_in_control")
    witness = protected_person_create(actor=lead, case=web_case, kind="witness", identity={"full_name": "—"})
    incident_update(actor=lead, incident=incident, protected_persons=[witness], status="under_review")
    page = page_as(user=lead, viewport=DESKTOP)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/incidents/{incident.pk}/")
    page.locator("#incident-map canvas").first.wait_for()
    page.screenshot(path=SHOTS / "incident-en.png", full_page=True)
    page = page_as(user=lead, locale="uk-UA", viewport=PHONE)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/incidents/{incident.pk}/")
    page.locator("#incident-map canvas").first.wait_for()
    page.screenshot(path=SHOTS / "incident-uk-phone.png", full_page=True)


def test_take_upload_screenshots(page_as, live_server, web_case, celery_worker):
    """The upload page with files archived, one refused and one being hashed; the receipt; the page in
    Ukrainian on a phone."""
    from tests.media import photo_bytes
    from tests.web.test_upload_browser import drop, noise

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = page_as(Role.INVESTIGATOR, viewport=DESKTOP)
    page.goto(f"{live_server.url}/cases/UA-2022-BUCHA/upload/")
    files = [
        ("IMG_0042.jpg", photo_bytes(seed=42), "image/jpeg"),
        ("statement-W-0001.txt", "Свідчення: черга за хлібом.\n".encode() * 40, "text/plain"),
        ("VID_0007.mp4", noise(7, 400_000), "video/mp4"),
    ]
    drop(page, files)
    for name, _, _ in files:
        page.locator(f"li.upload-file[data-file='{name}']").get_by_text("SHA-256 computed by your browser").wait_for()
    page.locator("#id_batch-source").fill("Phone of a neighbour, handed over on 20 March 2022")
    page.get_by_role("button", name="Send the files (3)").click()
    for name, _, _ in files:
        page.wait_for_selector(f"li.upload-file[data-file='{name}'][data-stage='archived']", timeout=60_000)
    drop(page, [("empty.txt", b"", "text/plain"), ("VID_0008.mp4", noise(8, 300_000), "video/mp4")])
    own = page.locator("li.upload-file[data-file='VID_0008.mp4']")
    own.locator("summary").click()
    own.get_by_label("Title").fill("Queue at the bakery, filmed from a window")
    page.screenshot(path=SHOTS / "upload-en.png", full_page=True)

    page.get_by_role("link", name="Keep a receipt of the files received").click()
    page.get_by_role("heading", name="Receipt of evidence").wait_for()
    page.screenshot(path=SHOTS / "upload-receipt-en.png", full_page=True)

    phone = page_as(Role.INVESTIGATOR, locale="uk-UA", viewport=PHONE)
    phone.goto(f"{live_server.url}/cases/UA-2022-BUCHA/upload/")
    drop(phone, [("VID_0100.mp4", noise(1, 200_000), "video/mp4")])
    phone.locator("li.upload-file").get_by_text("SHA-256").wait_for()
    phone.screenshot(path=SHOTS / "upload-uk-phone.png", full_page=True)


def test_take_evidence_and_witness_screenshots(page_as, live_server, web_case, tmp_path):
    """The evidence page of a graphic photo, blurred and then shown, its chain of custody, the evidence
    list, and the dialog before a witness's identity is revealed."""
    from django.contrib.gis.geos import Point

    from evidence.services.viewing import evidence_mark_graphic
    from evidence.services.witnesses import protected_person_create
    from tests.media import photo_bytes, resized, with_gps
    from tests.workers.helpers import archived_item

    lead = web_case.memberships.get(role=Role.LEAD).user
    incident = web_case.incidents.get(title="Killings on Yablunska Street")
    incident.location = Point(30.2220, 50.5450, srid=4326)
    incident.save(update_fields=["location"])
    witness = protected_person_create(
        actor=lead,
        case=web_case,
        kind="witness",
        identity={"full_name": "Mariia Kovalchuk", "contact": "+380 44 000 0000"},
    )
    original = with_gps(photo_bytes(seed=21, size=(960, 640)), tmp_path, lon=30.2208, lat=50.5445)
    photo = archived_item(
        web_case, lead, original, name="IMG_0042.jpg", title="Yablunska Street, 4 March", incidents=[incident],
        protected_persons=[witness],
    )  # fmt: skip
    archived_item(web_case, lead, resized(original, 0.5), name="IMG_0042-small.jpg", title="A copy sent by messenger")
    evidence_mark_graphic(actor=lead, item=photo, graphic=True)
    evidence_page = f"{live_server.url}/cases/{web_case.reference}/evidence/{photo.pk}/"

    page = page_as(Role.ANALYST, viewport=DESKTOP)
    page.goto(f"{live_server.url}/cases/{web_case.reference}/evidence/")
    page.screenshot(path=SHOTS / "evidence-list-en.png", full_page=True)
    page.goto(evidence_page)
    page.wait_for_function("[...document.querySelectorAll('figure.media img')].every(img => img.complete)")
    page.wait_for_timeout(300)  # the map draws
    page.screenshot(path=SHOTS / "evidence-blurred-en.png")
    page.get_by_role("button", name=f"Show {photo.ern}").first.click()
    page.screenshot(path=SHOTS / "evidence-shown-en.png")
    page.locator("section", has=page.get_by_role("heading", name="Chain of custody")).screenshot(
        path=SHOTS / "evidence-custody-en.png"
    )
    page.screenshot(path=SHOTS / "evidence-full-en.png", full_page=True)

    page = page_as(user=lead, viewport=DESKTOP)
    page.goto(f"{live_server.url}/cases/{web_case.reference}/witnesses/{witness.pk}/")
    page.get_by_role("button", name="Reveal the identity…").click()
    page.screenshot(path=SHOTS / "witness-reveal-dialog-en.png")
    page.get_by_role("button", name="Reveal and record it").click()
    page.get_by_role("heading", name="Who W-0001 is").wait_for()
    page.screenshot(path=SHOTS / "witness-revealed-en.png")


def test_take_screenshots_of_packages_audit_members_and_people(page_as, live_server, web_case):
    """Court packages (a list with one ready, one being built and one failed; a ready package's page), the
    audit log, members and roles, a suspect's page and a unit's chain of command."""
    from evidence.models import Export
    from evidence.services.cases import case_member_add
    from evidence.services.record import allegation_create, person_create, person_update, unit_create
    from tests.factories import UserFactory
    from tests.workers.helpers import archived_item
    from workers import common, exports

    SHOTS.mkdir(parents=True, exist_ok=True)
    lead = web_case.memberships.get(role=Role.LEAD).user
    for username, first, last, role in (
        ("o.melnyk", "Olena", "Melnyk", Role.INVESTIGATOR), ("a.bondarenko", "Andrii", "Bondarenko", Role.ANALYST),
        ("j.martin", "Julia", "Martin", Role.LEGAL),
    ):  # fmt: skip
        colleague = UserFactory(username=username, first_name=first, last_name=last)
        case_member_add(actor=lead, case=web_case, user=colleague, role=role)
    legal = web_case.memberships.get(role=Role.LEGAL).user

    army = unit_create(actor=lead, case=web_case, name="58-я общевойсковая армия", designation="в/ч 47084")
    brigade = unit_create(
        actor=lead, case=web_case, name="64-я отдельная мотострелковая бригада", designation="в/ч 51460", parent=army
    )
    for name in ("1-й мотострелковый батальон", "2-й мотострелковый батальон", "Танковый батальон"):
        unit_create(actor=lead, case=web_case, name=name, parent=brigade)
    other = unit_create(actor=lead, case=web_case, name="37-я отдельная мотострелковая бригада", parent=army)
    unit_create(actor=lead, case=web_case, name="Разведывательная рота", parent=other)
    commander = person_create(
        actor=lead, case=web_case, full_name="Омурбеков Азатбек Асанбекович", other_names=["Azatbek Omurbekov"],
        rank="Подполковник", position="Заместитель командира бригады", nationality="RU", unit=brigade,
    )  # fmt: skip
    person_update(actor=lead, person=commander, position="Командир бригады")
    case_member_add(actor=lead, case=web_case, user=UserFactory(username="a.bondarenko"), role=Role.INVESTIGATOR)
    person_create(actor=lead, case=web_case, full_name="Ivan Petrov", rank="Sergeant", unit=brigade)
    incidents = {incident.title: incident for incident in web_case.incidents.all()}
    yablunska = incidents["Killings on Yablunska Street"]
    allegation_create(
        actor=lead, case=web_case, incident=yablunska, person=commander, role="commander", confidence="high",
        status="corroborated", basis="Orders on intercepted radio traffic; witness statements W-0001, W-0002.",
    )  # fmt: skip
    allegation_create(
        actor=lead, case=web_case, incident=incidents["Mass grave"], unit=brigade, role="unit_in_control",
        confidence="medium", basis="The unit held the area from 3 to 30 March 2022.",
    )  # fmt: skip
    archived_item(web_case, lead, b"photo bytes " * 5000, name="IMG_0042.jpg", title="Yablunska Street, 4 March",
                  incidents=[yablunska])  # fmt: skip
    archived_item(web_case, lead, b"%PDF-1.4 protocol", name="Протокол огляду.pdf", title="Inspection report")

    ready = Export.objects.create(case=web_case, requested_by=legal, incident_ids=[yablunska.pk])
    exports.build_export(ready.pk, agent=common.worker_agent("screenshots"))
    Export.objects.create(
        case=web_case, requested_by=legal, incident_ids=[incidents["Mass grave"].pk], status="building",
        progress=60, lease_expires_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    Export.objects.create(
        case=web_case, requested_by=legal, incident_ids=[incidents["Mass grave"].pk], status="failed",
        status_reason="UA-2022-BUCHA-000003 no longer matches its SHA-256", finished_at=timezone.now(),
    )  # fmt: skip

    page = page_as(user=legal, viewport=DESKTOP)
    page.goto(f"{live_server.url}/cases/{web_case.reference}/packages/")
    page.get_by_role("checkbox", name=re.compile("Mass grave")).check()
    page.screenshot(path=SHOTS / "packages-en.png", full_page=True)
    page.goto(f"{live_server.url}/cases/{web_case.reference}/packages/{ready.public_id}/")
    page.screenshot(path=SHOTS / "package-ready-en.png", full_page=True)

    page = page_as(user=lead, viewport=DESKTOP)
    page.goto(f"{live_server.url}/cases/{web_case.reference}/audit/")
    page.screenshot(path=SHOTS / "audit-log-en.png", full_page=True)
    page.goto(f"{live_server.url}/cases/{web_case.reference}/members/")
    page.screenshot(path=SHOTS / "members-en.png", full_page=True)
    page.goto(f"{live_server.url}/cases/{web_case.reference}/people/?q=Omurbekov")
    page.screenshot(path=SHOTS / "people-search-en.png", full_page=True)
    page.goto(f"{live_server.url}/cases/{web_case.reference}/people/{commander.pk}/")
    page.screenshot(path=SHOTS / "person-en.png", full_page=True)
    page.goto(f"{live_server.url}/cases/{web_case.reference}/units/{brigade.pk}/")
    page.screenshot(path=SHOTS / "unit-tree-en.png", full_page=True)
    page = page_as(user=lead, locale="uk-UA", viewport=PHONE)
    page.goto(f"{live_server.url}/cases/{web_case.reference}/units/{brigade.pk}/")
    page.screenshot(path=SHOTS / "unit-tree-uk-phone.png", full_page=True)


def test_take_case_home_screenshots(page_as, live_server, web_case):
    """The case home of the demo case (evidence/demo.py), on a laptop and on a phone: the map without a tile
    server (as the tests run it: the country and the clusters), the timeline, the counts and the list."""
    from evidence.demo import demo_load

    SHOTS.mkdir(parents=True, exist_ok=True)
    lead = web_case.memberships.get(role=Role.LEAD).user
    case, _ = demo_load(lead=lead)
    for viewport, name in ((DESKTOP, "case-home-en"), (PHONE, "case-home-en-phone")):
        page = page_as(user=lead, viewport=viewport)
        page.goto(f"{live_server.url}/cases/{case.reference}/")
        page.wait_for_url("**/?bbox=*")  # the map has settled and the list follows its view
        page.wait_for_timeout(500)
        page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
