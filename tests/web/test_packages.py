"""Court packages in the workspace: choosing, requesting, watching, downloading and verifying, with the
rules and audit entries of the API's exports."""

import hashlib
import re

import pytest
from django.test import Client

from evidence.models import AuditEntry, Confidentiality, Export, ExportProfile, Role
from evidence.services.export_profiles import export_profile_create
from evidence.services.witnesses import protected_person_create
from tests.factories import make_incident
from tests.otp import PASSWORD, current_code, enrol
from tests.web.helpers import main_of, signed_in
from tests.workers.helpers import archived_item
from workers import common, exports

pytestmark = pytest.mark.django_db

PACKAGES = "/cases/UA-2022-BUCHA/packages/"


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


@pytest.fixture
def legal(case_a, member_of):
    return member_of(case_a, Role.LEGAL, username="counsel")


@pytest.fixture
def record(case_a, lead):
    yablunska = make_incident(case_a, title="Killings on Yablunska Street", place_name="Bucha")
    grave = make_incident(case_a, title="Mass grave by the church", place_name="Bucha")
    photo = archived_item(case_a, lead, b"photo bytes " * 4000, name="IMG_0042.jpg", incidents=[yablunska])
    statement = archived_item(case_a, lead, b"%PDF-1.4 statement", name="statement.pdf", title="Statement of W-1")
    return {"yablunska": yablunska, "grave": grave, "photo": photo, "statement": statement}


def build(export: Export) -> Export:
    exports.build_export(export.pk, agent=common.worker_agent("test"))
    export.refresh_from_db()
    return export


def package_url(export: Export, tail: str = "") -> str:
    return f"{PACKAGES}{export.public_id}/{tail}"


def test_legal_requests_a_package_of_incidents_and_evidence(legal, record):
    client = signed_in(legal)
    response = client.post(
        PACKAGES,
        {"incidents": [record["yablunska"].pk], "evidence": [record["statement"].pk], "profile": "default"},
    )

    assert (response.status_code, response["Location"]) == (302, PACKAGES)
    export = Export.objects.get()
    assert (export.requested_by, export.incident_ids, export.evidence_ids) == (
        legal,
        [record["yablunska"].pk],
        [record["statement"].pk],
    )
    assert (export.profile, export.include_identities, export.status) == ("default", False, "queued")
    entry = AuditEntry.objects.get(action="export.request")
    assert (entry.actor, entry.target) == (legal, str(export.public_id))
    page = client.get(PACKAGES).content.decode()
    assert f"Package {export.public_id} requested" in page
    assert f'hx-get="{package_url(export)}?in=row" hx-trigger="every 2s"' in page


def test_a_request_without_a_choice_is_refused_and_nothing_is_queued(legal, record):
    response = signed_in(legal).post(PACKAGES, {"profile": "default"})

    assert response.status_code == 400
    assert "Choose at least one incident or evidence item." in response.content.decode()
    assert not Export.objects.exists()


def test_an_incident_of_another_case_is_refused_naming_the_field(legal, record, case_b):
    foreign = make_incident(case_b, title="Elsewhere")

    response = signed_in(legal).post(PACKAGES, {"incidents": [foreign.pk], "profile": "default"})

    assert response.status_code == 400
    assert re.search(r"Select a valid choice\. \d+ is not one of the available choices", response.content.decode())
    assert not Export.objects.exists()


@pytest.mark.parametrize(
    "values",
    [["x"], ["-1"], ["1.5"], ["99999999999999999999999"], ["1\x00"], [str(n) for n in range(5001)]],
    ids=["text", "negative", "fraction", "beyond bigint", "nul", "too many"],
)
def test_hostile_selections_are_refused_with_400(legal, record, values):
    response = signed_in(legal).post(PACKAGES, {"incidents": values, "profile": "default"})

    assert response.status_code == 400
    assert not Export.objects.exists()


def test_only_a_lead_sees_and_may_ask_for_identities(lead, legal, record):
    assert "include_identities" not in signed_in(legal).get(PACKAGES).content.decode()
    assert 'name="include_identities"' in signed_in(lead).get(PACKAGES).content.decode()

    refused = signed_in(legal).post(
        PACKAGES, {"incidents": [record["yablunska"].pk], "profile": "default", "include_identities": "on"}
    )
    granted = signed_in(lead).post(
        PACKAGES, {"incidents": [record["yablunska"].pk], "profile": "default", "include_identities": "on"}
    )

    assert refused.status_code == 403
    assert "Only a lead of the case may include witness identities." in refused.content.decode()
    assert granted.status_code == 302
    assert Export.objects.get().include_identities is True
    assert AuditEntry.objects.filter(action="export.identities_requested", actor=lead).count() == 1


