"""The evidence pages without a browser: the list and its filters, an item's page (metadata, where it was
captured, near duplicates, the custody timeline and its integrity), the media route (the API download's
checks, ranges, one recorded access per view), marking graphic, and the blur setting. Who may open which
page is tests/web/test_page_access.py's; the viewer in a browser is tests/web/test_evidence_browser.py's."""

import re
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.core.files.storage import storages
from django.db import transaction
from django.test import Client

from evidence.models import (
    AuditEntry,
    Confidentiality,
    CustodyEntry,
    EvidenceItem,
    EvidenceKind,
    MediaBlur,
    Role,
    UserPreferences,
)
from evidence.services.viewing import evidence_mark_graphic
from evidence.services.witnesses import protected_person_create
from tests.factories import make_incident
from tests.media import photo_bytes, resized, with_gps
from tests.otp import enrol
from tests.web.helpers import signed_in
from tests.workers.helpers import archived_item
from web.views.evidence import media_view_token

pytestmark = pytest.mark.django_db

CONTENT = bytes(range(256)) * 10  # 2,560 bytes
# A PDF that says "Protocol" on one page (written by hand, so the test needs no PDF library).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]/Contents 4 0 R/Resources<<>>>>endobj\n"
    b"4 0 obj<</Length 44>>stream\nBT /F1 24 Tf 40 100 Td (Protocol) Tj ET\nendstream endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="chief")


@pytest.fixture
def investigator(case_a, member_of):
    return member_of(case_a, Role.INVESTIGATOR, username="olena")


def page_url(item: EvidenceItem) -> str:
    return f"/cases/{item.case.reference}/evidence/{item.pk}/"


def media_url(item: EvidenceItem, token: str | None = None) -> str:
    return f"{page_url(item)}media/?view={token or media_view_token(item)}"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def accessed(item: EvidenceItem) -> list[CustodyEntry]:
    return list(item.custody.filter(event_type="accessed").order_by("sequence"))


# --- The list ---------------------------------------------------------------------------------------------


@pytest.fixture
def listed(case_a, investigator):
    incident = make_incident(case_a, title="Killings on Yablunska Street")
    photo = archived_item(case_a, investigator, photo_bytes(seed=1), name="IMG_0042.jpg", title="Street, morning")
    statement = archived_item(
        case_a, investigator, PDF, name="protocol.pdf", title="Protocol of inspection", incidents=[incident]
    )
    return {"incident": incident, "photo": photo, "statement": statement}


def erns_in(response) -> list[str]:
    return re.findall(r"UA-2022-BUCHA-\d{6}", response.content.decode())


def test_the_list_shows_the_case_items_newest_first(listed, investigator, case_a):
    response = signed_in(investigator).get(f"/cases/{case_a.reference}/evidence/")

    assert response.status_code == 200
    assert erns_in(response) == ["UA-2022-BUCHA-000002", "UA-2022-BUCHA-000001"]
    assert "Protocol of inspection" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=document", ["UA-2022-BUCHA-000002"]),
        ("kind=photo&kind=document", ["UA-2022-BUCHA-000002", "UA-2022-BUCHA-000001"]),
        ("status=archived", ["UA-2022-BUCHA-000002", "UA-2022-BUCHA-000001"]),
        ("status=failed", []),
        ("q=img_0042", ["UA-2022-BUCHA-000001"]),
        ("q=inspection", ["UA-2022-BUCHA-000002"]),
        ("q=000002", ["UA-2022-BUCHA-000002"]),
        ("q=%25", []),  # "%" is not a wildcard
    ],
)
def test_the_list_filters_as_the_api_does(listed, investigator, case_a, query, expected):
    response = signed_in(investigator).get(
        f"/cases/{case_a.reference}/evidence/?{query}", headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert erns_in(response) == expected
    assert "<html" not in response.content.decode()  # htmx gets the table only


def test_a_filter_that_matches_nothing_says_so(listed, investigator, case_a):
    response = signed_in(investigator).get(f"/cases/{case_a.reference}/evidence/?status=failed")

    assert "No evidence of the case matches these filters." in response.content.decode()


def test_the_list_filters_by_incident(listed, investigator, case_a):
    response = signed_in(investigator).get(f"/cases/{case_a.reference}/evidence/?incident={listed['incident'].pk}")

    assert erns_in(response) == ["UA-2022-BUCHA-000002"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("kind=painting", "Kind"), ("status=lost", "Status"), ("incident=abc", "Incident"), ("q=a%00b", "Find")],
)
def test_a_filter_that_is_not_one_is_a_400_naming_it(listed, investigator, case_a, query, field):
    response = signed_in(investigator).get(f"/cases/{case_a.reference}/evidence/?{query}")

    assert response.status_code == 400
    assert f"{field}: " in response.content.decode()


