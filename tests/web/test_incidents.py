"""The incident pages without a browser: recording and changing an incident through the services, the
refusals in words next to the map, the location check, linking evidence, and what the incident's page
shows (evidence by kind and name, allegations, pseudonyms, the history). Who may open which page is
tests/web/test_page_access.py's; the map in a browser is tests/web/test_incidents_browser.py's."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.core.files.base import ContentFile

from evidence.models import AuditEntry, CustodyEntry, EvidenceIncidentLink, Incident, Role
from evidence.services.intake import evidence_link_incident, evidence_receive
from evidence.services.record import allegation_create, incident_update, person_create, unit_create
from evidence.services.witnesses import protected_person_create
from tests.factories import CaseFactory, make_incident

pytestmark = pytest.mark.django_db

BOW_TIE = '{"type": "Polygon", "coordinates": [[[30.0, 50.0], [31.0, 51.0], [31.0, 50.0], [30.0, 51.0], [30.0, 50.0]]]}'


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR, username="olena")


@pytest.fixture
def client(web_client, investigator):
    return web_client(investigator, headers={"Accept-Language": "en"})


def new_url(case) -> str:
    return f"/cases/{case.reference}/incidents/new/"


def form(**changes) -> dict:
    body = {
        "title": "Killings on Yablunska Street",
        "location": '{"type": "Point", "coordinates": [30.2208, 50.5445]}',
        "place_name": "Yablunska Street, Bucha",
        "occurred_from_date": "2022-03-04",
        "occurred_to_date": "2022-03-06",
        "date_precision": "day",
        "crimes": ["8(2)(a)(i)", "7(1)(a)"],
        "killed": "7",
        "status": "draft",
    }
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def text_of(response) -> str:
    """The page's text, tags removed and spaces collapsed (what a reader sees)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&quot;", '"').replace("&#x27;", "'")


# --- Recording -----------------------------------------------------------------------------------------


def test_an_investigator_records_an_incident_through_the_service(client, case_a, investigator):
    response = client.post(new_url(case_a), form())

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/UA-2022-BUCHA/incidents/{incident.pk}/"
    assert incident.case == case_a
    assert incident.title == "Killings on Yablunska Street"
    assert (incident.location.x, incident.location.y) == (30.2208, 50.5445)
    # Whole days in the case's zone (Europe/Kyiv, UTC+2 in March): the 4th from its start, the 6th to its end.
    assert incident.occurred_from == datetime(2022, 3, 3, 22, 0, tzinfo=UTC)
    assert incident.occurred_to == datetime(2022, 3, 6, 21, 59, 59, 999999, tzinfo=UTC)
    assert incident.crimes == ["7(1)(a)", "8(2)(a)(i)"]
    assert (incident.killed, incident.injured, incident.missing, incident.detained) == (7, None, None, None)
    assert incident.created_by == investigator
    entry = AuditEntry.objects.get(action="incident.create")
    assert (entry.actor, entry.case, entry.target) == (investigator, case_a, str(incident.public_id))


def test_a_day_with_a_time_is_that_time_in_the_case_zone(client, case_a):
    client.post(new_url(case_a), form(occurred_from_time="10:15", occurred_to_date=None, date_precision="exact"))

    incident = Incident.objects.get()
    assert incident.occurred_from == datetime(2022, 3, 4, 8, 15, tzinfo=UTC)
    assert incident.occurred_to is None
    assert incident.date_precision == "exact"


@pytest.mark.parametrize(
    "location",
    [
        "POINT(30.2208 50.5445)",
        '{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [30.2208, 50.5445]}}',
        "SRID=4326;POINT (30.2208 50.5445)",
    ],
)
def test_a_location_may_be_typed_as_wkt_or_pasted_as_a_feature(client, case_a, location):
    assert client.post(new_url(case_a), form(location=location)).status_code == 302

    assert Incident.objects.get().location.coords == (30.2208, 50.5445)


