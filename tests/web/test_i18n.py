"""The workspace in Ukrainian and English; the API in English unless asked for Ukrainian
(tests/api/test_translations.py); dates in the case's time zone."""

import gettext
import re
import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from evidence.models import Role
from tests.factories import CaseFactory
from web.templatetags.workspace import in_case_zone

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "uk" / "LC_MESSAGES"


def test_a_browser_asking_for_ukrainian_gets_the_sign_in_page_in_ukrainian():
    visitor = Client(headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"})

    page = visitor.get("/", follow=True)

    assert page.redirect_chain == [("/signin/", 302)]
    html = page.content.decode()
    assert '<html lang="uk">' in html
    assert "Вхід до Slid" in html and "Одноразовий код" in html and "Sign in" not in html


def test_the_language_switch_keeps_the_choice_over_the_browsers(case_a, member_of):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(member_of(case_a, Role.ANALYST))

    switched = client.post("/i18n/setlang/", {"language": "uk", "next": "/cases/UA-2022-BUCHA/"})

    assert switched["Location"] == "/cases/UA-2022-BUCHA/"
    assert "Ваша роль" in client.get("/cases/UA-2022-BUCHA/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Your role" in client.get("/cases/UA-2022-BUCHA/").content.decode()


def test_the_switch_sends_one_back_only_to_a_page_of_slid():
    switched = Client().post("/i18n/setlang/", {"language": "uk", "next": "https://evil.example/"})

    assert switched["Location"] == "/"


def test_the_api_answers_in_english_unless_the_browser_asks_for_ukrainian():
    english = Client().get("/api/v1/cases/")
    ukrainian = Client(headers={"Accept-Language": "uk"}).get("/api/v1/cases/")

    assert english.status_code == ukrainian.status_code == 401
    assert english.json() == {"detail": "Authentication credentials were not provided."}
    assert ukrainian.json() == {"detail": "Реквізити перевірки достовірності не надані."}


def test_every_message_of_the_catalogue_is_translated():
    text = (CATALOGUE / "django.po").read_text()

    assert "#, fuzzy" not in text
    assert not re.search(r'^msgstr(\[\d\])? ""\n\n', text + "\n", re.MULTILINE), "an empty translation"


def test_the_compiled_catalogue_is_the_po_file(tmp_path):
    """django.mo is committed (the Docker image has no gettext); it must say what django.po says."""
    if shutil.which("msgfmt") is None:
        pytest.fail("msgfmt is missing: scripts/install.sh installs Debian's gettext package")
    subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "fresh.mo"), str(CATALOGUE / "django.po")], check=True)

    with (tmp_path / "fresh.mo").open("rb") as fresh, (CATALOGUE / "django.mo").open("rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(fresh)._catalog, (
            "run: scripts/with-env python manage.py compilemessages --ignore=.venv --ignore=var"
        )


class _Text(HTMLParser):
    """The words a reader sees (and reads aloud: labels, placeholders), without scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        for name, value in attrs:
            if name in ("placeholder", "aria-label", "title", "data-confirm") and value:
                self.words.append(value)

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.words.append(data)


# Words that stay as they are in Ukrainian: names, references, zones, and the language's own name.
NOT_TRANSLATED = {"Slid", "API", "English", "UA", "BUCHA", "Europe", "Kyiv", "EET", "EEST"}


def english_words(html: str, also_allowed: set[str]) -> set[str]:
    parser = _Text()
    parser.feed(html)
    words = set(re.findall(r"[A-Za-z]{2,}", " ".join(parser.words)))
    return words - NOT_TRANSLATED - also_allowed


def test_every_string_of_the_pages_is_translated(case_a, member_of):
    """Each page, in Ukrainian, shows no English word but names. A string added to a template or a view
    without a translation fails here."""
    case_a.title = "Вбивства в Бучі"
    case_a.save()
    lead = member_of(case_a, Role.LEAD, username="lead")
    anonymous = Client(headers={"Accept-Language": "uk"})
    client = Client(headers={"Accept-Language": "uk"})
    client.force_login(lead)
    pages = {
        "sign-in": anonymous.get("/signin/"),
        "sign-in refused": anonymous.post("/signin/", {"username": "lead", "password": "wrong"}),
        "case list": client.get("/"),
        "case list, nothing found": client.get("/?q=nothing"),
        "case home": client.get("/cases/UA-2022-BUCHA/"),
        "password": client.get("/account/password/"),
        "password refused": client.post("/account/password/", {"current_password": "x", "new_password": "y"}),
        "not found": client.get("/cases/UA-2099-NOWHERE/"),
    }
    for what, response in pages.items():
        assert english_words(response.content.decode(), {"lead", "nothing", "NOWHERE"}) == set(), what


@pytest.mark.parametrize(
    ("moment", "zone", "language", "shown"),
    [
        (datetime(2022, 3, 4, 12, 0, tzinfo=UTC), "Europe/Kyiv", "en", "4 March 2022, 14:00 EET"),
        (datetime(2022, 6, 1, 12, 0, tzinfo=UTC), "Europe/Kyiv", "en", "1 June 2022, 15:00 EEST"),
        (datetime(2022, 3, 4, 12, 0, tzinfo=UTC), "America/New_York", "en", "4 March 2022, 07:00 EST"),
        (datetime(2022, 3, 4, 23, 30, tzinfo=UTC), "Europe/Kyiv", "uk", "05 березня 2022 р. 01:30 EET"),
    ],
)
def test_a_moment_shows_in_the_case_time_zone(moment, zone, language, shown):
    with translation.override(language):
        assert in_case_zone(moment, CaseFactory.build(time_zone=zone)) == shown


def test_the_case_pages_show_dates_in_the_case_time_zone(member_of):
    case = CaseFactory(
        reference="UA-2022-IZIUM", time_zone="Europe/Kyiv", created_at=datetime(2022, 9, 16, 21, 30, tzinfo=UTC)
    )
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(member_of(case, Role.LEGAL))

    assert "17 September 2022, 00:30 EEST" in client.get("/cases/UA-2022-IZIUM/").content.decode()
    assert "17 September 2022, 00:30 EEST" in client.get("/").content.decode()