def test_an_incident_of_another_case_is_not_a_filter_of_this_one(listed, investigator, case_a, case_b):
    elsewhere = make_incident(case_b, title="Mass burial site")

    response = signed_in(investigator).get(f"/cases/{case_a.reference}/evidence/?incident={elsewhere.pk}")

    assert response.status_code == 400
    assert f"No incident {elsewhere.pk} in this case." in response.content.decode()
    assert "Mass burial site" not in response.content.decode()


def test_the_list_is_paginated_and_its_links_keep_the_filters(case_a, investigator, monkeypatch):
    monkeypatch.setattr("web.views.evidence.PAGE_SIZE", 2)
    for n in range(3):
        archived_item(case_a, investigator, f"note {n}".encode(), name=f"note-{n}.txt", kind=EvidenceKind.DOCUMENT)
    client = signed_in(investigator)

    first = client.get(f"/cases/{case_a.reference}/evidence/?kind=document")
    second = client.get(f"/cases/{case_a.reference}/evidence/?kind=document&page=2")

    assert erns_in(first) == ["UA-2022-BUCHA-000003", "UA-2022-BUCHA-000002"]
    assert "?kind=document&amp;page=2" in first.content.decode()
    assert erns_in(second) == ["UA-2022-BUCHA-000001"]


# --- An item's page -----------------------------------------------------------------------------------------


@pytest.fixture
def located(case_a, investigator, tmp_path):
    """A photo taken on Yablunska Street, linked to the killings there (about 100 m away) and to the mass
    grave in Izium's forest, about 500 km away."""
    near = make_incident(case_a, title="Killings on Yablunska Street", location=Point(30.2220, 50.5450, srid=4326))
    far = make_incident(case_a, title="Mass grave in the forest", location=Point(37.2750, 49.2000, srid=4326))
    jpeg = with_gps(photo_bytes(seed=3), tmp_path, lon=30.2208, lat=50.5445)
    item = archived_item(case_a, investigator, jpeg, name="IMG_0042.jpg", incidents=[near, far])
    return {"item": item, "near": near, "far": far}


def test_the_page_shows_where_the_file_was_captured_and_how_far_from_each_incident(located, investigator):
    response = signed_in(investigator).get(page_url(located["item"]))
    html = response.content.decode()

    assert response.status_code == 200
    assert "longitude 30.22080, latitude 50.54450" in html
    near_row = re.search(r"Killings on Yablunska Street</a></td>\s*<td[^>]*>([^<]*)<", html).group(1)
    far_row = re.search(r"Mass grave in the forest</a></td>\s*<td[^>]*>([^<]*)<", html).group(1)
    # 0.0012° of longitude at 50.54° N is about 84.9 m, 0.0005° of latitude about 55.6 m: about 101.5 m.
    assert near_row.strip() == "102 m"
    assert re.fullmatch(r"\d{3}(,\d{3})?(\.\d)? km", far_row.strip()), far_row
    assert html.count("far from the incident: check it") == 1
    assert 'id="evidence-map-data"' in html


def test_the_page_shows_the_metadata_readably(located, investigator):
    html = signed_in(investigator).get(page_url(located["item"])).content.decode()

    assert "Metadata in the file" in html
    assert "<dt>GPS Latitude</dt>" in html
    assert "<dt>Image Width</dt>" in html
    assert "<dt>File Name</dt>" not in html  # the worker's name for its copy, not the evidence's
    assert "<dt>File Modify Date</dt>" not in html