def test_an_area_drawn_on_the_map_is_kept_as_drawn(client, case_a):
    square = '{"type": "Polygon", "coordinates": [[[30.2, 50.5], [30.3, 50.5], [30.3, 50.6], [30.2, 50.5]]]}'

    client.post(new_url(case_a), form(location=square))

    assert Incident.objects.get().location == Polygon(
        ((30.2, 50.5), (30.3, 50.5), (30.3, 50.6), (30.2, 50.5)), srid=4326
    )


def test_an_outline_that_crosses_itself_is_refused_in_words_next_to_the_map(client, case_a):
    response = client.post(new_url(case_a), form(location=BOW_TIE))

    assert response.status_code == 400
    text = text_of(response)
    assert "The incident was not saved. Correct what is marked below." in text
    assert (
        "The outline of the area crosses itself, near longitude 30.5, latitude 50.5. Move its corners so that no "
        "two edges cross (Edit the shape), or draw it again."
    ) in text
    assert "Technical detail Invalid Polygon: Self-intersection[30.5 50.5]." in text
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Incident.objects.exists() and not AuditEntry.objects.filter(action="incident.create").exists()


@pytest.mark.parametrize(
    ("location", "said"),
    [
        ("", "Put the incident on the map: drop a point, or draw a line or an area."),
        ("POINT(200 50)", "A point lies off the globe: longitude goes from -180 to 180 and latitude from -90 to 90."),
        ('{"type": "Point", "coordinates": [30.2, 50.5, 120]}', "without an altitude"),
        ("POINT(30.2 50.5", "The location cannot be read."),
        ("somewhere near Bucha", "The location cannot be read."),
        ('{"type": "LineString", "coordinates": [[30.2, 50.5], [30.2, 50.5]]}', "A line needs at least two different"),
        ('{"type": "Polygon", "coordinates": [[[30, 50], [31, 51], [30, 50]]]}', "An area needs at least three"),
        ('{"type": "GeometryCollection", "geometries": []}', "A location is a point, a line or an area"),
        ("[" * 100_000, "The location cannot be read."),  # deeper than Python's stack: still no 500
        ('"' + "[" * 100_000 + '"', "The location cannot be read."),  # the same, inside a JSON string
        ('{"type": "Feature", "geometry": "' + "[" * 100_000 + '"}', "The location cannot be read."),
        ('{"type": "Point", "coordinates": [30.2, 50.5], "crs": {}}', 'Leave out "crs"'),
    ],
)
def test_a_location_that_cannot_be_kept_is_refused_with_the_reason(client, case_a, location, said):
    response = client.post(new_url(case_a), form(location=location))

    assert response.status_code == 400
    assert said in text_of(response)
    assert not Incident.objects.exists()


def test_an_end_before_the_start_is_the_services_refusal_shown_at_the_end_date(client, case_a):
    response = client.post(new_url(case_a), form(occurred_from_date="2022-03-06", occurred_to_date="2022-03-04"))

    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="id_occurred_to_date_error"><p>The end is before the start\.</p>', html)
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"killed": "-1"}, "killed"),
        ({"injured": "99999999999"}, "injured"),
        ({"missing": "seven"}, "missing"),
        ({"occurred_from_date": "0001-01-01"}, "occurred_from_date"),
        ({"occurred_from_date": "2022-02-30"}, "occurred_from_date"),
        ({"occurred_to_date": None, "occurred_to_time": "10:00"}, "occurred_to_date"),
        ({"crimes": ["8(2)(z)(ix)"]}, "crimes"),
        ({"status": "deleted"}, "status"),
        ({"date_precision": "week"}, "date_precision"),
        ({"location_uncertainty_m": "1e9"}, "location_uncertainty_m"),
    ],
)
def test_hostile_or_mistaken_input_is_refused_at_its_field(client, case_a, changes, field):
    response = client.post(new_url(case_a), form(**changes))

    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Incident.objects.exists()


# --- Checking a location while it is drawn -------------------------------------------------------------


def check(client, case, location: str):
    return client.post(f"/cases/{case.reference}/incidents/check-location/", {"location": location})