def test_the_profiles_offered_are_the_case_own_and_the_shared_ones(lead, legal, record, case_b, member_of):
    staff = member_of(case_b, Role.LEAD, username="staff-member")
    staff.is_staff = True
    staff.save()
    columns = [{"column": "Evidence number", "field": "ern"}]
    export_profile_create(actor=lead, case=record["yablunska"].case, name="icc-trial-chamber", columns=columns)
    export_profile_create(actor=staff, case=case_b, name="other-case-chamber", columns=columns)
    export_profile_create(actor=staff, name="shared-protocol", columns=columns)

    page = signed_in(legal).get(PACKAGES).content.decode()
    foreign = signed_in(legal).post(PACKAGES, {"incidents": [record["grave"].pk], "profile": "other-case-chamber"})

    profiles = re.search(r'<select name="profile".*?</select>', page, re.DOTALL).group()
    offered = re.findall(r'<option value="([^"]+)"', profiles)
    assert offered == ["default", "e-court", "icc-trial-chamber", "shared-protocol"]
    assert foreign.status_code == 400 and "Select a valid choice" in foreign.content.decode()
    assert ExportProfile.objects.count() == 3 and not Export.objects.exists()


def test_the_search_of_a_list_keeps_the_boxes_ticked(legal, record):
    """An htmx search of the evidence list: the items ticked stay, ticked, above the matches."""
    client = signed_in(legal)
    response = client.get(
        PACKAGES,
        {"list": "evidence", "evidence_q": "IMG_0042", "evidence": [record["statement"].pk]},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="evidence-choices"')
    ticked = re.findall(r'name="evidence" value="(\d+)" checked', html)
    shown = re.findall(r'name="evidence" value="(\d+)"', html)
    assert ticked == [str(record["statement"].pk)]
    assert shown == [str(record["statement"].pk), str(record["photo"].pk)]


def test_the_search_of_incidents_finds_a_word_of_the_title(legal, record):
    html = signed_in(legal).get(
        PACKAGES, {"list": "incidents", "incidents_q": "church"}, headers={"HX-Request": "true"}
    )

    assert "Mass grave by the church" in html.content.decode()
    assert "Yablunska" not in html.content.decode()


def test_without_script_the_find_button_searches_and_requests_nothing(legal, record):
    response = signed_in(legal).post(
        PACKAGES,
        {"find": "evidence", "evidence_q": "statement", "incidents": [record["grave"].pk], "profile": "default"},
    )

    html = response.content.decode()
    assert response.status_code == 200 and not Export.objects.exists()
    assert f'name="incidents" value="{record["grave"].pk}" checked' in html
    assert "Statement of W-1" in html and "IMG_0042" not in html


def test_the_package_page_polls_until_the_package_is_ready_then_shows_its_sha256(legal, record):
    client = signed_in(legal)
    client.post(PACKAGES, {"incidents": [record["yablunska"].pk], "profile": "default"})
    export = Export.objects.get()

    queued = client.get(package_url(export), headers={"HX-Request": "true"}).content.decode()
    assert queued.lstrip().startswith('<section id="package-status"')
    assert 'hx-trigger="every 2s"' in queued and "Queued" in queued

    export = build(export)
    assert export.status == "ready", export.status_reason
    ready = client.get(package_url(export), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in ready
    assert export.sha256 in ready and len(export.sha256) == 64
    assert f'href="{package_url(export, "download/")}"' in ready
    assert f"<code>sha256sum slid-export-{export.public_id}.zip</code>" in ready
    assert "python3 data/verify.py" in ready
    assert "How to check this package" in ready  # data/VERIFY.txt, quoted as the package carries it
    assert 'id="package-announcer" hx-swap-oob="innerHTML">The package is ready.' in ready

    row = client.get(package_url(export) + "?in=row", headers={"HX-Request": "true"}).content.decode()
    assert row.lstrip().startswith(f'<tr id="package-{export.public_id}"') and "hx-trigger" not in row


def test_a_failed_package_says_why(legal, record):
    export = Export.objects.create(
        case=record["photo"].case, requested_by=legal, status="failed", status_reason="IMG_0042.jpg is damaged"
    )

    html = signed_in(legal).get(package_url(export)).content.decode()

    assert "The package could not be built: IMG_0042.jpg is damaged" in html
    assert "hx-trigger" not in html


def test_the_download_is_the_package_slid_built_and_is_audited(legal, record):
    client = signed_in(legal)
    client.post(PACKAGES, {"incidents": [record["yablunska"].pk], "profile": "default"})
    export = build(Export.objects.get())

    head = client.head(package_url(export, "download/"))
    assert head.status_code == 200 and not AuditEntry.objects.filter(action="export.download").exists()
    response = client.get(package_url(export, "download/"))

    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="slid-export-{export.public_id}.zip"'
    assert "no-store" in response["Cache-Control"]
    assert hashlib.sha256(body).hexdigest() == export.sha256 and len(body) == export.size_bytes
    entry = AuditEntry.objects.get(action="export.download")
    assert (entry.actor, entry.target, entry.details) == (legal, str(export.public_id), {"range": None})


def test_a_range_of_the_package_answers_206_and_an_impossible_one_416_recording_nothing(legal, record):
    client = signed_in(legal)
    client.post(PACKAGES, {"incidents": [record["yablunska"].pk], "profile": "default"})
    export = build(Export.objects.get())

    part = client.get(package_url(export, "download/"), headers={"Range": "bytes=0-3"})
    beyond = client.get(package_url(export, "download/"), headers={"Range": f"bytes={export.size_bytes}-"})

    assert (part.status_code, b"".join(part.streaming_content)) == (206, b"PK\x03\x04")
    assert beyond.status_code == 416
    assert list(AuditEntry.objects.filter(action="export.download").values_list("details", flat=True)) == [
        {"range": "bytes=0-3"}
    ]


@pytest.mark.parametrize("header", ["bytes=\x00", "bytes=0-1,5-9", "bytes=abc"])
def test_a_range_that_is_not_one_served_downloads_the_whole_package_recorded_without_a_range(legal, record, header):
    client = signed_in(legal)
    client.post(PACKAGES, {"incidents": [record["yablunska"].pk], "profile": "default"})
    export = build(Export.objects.get())

    response = client.get(package_url(export, "download/"), headers={"Range": header})

    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == export.sha256
    assert list(AuditEntry.objects.filter(action="export.download").values_list("details", flat=True)) == [
        {"range": None}
    ]


def test_a_link_from_another_site_downloads_nothing_and_records_nothing(lead, legal, record):
    signed_in(legal).post(PACKAGES, {"incidents": [record["yablunska"].pk], "profile": "default"})
    export = build(Export.objects.get())
    client = signed_in(lead)  # a lead, following a link someone put on another site or in a message

    followed = client.get(package_url(export, "download/"), headers={"Sec-Fetch-Site": "cross-site"})
    from_slid = client.get(package_url(export, "download/"), headers={"Sec-Fetch-Site": "same-origin"})

    assert followed.status_code == 403
    assert from_slid.status_code == 200
    b"".join(from_slid.streaming_content)
    assert AuditEntry.objects.filter(action="export.download").count() == 1  # the one from Slid's page


def test_a_package_not_ready_is_not_downloaded(legal, record):
    export = Export.objects.create(case=record["photo"].case, requested_by=legal, incident_ids=[record["grave"].pk])

    response = signed_in(legal).get(package_url(export, "download/"))

    assert response.status_code == 409
    assert not AuditEntry.objects.filter(action="export.download").exists()


def test_a_package_with_identities_is_downloaded_by_leads_only_each_time_a_reveal(lead, legal, record, case_a):
    witness = protected_person_create(actor=lead, case=case_a, kind="witness", identity={"full_name": "Olena K."})
    archived_item(
        case_a, lead, b"statement video", name="W-0001.mp4", incidents=[record["grave"]],
        confidentiality=Confidentiality.IDENTIFIES_WITNESS, protected_persons=[witness],
    )  # fmt: skip
    signed_in(lead).post(
        PACKAGES, {"incidents": [record["grave"].pk], "profile": "default", "include_identities": "on"}
    )
    export = build(Export.objects.get())
    assert export.status == "ready", export.status_reason

    legal_page = signed_in(legal).get(package_url(export)).content.decode()
    refused = signed_in(legal).get(package_url(export, "download/"))
    granted = signed_in(lead).get(package_url(export, "download/"))
    b"".join(granted.streaming_content)

    assert "only a lead of the case may download it" in legal_page and "download/" not in legal_page
    assert refused.status_code == 403
    assert granted.status_code == 200
    reveals = AuditEntry.objects.filter(action="witness.identity_reveal")
    assert list(reveals.values_list("actor__username", flat=True)) == ["prosecutor"]


def test_with_slid_require_totp_packages_need_a_session_opened_with_the_code(legal, record, settings, case_a):
    settings.SLID_REQUIRE_TOTP = True
    enrol(legal)
    by_code = Client(headers={"Accept-Language": "en"})
    by_code.post("/signin/", {"username": "counsel", "password": PASSWORD, "otp": current_code(legal)})
    without_code = signed_in(legal)  # a session opened without the code does not count at all
    no_factor = signed_in(case_a.memberships.create(user=_user("no-factor"), role=Role.LEGAL).user)

    refused = no_factor.get(PACKAGES)

    assert refused.status_code == 403 and "does not have yet" in refused.content.decode()
    assert without_code.get(PACKAGES).status_code == 302
    assert by_code.get(PACKAGES).status_code == 200
    assert by_code.post(PACKAGES, {"incidents": [record["grave"].pk], "profile": "default"}).status_code == 302


def _user(username: str):
    from tests.factories import UserFactory

    return UserFactory(username=username)


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.ANALYST])
def test_investigators_and_analysts_neither_see_nor_request_nor_download_packages(role, legal, record, member_of):
    client = signed_in(member_of(record["photo"].case, role))
    export = Export.objects.create(case=record["photo"].case, requested_by=legal)

    answers = [
        client.get(PACKAGES).status_code,
        client.post(PACKAGES, {"incidents": [record["grave"].pk], "profile": "default"}).status_code,
        client.get(package_url(export)).status_code,
        client.get(package_url(export, "download/")).status_code,
    ]

    assert answers == [403, 403, 403, 403]
    assert Export.objects.count() == 1