def test_the_custody_timeline_shows_each_entry_verified_and_no_warning(located, investigator):
    item = located["item"]

    html = signed_in(investigator).get(page_url(item)).content.decode()

    entries = item.custody.count()
    assert html.count('class="hash-ok"') == entries
    assert f"each of its {entries} entries was recomputed and matches its hash" in html
    assert "integrity of this item is in doubt" not in html
    assert "No fixity check yet since it was archived." in html


def test_the_last_fixity_check_is_shown(located, investigator):
    from evidence.agents import Agent
    from evidence.services.fixity import evidence_record_fixity

    item = located["item"]
    evidence_record_fixity(item=item, agent=Agent.for_worker("fixity@test"), sha256=item.sha256)

    html = signed_in(investigator).get(page_url(item)).content.decode()

    assert "Last fixity check:" in html and "the archived copy matched its SHA-256." in html


def test_a_failed_fixity_check_is_a_clear_warning_and_the_file_is_not_served(located, investigator):
    from evidence.agents import Agent
    from evidence.services.fixity import evidence_record_fixity

    item = located["item"]
    evidence_record_fixity(item=item, agent=Agent.for_worker("fixity@test"), sha256="0" * 64)
    client = signed_in(investigator)

    html = client.get(page_url(item)).content.decode()
    media = client.get(media_url(item))

    assert "The integrity of this item is in doubt." in html
    assert "Its archived copy failed a fixity check" in html
    assert "<img" not in html  # the page shows why instead
    assert media.status_code == 409
    assert accessed(item) == []


def test_near_duplicates_are_shown_side_by_side(case_a, investigator):
    original = photo_bytes(seed=7, size=(800, 600))
    first = archived_item(case_a, investigator, original, name="original.jpg")
    copy = archived_item(case_a, investigator, resized(original, 0.5), name="copy.jpg")

    html = signed_in(investigator).get(page_url(first)).content.decode()

    assert "Near duplicates" in html
    assert f'href="{page_url(copy)}"' in html
    assert html.count('class="media media-image') == 3  # the item, then itself and its copy side by side


def test_an_item_of_another_case_is_not_found(located, case_b, member_of):
    outsider = member_of(case_b, Role.LEAD)
    item = located["item"]

    for url in (page_url(item), media_url(item), f"/cases/{case_b.reference}/evidence/{item.pk}/"):
        assert signed_in(outsider).get(url).status_code == 404, url


# --- The media route --------------------------------------------------------------------------------------------


@pytest.fixture
def item(case_a, investigator):
    return archived_item(case_a, investigator, CONTENT, name="Протокол огляду.pdf")


def test_the_media_route_answers_ranges_and_records_one_access_per_view(item, investigator):
    client = signed_in(investigator)
    token = media_view_token(item)

    whole = client.get(media_url(item, token))
    first = client.get(media_url(item, token), headers={"Range": "bytes=0-9"})
    later = client.get(media_url(item, token), headers={"Range": "bytes=2550-"})

    assert (whole.status_code, body(whole)) == (200, CONTENT)
    assert (first.status_code, first["Content-Range"], body(first)) == (206, "bytes 0-9/2560", CONTENT[:10])
    assert (later.status_code, later["Content-Range"], body(later)) == (206, "bytes 2550-2559/2560", CONTENT[2550:])
    [entry] = accessed(item)
    assert entry.agent == "user:olena"
    assert entry.details == {"range": None, "view": entry.details["view"]}
    assert re.fullmatch(r"[0-9a-f]{32}", entry.details["view"])
    assert entry.detail == f"Viewed in the workspace by user:olena (view {entry.details['view']})"
    downloads = AuditEntry.objects.filter(action="evidence.download", target=item.ern)
    assert list(downloads.values_list("details", flat=True)) == [{"view": entry.details["view"]}]