def test_the_location_check_says_why_a_location_would_be_refused_and_writes_nothing(client, case_a):
    response = check(client, case_a, BOW_TIE)

    assert response.status_code == 200
    assert "The outline of the area crosses itself, near longitude 30.5, latitude 50.5." in text_of(response)
    assert not Incident.objects.exists() and not AuditEntry.objects.exists()


def test_the_location_check_warns_of_swapped_coordinates_and_places_outside_the_country(client, case_a):
    swapped = text_of(check(client, case_a, "POINT(50.5445 30.2208)"))
    outside = text_of(check(client, case_a, "POINT(2.3522 48.8566)"))  # Paris
    inside = text_of(check(client, case_a, "POINT(30.2208 50.5445)"))

    assert "would be inside it with latitude and longitude swapped" in swapped
    assert "The location lies (at least partly) outside the country." in outside
    assert "The location can be saved." in inside and "Check the location" not in inside


def test_the_location_check_names_the_area_the_location_lies_in(client, case_a):
    from tests.factories import make_area

    make_area("Бучанська", (30.1, 50.4, 30.4, 50.7), level="hromada").__class__.objects.filter(
        name_uk="Бучанська"
    ).update(name_en="Bucha")

    assert "It lies in Bucha." in text_of(check(client, case_a, "POINT(30.2208 50.5445)"))


def test_an_incident_saved_outside_the_country_says_so_on_its_page(client, case_a):
    client.post(new_url(case_a), form(location="POINT(50.5445 30.2208)"))

    incident = Incident.objects.get()
    page = text_of(client.get(f"/cases/UA-2022-BUCHA/incidents/{incident.pk}/"))
    assert incident.warnings[0]["code"] == "coordinates_swapped"
    assert "Check the location: The location is outside the country, but would be inside it" in page


# --- Changing ------------------------------------------------------------------------------------------


@pytest.fixture
def recorded(case_a, investigator):
    # Given through the API's way, to the second and with a time: 11:00:30 in Kyiv.
    return make_incident(
        case_a, actor=investigator, title="Shelling of a residential block",
        occurred_from=datetime(2022, 3, 5, 9, 0, 30, tzinfo=UTC), location=Point(30.52, 50.45, srid=4326),
        crimes=["8(2)(b)(i)"], killed=None, status="draft",
    )  # fmt: skip


def edit_url(incident) -> str:
    return f"/cases/{incident.case.reference}/incidents/{incident.pk}/edit/"


def test_the_edit_form_shows_the_incident_in_the_case_zone(client, recorded):
    html = client.get(edit_url(recorded)).content.decode()

    assert 'name="occurred_from_date" value="2022-03-05"' in html
    assert 'name="occurred_from_time" value="11:00:30"' in html
    assert '<option value="8(2)(b)(i)" selected>' in html


def test_an_edit_changes_only_what_the_person_changed(client, recorded, investigator):
    body = {
        "title": "Shelling of a residential block on Vokzalna Street",
        "location": client.get(edit_url(recorded)).context["form"]["location"].value(),
        "occurred_from_date": "2022-03-05",
        "occurred_from_time": "11:00:30",
        "date_precision": "day",
        "crimes": ["8(2)(b)(i)"],
        "killed": "3",
        "status": "under_review",
    }

    response = client.post(edit_url(recorded), body)

    assert response.status_code == 302
    recorded.refresh_from_db()
    assert recorded.title == "Shelling of a residential block on Vokzalna Street"
    assert recorded.occurred_from == datetime(2022, 3, 5, 9, 0, 30, tzinfo=UTC)  # untouched, to the second
    assert (recorded.killed, recorded.status) == (3, "under_review")
    entry = AuditEntry.objects.get(action="incident.update")
    assert entry.actor == investigator
    assert sorted(entry.details) == ["killed", "status", "title"]


def test_an_edit_that_changes_nothing_writes_nothing(client, recorded):
    page = client.get(edit_url(recorded))
    body = {name: page.context["form"][name].value() for name in page.context["form"].fields}
    body = {name: value for name, value in body.items() if value is not None}

    response = client.post(edit_url(recorded), body, follow=True)

    assert "Nothing was changed." in text_of(response)
    assert not AuditEntry.objects.filter(action="incident.update").exists()


