"""Witnesses and victims in the workspace without a browser: pseudonyms everywhere, and the reveal, a
deliberate act of those allowed, audited, for that one answer. Who may open which page is
tests/web/test_page_access.py's; the dialog in a browser is tests/web/test_witnesses_browser.py's."""

import pytest
from django.test import Client

from evidence.models import AuditEntry, Role
from evidence.services.witnesses import protected_person_create
from tests.factories import make_incident
from tests.otp import enrol
from tests.web.helpers import signed_in
from tests.workers.helpers import archived_item

pytestmark = pytest.mark.django_db

IDENTITY = {
    "full_name": "Mariia Kovalchuk",
    "date_of_birth": "1961-05-14",
    "contact": "+380 44 000 0000",
    "address": "Vokzalna Street 12, Bucha",
    "protective_measures": "Face and voice distorted in any public hearing",
    "consent": "Given on 2022-04-10 for the ICC",
}


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="chief")


@pytest.fixture
def reader(case_a, member_of):
    """An analyst a lead named a reader of the witness."""
    return member_of(case_a, Role.ANALYST, username="reader")


@pytest.fixture
def witness(case_a, lead, reader):
    return protected_person_create(actor=lead, case=case_a, kind="witness", identity=IDENTITY, readers=[reader])


@pytest.fixture
def victim(case_a, lead):
    return protected_person_create(actor=lead, case=case_a, kind="victim", identity={"full_name": "Ivan Petrenko"})


def person_url(person) -> str:
    return f"/cases/{person.case.reference}/witnesses/{person.pk}/"


def reveals() -> list[tuple[str, str]]:
    return list(AuditEntry.objects.filter(action__endswith=".identity_reveal").values_list("action", "target"))


def test_the_list_shows_pseudonyms_and_never_a_name(witness, victim, case_a, member_of):
    investigator = member_of(case_a, Role.INVESTIGATOR)
    archived_item(case_a, investigator, b"statement", name="statement.txt", protected_persons=[witness])
    make_incident(case_a, protected_persons=[witness, victim])

    html = signed_in(investigator).get(f"/cases/{case_a.reference}/witnesses/").content.decode()

    assert "W-0001" in html and "V-0001" in html
    assert "Kovalchuk" not in html and "Petrenko" not in html
    assert html.count('<td data-label="Evidence">1</td>') == 1
    assert html.count('<td data-label="Incidents">1</td>') == 2


def test_the_list_shows_one_kind(witness, victim, lead, case_a):
    html = signed_in(lead).get(f"/cases/{case_a.reference}/witnesses/?kind=victim").content.decode()

    assert "V-0001" in html and "W-0001" not in html


def test_a_kind_that_is_not_one_shows_them_all(witness, victim, lead, case_a):
    response = signed_in(lead).get(f"/cases/{case_a.reference}/witnesses/", {"kind": "suspect\x00"})

    assert response.status_code == 200
    assert "V-0001" in response.content.decode() and "W-0001" in response.content.decode()


def test_the_persons_page_shows_the_pseudonym_and_offers_the_reveal_to_those_allowed(
    witness, lead, reader, case_a, member_of
):
    investigator = member_of(case_a, Role.INVESTIGATOR)

    for user, offered in ((lead, True), (reader, True), (investigator, False)):
        html = signed_in(user).get(person_url(witness)).content.decode()
        assert "W-0001" in html and "Kovalchuk" not in html
        assert ("data-reveal-open" in html) is offered, user
        assert ('id="reveal-dialog"' in html) is offered, user
    assert reveals() == []  # looking is not revealing


def test_the_dialog_says_the_reveal_will_be_recorded(witness, lead):
    html = signed_in(lead).get(person_url(witness)).content.decode()

    assert "Reveal who W-0001 is?" in html
    assert "This will be recorded in the case's audit log, under your name (chief)" in html