@pytest.mark.parametrize("header", ["bytes=\x00", "bytes=0-1,5-9", "pages=1-2", "bytes=abc"])
def test_a_range_that_is_not_one_served_gets_the_whole_file_and_is_not_recorded_as_a_range(item, investigator, header):
    """Such a Range is ignored (RFC 9110): the whole file goes out, so the record says no range was served,
    rather than keeping the header (which PostgreSQL refuses to store when it holds NUL)."""
    client = signed_in(investigator)
    token = media_view_token(item)

    viewed = client.get(media_url(item, token), headers={"Range": header})
    saved = client.get(media_url(item, token) + "&download=1", headers={"Range": header})

    assert (viewed.status_code, body(viewed)) == (200, CONTENT)
    assert (saved.status_code, body(saved)) == (200, CONTENT)
    assert [entry.details["range"] for entry in accessed(item)] == [None, None]


def test_each_view_of_the_page_records_its_own_access(item, investigator):
    client = signed_in(investigator)

    client.get(media_url(item), headers={"Range": "bytes=0-"})
    client.get(media_url(item), headers={"Range": "bytes=0-"})

    first, second = accessed(item)
    assert first.details["view"] != second.details["view"]
    assert first.details["range"] == "bytes=0-"


def test_one_view_used_by_two_people_records_each(item, investigator, lead):
    token = media_view_token(item)

    signed_in(investigator).get(media_url(item, token))
    signed_in(lead).get(media_url(item, token))

    assert [entry.agent for entry in accessed(item)] == ["user:olena", "user:chief"]