def test_a_package_of_one_case_is_not_found_under_another(legal, record, case_b):
    export = Export.objects.create(case=record["photo"].case, requested_by=legal)
    both = legal
    case_b.memberships.create(user=both, role=Role.LEGAL)
    client = signed_in(both)

    for tail in ("", "download/"):
        assert client.get(f"/cases/{case_b.reference}/packages/{export.public_id}/{tail}").status_code == 404
    assert client.get(f"{PACKAGES}00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_package_pages_are_in_ukrainian(legal, record):
    from tests.web.test_i18n import english_words

    client = Client(headers={"Accept-Language": "uk"})
    client.force_login(legal)
    client.post(PACKAGES, {"incidents": [record["yablunska"].pk], "profile": "default"})
    export = build(Export.objects.get())
    queued = Export.objects.create(case=record["photo"].case, requested_by=legal, incident_ids=[record["grave"].pk])
    ready = client.get(package_url(export)).content.decode()
    # The package's own VERIFY.txt is shown as the package carries it, in English (lang="en").
    ready = re.sub(r'<details class="verify-text">.*?</details>', "", ready, flags=re.DOTALL)
    names = {"IMG", "jpg", "pdf", "PDF", "BagIt", "verify", "py", "zip", "export", "data", "VERIFY", "txt", "SHA",
             "Python", "Linux", "macOS", "Windows", "sha256sum", "shasum", "certutil", "hashfile", "python3",
             "default", "court", "counsel", "Yablunska", "Street", "Killings", "Mass", "grave", "by", "the", "church",
             "Bucha", "Statement", "of", "W", "KB", "slid", "ERN", "on", "sha", "sum", "python"}  # fmt: skip

    pages = {
        "list": client.get(PACKAGES),
        "nothing chosen": client.post(PACKAGES, {"profile": "default"}),
        "ready": ready,
        "queued": client.get(package_url(queued)),
    }
    for what, page in pages.items():
        html = page if isinstance(page, str) else page.content.decode()
        assert english_words(main_of(html), names) == set(), what