@pytest.mark.parametrize("who", ["lead", "reader"])
def test_a_reveal_shows_the_identity_in_that_answer_only_and_is_audited(witness, lead, reader, who):
    user = {"lead": lead, "reader": reader}[who]
    client = signed_in(user)

    revealed = client.post(f"{person_url(witness)}reveal/")
    again = client.get(person_url(witness))

    html = revealed.content.decode()
    assert revealed.status_code == 200
    for value in IDENTITY.values():
        assert value in html
    assert "no-store" in revealed["Cache-Control"]
    assert revealed["Pragma"] == "no-cache"
    entry = AuditEntry.objects.get(action="witness.identity_reveal")
    assert (entry.actor, entry.target, entry.case) == (user, "W-0001", witness.case)
    assert "Kovalchuk" not in again.content.decode()


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.ANALYST, Role.LEGAL])
def test_a_member_who_may_not_reveal_gets_403_and_nothing_is_recorded(witness, case_a, member_of, role):
    user = member_of(case_a, role)

    response = signed_in(user).post(f"{person_url(witness)}reveal/")

    assert response.status_code == 403
    assert "Kovalchuk" not in response.content.decode()
    assert reveals() == []


def test_a_reveal_of_a_victim_is_audited_as_one(victim, lead):
    signed_in(lead).post(f"{person_url(victim)}reveal/")

    assert reveals() == [("victim.identity_reveal", "V-0001")]


def test_a_person_of_another_case_is_not_found(witness, case_b, member_of):
    outsider = member_of(case_b, Role.LEAD)
    client = signed_in(outsider)

    for url in (person_url(witness), f"/cases/{case_b.reference}/witnesses/{witness.pk}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/cases/{case_b.reference}/witnesses/{witness.pk}/reveal/").status_code == 404
    assert reveals() == []


def test_a_reveal_cannot_be_asked_for_with_get(witness, lead):
    response = signed_in(lead).get(f"{person_url(witness)}reveal/")

    assert response.status_code == 405
    assert reveals() == []


def test_a_reveal_without_the_csrf_token_is_refused(witness, lead):
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)

    response = client.post(f"{person_url(witness)}reveal/")

    assert response.status_code == 403
    assert reveals() == []


def test_with_require_totp_a_lead_without_a_second_factor_may_not_reveal(witness, lead, settings):
    settings.SLID_REQUIRE_TOTP = True

    page = signed_in(lead).get(person_url(witness)).content.decode()
    response = signed_in(lead).post(f"{person_url(witness)}reveal/")

    assert "data-reveal-open" not in page
    assert "only in a session opened with your one-time code" in page
    assert response.status_code == 403
    assert reveals() == []


def test_with_require_totp_a_session_opened_with_the_code_may_reveal(witness, lead, settings):
    from django_otp import DEVICE_ID_SESSION_KEY

    settings.SLID_REQUIRE_TOTP = True
    device = enrol(lead)
    client = signed_in(lead)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # what django-otp's login with the code leaves
    session.save()

    response = client.post(f"{person_url(witness)}reveal/")

    assert response.status_code == 200
    assert reveals() == [("witness.identity_reveal", "W-0001")]


def test_the_persons_page_lists_what_the_person_is_linked_to(witness, lead, case_a):
    item = archived_item(case_a, lead, b"statement", name="statement.txt", protected_persons=[witness])
    incident = make_incident(case_a, title="Killings on Yablunska Street", protected_persons=[witness])

    html = signed_in(lead).get(person_url(witness)).content.decode()

    assert f"/cases/{case_a.reference}/evidence/{item.pk}/" in html
    assert f"/cases/{case_a.reference}/incidents/{incident.pk}/" in html


def test_the_pages_are_in_ukrainian(witness, lead, case_a):
    from tests.web.test_i18n import english_words

    archived_item(
        case_a, lead, b"statement", name="statement.txt", title="Протокол допиту", protected_persons=[witness]
    )
    client = Client(headers={"Accept-Language": "uk"})
    client.force_login(lead)
    pages = {
        "witnesses": client.get(f"/cases/{case_a.reference}/witnesses/"),
        "witness": client.get(person_url(witness)),
        "revealed": client.post(f"{person_url(witness)}reveal/"),
        "evidence": client.get(f"/cases/{case_a.reference}/evidence/"),
        "no evidence found": client.get(f"/cases/{case_a.reference}/evidence/?q=nothing"),
        "settings": client.get("/account/settings/"),
    }
    # The witness's identity, an ERN, a username and a file's name are data, not words to translate.
    data = set(
        "Mariia Kovalchuk Vokzalna Street Bucha Face and voice distorted in any public hearing Given on for the ICC "
        "ERN chief nothing statement txt".split()
    )
    for what, response in pages.items():
        assert response.status_code == 200, what
        assert english_words(response.content.decode(), data) == set(), what