def test_media_asked_for_by_another_site_is_refused_and_nothing_is_recorded(item, investigator):
    client = signed_in(investigator)
    token = media_view_token(item)

    for fetched_by in ("cross-site", "same-site"):  # an image or a link on a page elsewhere
        answer = client.get(media_url(item, token) + "&download=1", headers={"Sec-Fetch-Site": fetched_by})
        assert answer.status_code == 403
    assert accessed(item) == []
    assert client.get(media_url(item, token), headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200


def test_the_media_is_never_cached_and_is_sent_as_a_file(item, investigator):
    response = signed_in(investigator).get(media_url(item))

    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Accept-Ranges"] == "bytes"


def test_a_pdf_may_be_framed_by_slid_only_and_other_media_by_no_one(case_a, investigator):
    pdf = archived_item(case_a, investigator, PDF, name="protocol.pdf")
    photo = archived_item(case_a, investigator, photo_bytes(seed=2), name="photo.jpg")
    client = signed_in(investigator)

    framed = client.get(media_url(pdf))
    image = client.get(media_url(photo))
    saved = client.get(media_url(pdf) + "&download=1")

    assert (framed["Content-Type"], framed["X-Frame-Options"]) == ("application/pdf", "SAMEORIGIN")
    assert framed["Content-Disposition"] == 'inline; filename="protocol.pdf"'
    assert framed["Content-Security-Policy"] == (
        "default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'self'"
    )
    assert (image["Content-Type"], image["X-Frame-Options"]) == ("image/jpeg", "DENY")
    assert image["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    assert saved["Content-Disposition"].startswith("attachment;")
    assert (saved["Content-Type"], saved["X-Frame-Options"]) == ("application/octet-stream", "DENY")


def test_every_other_page_still_refuses_to_be_framed(located, investigator):
    response = signed_in(investigator).get(page_url(located["item"]))

    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_html_evidence_is_never_rendered_from_slid(case_a, investigator):
    """A web page kept as evidence could run its script in Slid's origin: it goes out as bytes to save."""
    page = archived_item(case_a, investigator, b"<html><script>alert(1)</script></html>", name="saved.html")

    response = signed_in(investigator).get(media_url(page))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("header", ["bytes=5000-6000", "bytes=-0", f"bytes={'9' * 5000}-"])
def test_a_refused_range_answers_416_naming_it_and_records_nothing(item, investigator, header):
    response = signed_in(investigator).get(media_url(item), headers={"Range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */2560"
    assert response.content.decode() == "Range: No byte of the range asked for is in the file, which has 2560 bytes."
    assert accessed(item) == []
    assert not AuditEntry.objects.filter(action="evidence.download").exists()


def hostile_tokens(item: EvidenceItem, other: EvidenceItem) -> list[str]:
    from django.core import signing

    token = media_view_token(item)
    return [
        "",
        "not-a-token",
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # tampered signature
        media_view_token(other),  # a view of another item
        signing.dumps({"evidence": item.pk, "view": "../../etc"}, salt="web.evidence.media-view"),
        signing.dumps({"evidence": item.pk, "view": "0" * 32}, salt="another.salt"),
        token + "x" * 10_000,
        "\x00",
    ]


def test_the_media_route_needs_a_view_its_page_gave(item, investigator, case_a):
    other = archived_item(case_a, investigator, b"another file", name="other.txt")
    client = signed_in(investigator)

    for token in hostile_tokens(item, other):
        response = client.get(f"{page_url(item)}media/", {"view": token})
        assert response.status_code == 400, token[:40]
        assert response.content.decode().startswith("view: ")
    assert accessed(item) == []


def test_an_expired_view_is_refused(item, investigator, monkeypatch):
    token = media_view_token(item)
    monkeypatch.setattr("web.views.evidence.MEDIA_VIEW_MAX_AGE", __import__("datetime").timedelta(seconds=-1))

    assert signed_in(investigator).get(media_url(item, token)).status_code == 400


def test_head_answers_the_headers_and_records_nothing(item, investigator):
    response = signed_in(investigator).head(media_url(item))

    assert (response.status_code, response["Content-Length"]) == (200, "2560")
    assert accessed(item) == []


def test_an_analyst_may_not_open_confidential_media_as_the_api_refuses(case_a, investigator, member_of):
    analyst = member_of(case_a, Role.ANALYST)
    secret = archived_item(
        case_a, investigator, CONTENT, name="secret.pdf", confidentiality=Confidentiality.CONFIDENTIAL
    )

    page = signed_in(analyst).get(page_url(secret))
    media = signed_in(analyst).get(media_url(secret))

    assert page.status_code == 200
    assert "Your role may not download confidential evidence." in page.content.decode()
    assert media.status_code == 403
    assert accessed(secret) == []


@pytest.fixture
def statement(case_a, lead, investigator):
    """A video statement that identifies a witness, and the witness."""
    witness = protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "Mariia K."})
    item = archived_item(
        case_a, investigator, b"video statement", name="statement.mp4",
        confidentiality=Confidentiality.IDENTIFIES_WITNESS, protected_persons=[witness],
    )  # fmt: skip
    return {"item": item, "witness": witness}


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.ANALYST, Role.LEGAL])
def test_evidence_that_identifies_a_witness_is_refused_to_all_but_leads(statement, case_a, member_of, role):
    user = member_of(case_a, role)
    item = statement["item"]

    page = signed_in(user).get(page_url(item))
    media = signed_in(user).get(media_url(item))

    assert media.status_code == 403
    assert "identifies a witness" in page.content.decode()
    assert "media/?view=" not in page.content.decode()
    assert accessed(item) == []


def test_a_lead_opening_evidence_that_identifies_a_witness_reveals_the_witness_once_per_view(statement, lead):
    item = statement["item"]
    client = signed_in(lead)
    token = media_view_token(item)

    client.get(media_url(item, token), headers={"Range": "bytes=0-"})
    client.get(media_url(item, token), headers={"Range": "bytes=5-"})

    [entry] = accessed(item)
    reveals = AuditEntry.objects.filter(action="witness.identity_reveal", target=statement["witness"].pseudonym)
    assert list(reveals.values_list("details", flat=True)) == [
        {"evidence": item.ern, "range": "bytes=0-", "view": entry.details["view"]}
    ]