def test_an_edit_refused_by_the_service_keeps_the_incident_as_it_was(client, recorded):
    response = client.post(
        edit_url(recorded),
        {"title": "x", "location": "POINT(30.52 50.45)", "occurred_from_date": "2022-03-05",
         "occurred_to_date": "2022-03-01", "date_precision": "day", "status": "draft"},
    )  # fmt: skip

    assert response.status_code == 400
    recorded.refresh_from_db()
    assert (recorded.title, recorded.occurred_to) == ("Shelling of a residential block", None)


# --- The incident's page -------------------------------------------------------------------------------


def detail(client, incident):
    return client.get(f"/cases/{incident.case.reference}/incidents/{incident.pk}/")


def test_the_page_shows_when_as_precisely_as_it_is_known(client, case_a, investigator):
    incident = make_incident(
        case_a, actor=investigator, occurred_from=datetime(2022, 2, 28, 22, 0, tzinfo=UTC),
        occurred_to=datetime(2022, 3, 31, 20, 59, tzinfo=UTC), date_precision="month",
    )  # fmt: skip

    text = text_of(detail(client, incident))

    assert "When March 2022 (month)" in text
    assert "Recorded as 1 March 2022, 00:00 EET – 31 March 2022, 23:59 EEST" in text


def test_the_page_shows_the_crimes_counts_and_place(client, case_a, investigator):
    client.post(new_url(case_a), form())
    text = text_of(detail(client, Incident.objects.get()))

    assert "8(2)(a)(i) War crime of wilful killing" in text
    assert "7(1)(a) Crime against humanity of murder" in text
    assert "Killed 7 Injured not known Missing not known Detained not known" in text
    assert "Place Yablunska Street, Bucha" in text
    assert "Location a point at 30.2208, 50.5445" in text


def test_the_page_shows_evidence_by_kind_and_name_never_its_content(client, case_a, investigator, recorded):
    photo = evidence_receive(
        actor=investigator, case=case_a, upload=ContentFile(b"jpeg bytes", name="IMG_0042.jpg"),
        original_filename="IMG_0042.jpg", incidents=[recorded], kind="photo", title="Bodies on the street",
    )  # fmt: skip
    evidence_receive(
        actor=investigator, case=case_a, upload=ContentFile(b"%PDF", name="protocol.pdf"),
        original_filename="protocol.pdf", incidents=[recorded], kind="document",
    )  # fmt: skip

    response = detail(client, recorded)

    html = response.content.decode()
    text = text_of(response)
    assert "Evidence 2" in text
    assert f"Bodies on the street {photo.ern} Photo · Received" in text
    assert "protocol.pdf UA-2022-BUCHA-" in text
    assert 'class="incident-kind-icon incident-kind-photo"' in html
    assert 'class="incident-kind-icon incident-kind-document"' in html
    assert "<img" not in html and "/download/" not in html
    assert f'<a href="/cases/UA-2022-BUCHA/evidence/{photo.pk}/" class="incident-gallery-name">' in html


def test_the_page_shows_allegations_and_witnesses_by_pseudonym(client, case_a, investigator, recorded, member_of):
    lead = member_of(case_a, Role.LEAD)
    unit = unit_create(
        actor=lead, case=case_a, name="64th Separate Motor Rifle Brigade", designation="military unit 51460"
    )
    person = person_create(actor=lead, case=case_a, full_name="Азатбек Омурбеков", unit=unit)
    allegation_create(actor=lead, case=case_a, incident=recorded, person=person, role="commander", confidence="high")
    allegation_create(actor=lead, case=case_a, incident=recorded, unit=unit, role="unit_in_control")
    witness = protected_person_create(
        actor=lead, case=case_a, kind="witness", identity={"full_name": "Ivanna Petrenko"}
    )
    incident_update(actor=lead, incident=recorded, protected_persons=[witness])

    response = detail(client, recorded)

    text = text_of(response)
    assert "Person Азатбек Омурбеков Commander High Alleged" in text
    assert f'<a href="/cases/UA-2022-BUCHA/people/{person.pk}/">' in response.content.decode()
    assert f'<a href="/cases/UA-2022-BUCHA/units/{unit.pk}/">' in response.content.decode()
    assert "Unit 64th Separate Motor Rifle Brigade (military unit 51460) Unit in control Low Alleged" in text
    assert f"{witness.pseudonym} Witness" in text
    assert "Ivanna" not in text and "Petrenko" not in text