def test_with_require_totp_evidence_that_identifies_a_witness_needs_a_session_with_the_code(statement, lead, settings):
    settings.SLID_REQUIRE_TOTP = True
    enrol(lead)
    client = Client()
    client.force_login(lead)  # a session without the code counts for nothing once the account has a second factor
    item = statement["item"]

    assert client.get(media_url(item)).status_code == 302  # to sign in again


@pytest.mark.django_db(transaction=True)
def test_a_damaged_archived_copy_breaks_the_view_off_and_is_recorded(case_a, member_of):
    investigator = member_of(case_a, Role.INVESTIGATOR, username="olena")
    item = archived_item(case_a, investigator, CONTENT, name="scan.pdf")
    path = Path(storages["archive"].path(item.archive_key))
    path.chmod(0o644)
    path.write_bytes(b"X" * len(CONTENT))  # the same size, other bytes

    response = signed_in(investigator).get(media_url(item))
    with pytest.raises(Exception, match="the archived copy's SHA-256 is"):
        body(response)

    item.refresh_from_db()
    assert item.fixity_failed_at is not None
    check = item.custody.get(event_type="fixity_check")
    assert check.outcome == "failure"
    assert "While user:olena downloaded" in check.detail


@pytest.mark.django_db(transaction=True)
def test_a_custody_entry_changed_in_the_database_shows_as_not_matching_its_hash(case_a, member_of, as_owner):
    investigator = member_of(case_a, Role.INVESTIGATOR)
    item = archived_item(case_a, investigator, CONTENT, name="scan.pdf")
    with as_owner() as cursor:
        cursor.execute("ALTER TABLE evidence_custodyentry DISABLE TRIGGER custody_append_only")
        cursor.execute(
            "UPDATE evidence_custodyentry SET detail = 'nothing happened' WHERE evidence_id = %s AND sequence = 2",
            [item.pk],
        )
        cursor.execute("ALTER TABLE evidence_custodyentry ENABLE TRIGGER custody_append_only")

    html = signed_in(investigator).get(page_url(item)).content.decode()

    assert "The integrity of this item is in doubt." in html
    assert "Custody entry 2 does not match its hash: it was changed after it was written." in html
    assert "entry 2: the entry&#x27;s content does not match its hash" in html
    assert html.count('class="hash-failed"') == 1
    assert "The chain does not hold" in html


# --- Graphic material and the blur setting ------------------------------------------------------------------


@pytest.fixture
def photo(case_a, investigator):
    return archived_item(case_a, investigator, photo_bytes(seed=5), name="IMG_0101.jpg")


def blurred(html: str) -> bool:
    return 'class="media media-image media-blurred"' in html


@pytest.mark.parametrize(
    ("setting", "graphic", "expected"),
    [
        (None, True, True),  # the default: graphic material only
        (None, False, False),
        (MediaBlur.GRAPHIC, True, True),
        (MediaBlur.ALWAYS, False, True),
        (MediaBlur.NEVER, True, False),
    ],
)
def test_what_is_blurred_follows_the_users_setting(photo, investigator, setting, graphic, expected):
    if setting:
        UserPreferences.objects.create(user=investigator, media_blur=setting)
    if graphic:
        evidence_mark_graphic(actor=investigator, item=photo, graphic=True)

    html = signed_in(investigator).get(page_url(photo)).content.decode()

    assert blurred(html) is expected
    assert ("data-media-show" in html) is expected


@pytest.mark.parametrize("role", list(Role.values))
def test_any_member_may_mark_an_item_graphic_and_it_is_audited(photo, case_a, member_of, role):
    user = member_of(case_a, role)

    response = signed_in(user).post(f"{page_url(photo)}graphic/", {"graphic": "true"})

    assert (response.status_code, response["Location"]) == (302, page_url(photo))
    photo.refresh_from_db()
    assert photo.graphic is True
    entry = AuditEntry.objects.get(action="evidence.graphic")
    assert (entry.actor, entry.target, entry.details) == (user, photo.ern, {"graphic": True})


@pytest.mark.parametrize(("role", "status"), [(Role.ANALYST, 403), (Role.LEGAL, 403), (Role.INVESTIGATOR, 302)])
def test_taking_the_mark_off_is_for_those_who_write_the_record(photo, case_a, member_of, role, status):
    evidence_mark_graphic(actor=photo.received_by, item=photo, graphic=True)
    user = member_of(case_a, role)

    response = signed_in(user).post(f"{page_url(photo)}graphic/", {"graphic": "false"})

    assert response.status_code == status
    photo.refresh_from_db()
    assert photo.graphic is (status == 403)


def test_marking_as_it_already_is_records_nothing(photo, investigator):
    signed_in(investigator).post(f"{page_url(photo)}graphic/", {"graphic": "false"})

    assert not AuditEntry.objects.filter(action="evidence.graphic").exists()


@pytest.mark.parametrize("value", ["", "yes", "TRUE", "1", "\x00"])
def test_a_graphic_value_that_is_not_true_or_false_is_a_400(photo, investigator, value):
    response = signed_in(investigator).post(f"{page_url(photo)}graphic/", {"graphic": value})

    assert (response.status_code, response.content.decode()) == (400, "graphic: say true or false.")


def test_the_settings_page_changes_what_is_blurred(photo, investigator):
    client = signed_in(investigator)

    page = client.get("/account/settings/")
    saved = client.post("/account/settings/", {"media_blur": "always"})

    assert 'value="graphic" id="id_media_blur_1" required checked' in page.content.decode().replace("\n", " ")
    assert (saved.status_code, saved["Location"]) == (302, "/account/settings/")
    assert UserPreferences.objects.get(user=investigator).media_blur == "always"
    assert blurred(client.get(page_url(photo)).content.decode())


@pytest.mark.parametrize("value", ["sometimes", "", "\x00"])
def test_a_setting_that_is_not_one_is_a_400(investigator, value):
    response = signed_in(investigator).post("/account/settings/", {"media_blur": value})

    assert response.status_code == 400
    assert not UserPreferences.objects.exists()


def test_the_blur_setting_service_refuses_what_is_not_a_choice(investigator):
    from evidence.errors import DomainError
    from evidence.services.viewing import user_preferences_update

    with pytest.raises(DomainError, match="Choose one of always, graphic, never"), transaction.atomic():
        user_preferences_update(actor=investigator, media_blur="sometimes")


def test_saving_a_copy_is_recorded_each_time_as_a_download(item, investigator):
    client = signed_in(investigator)
    token = media_view_token(item)

    client.get(media_url(item, token))  # the page's viewer
    client.get(media_url(item, token) + "&download=1")
    client.get(media_url(item, token) + "&download=1")

    assert [entry.detail.split(" by ")[0] for entry in accessed(item)] == [
        "Viewed in the workspace",
        "Downloaded",
        "Downloaded",
    ]


@pytest.mark.django_db(transaction=True)
def test_two_ranges_of_one_view_asked_at_once_record_one_access(case_a, member_of):
    """A browser asks for several ranges of a video at the same moment: the item's row lock makes the second
    find the first's entry."""
    import threading

    from django.db import connection

    from evidence.services.downloads import evidence_record_view

    investigator = member_of(case_a, Role.INVESTIGATOR)
    item = archived_item(case_a, investigator, CONTENT, name="scan.pdf")
    barrier = threading.Barrier(2)
    recorded = []

    def view(byte_range: str) -> None:
        try:
            barrier.wait()
            recorded.append(evidence_record_view(actor=investigator, item=item, view="a" * 32, byte_range=byte_range))
        finally:
            connection.close()

    threads = [threading.Thread(target=view, args=(header,)) for header in ("bytes=0-", "bytes=1000-")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(recorded) == [False, True]
    assert len(accessed(item)) == 1


def test_the_list_runs_as_many_queries_for_many_items_as_for_few(case_a, investigator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(investigator)
    url = f"/cases/{case_a.reference}/evidence/"
    archived_item(case_a, investigator, b"first", name="first.txt")
    client.get(url)  # the session and the caches warm up
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        archived_item(case_a, investigator, f"more {n}".encode(), name=f"more-{n}.txt")
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(many) == len(few)