def test_the_history_says_who_changed_what(client, recorded, investigator, member_of):
    lead = member_of(recorded.case, Role.LEAD, username="o.kovalenko")
    incident_update(
        actor=lead, incident=recorded, title="Shelling of a block of flats", killed=4, crimes=["8(2)(a)(i)"],
        location=Point(30.53, 50.46, srid=4326),
    )  # fmt: skip

    text = text_of(detail(client, recorded))

    assert "History" in text
    changed = text.index("o.kovalenko changed · revision 2")
    created = text.index("olena recorded the incident · revision 1")
    assert changed < created  # newest first
    assert "Title : Shelling of a residential block → became Shelling of a block of flats" in text
    assert "Killed : not known → became 4" in text
    assert "Crimes : added 8(2)(a)(i); removed 8(2)(b)(i)" in text
    assert "Location : a point at 30.52, 50.45 → became a point at 30.53, 50.46" in text


def test_a_reader_is_offered_neither_change_nor_link(web_client, case_a, member_of, recorded):
    analyst = web_client(member_of(case_a, Role.ANALYST))

    html = detail(analyst, recorded).content.decode()

    assert "/edit/" not in html and 'name="ern"' not in html


def test_the_page_makes_the_same_number_of_queries_whatever_the_evidence(
    client, case_a, investigator, recorded, django_assert_max_num_queries
):
    def items(count: int) -> None:
        for n in range(count):
            evidence_receive(
                actor=investigator, case=case_a, upload=ContentFile(f"bytes {n}".encode(), name=f"{n}.jpg"),
                original_filename=f"{n}.jpg", incidents=[recorded],
            )  # fmt: skip

    items(1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        detail(client, recorded)
    items(5)
    with django_assert_max_num_queries(len(one.captured_queries)):
        detail(client, recorded)


# --- Linking evidence ----------------------------------------------------------------------------------


def link(client, incident, ern: str):
    return client.post(f"/cases/{incident.case.reference}/incidents/{incident.pk}/evidence/", {"ern": ern})


@pytest.fixture
def item(case_a, investigator):
    upload = ContentFile(b"video bytes", name="VID_0001.mp4")
    return evidence_receive(actor=investigator, case=case_a, upload=upload, original_filename="VID_0001.mp4")


def test_an_item_is_linked_by_its_ern_through_the_service(client, recorded, item, investigator):
    response = link(client, recorded, item.ern.lower())

    assert response.status_code == 302 and response["Location"].endswith("#evidence")
    assert EvidenceIncidentLink.objects.filter(evidence=item, incident=recorded).exists()
    assert CustodyEntry.objects.filter(evidence=item, event_type="linked").count() == 1
    assert AuditEntry.objects.get(action="evidence.link").details == {"incident": recorded.pk}
    assert "is now linked to this incident." in text_of(client.get(response["Location"]))


def test_the_page_offers_the_case_items_not_linked_yet(client, recorded, item):
    html = detail(client, recorded).content.decode()

    assert f'<option value="{item.ern}">VID_0001.mp4</option>' in html


@pytest.mark.parametrize(
    ("ern", "said"),
    [
        ("", "Give the ERN of the item to link, such as UA-2022-BUCHA-000123."),
        ("UA-2022-BUCHA-999999", "No item UA-2022-BUCHA-999999 in this case."),
        ("x" * 10_000, "No item"),
        ("UA\x00", "No item UA in this case."),
    ],
)
def test_an_ern_that_names_no_item_of_the_case_is_refused(client, recorded, ern, said):
    response = link(client, recorded, ern)

    assert response.status_code == 400
    assert said in text_of(response)
    assert not EvidenceIncidentLink.objects.filter(incident=recorded).exists()


def test_an_item_of_another_case_is_not_found(client, recorded, member_of):
    other = CaseFactory(reference="UA-2022-IZIUM")
    owner = member_of(other, Role.LEAD)
    foreign = evidence_receive(
        actor=owner, case=other, upload=ContentFile(b"other", name="a.jpg"), original_filename="a.jpg"
    )

    response = link(client, recorded, foreign.ern)

    assert response.status_code == 400
    assert f"No item {foreign.ern} in this case." in text_of(response)
    assert not EvidenceIncidentLink.objects.exists()


def test_an_item_linked_already_is_said_to_be(client, recorded, item, investigator):
    evidence_link_incident(actor=investigator, item=item, incident=recorded)

    response = link(client, recorded, item.ern)

    assert response.status_code == 400
    assert f"{item.ern} is already linked to this incident." in text_of(response)
    assert EvidenceIncidentLink.objects.filter(evidence=item).count() == 1


# --- In Ukrainian --------------------------------------------------------------------------------------


def test_the_incident_pages_in_ukrainian_show_no_english_word(web_client, case_a, investigator, item):
    from tests.web.test_i18n import english_words

    case_a.title = "Вбивства в Бучі"
    case_a.save()
    recorded = make_incident(case_a, actor=investigator, title="Обстріл", crimes=["8(2)(b)(i)"])
    evidence_link_incident(actor=investigator, item=item, incident=recorded)
    incident_update(actor=investigator, incident=recorded, title="Обстріл житлового будинку", killed=3)
    client = web_client(investigator, headers={"Accept-Language": "uk"})
    base = f"/cases/UA-2022-BUCHA/incidents/{recorded.pk}/"
    pages = {
        "new": client.get(new_url(case_a)),
        "refused": client.post(new_url(case_a), form(title="Обстріл", location=BOW_TIE, crimes=["8(2)(a)(i)"])),
        "edit": client.get(f"{base}edit/"),
        "page": client.get(base),
        "link refused": link(client, recorded, "UA-2022-BUCHA-999999"),
        "check refused": check(client, case_a, BOW_TIE),
        "check warned": check(client, case_a, "POINT(50.5445 30.2208)"),
        "check ok": check(client, case_a, "POINT(30.2208 50.5445)"),
    }
    # Names, codes and what the person typed: the evidence's file name, the examples of WKT and of GeoJSON, the
    # ERN, a location as GeoJSON in its field, the crimes' codes (8(2)(b)(xxvi)) and "hors de combat" in a
    # title, geo.validation's words behind "Technical detail" (lang="en"). Only the page's own part is read:
    # the header is every page's.
    allowed = {"olena", "VID", "mp", "POINT", "GeoJSON", "WKT", "WGS", "ERN", "Invalid", "Polygon", "Self",
               "intersection", "crs", "type", "coordinates", "Point", "Alt", "hors", "de", "combat",
               *ROMAN}  # fmt: skip
    for what, response in pages.items():
        assert response.status_code in (200, 400), what
        html = response.content.decode()
        main = html[html.index("<main") :] if "<main" in html else html
        assert english_words(main, allowed) == set(), (what, sorted(english_words(main, allowed)))


ROMAN = {"ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii", "xiii", "xiv", "xv", "xvi", "xvii", "xviii", "xix",
         "xx", "xxi", "xxii", "xxiii", "xxiv", "xxv", "xxvi", "xxvii", "xxviii", "xxix"}  # fmt: skip


@pytest.mark.parametrize("path", ["99999999999999999999999/", "99999999999999999999999/edit/"])
def test_an_incident_number_beyond_the_database_is_not_found(client, case_a, path):
    assert client.get(f"/cases/{case_a.reference}/incidents/{path}").status_code == 404
