"""The API speaks the language asked for: English by default, Ukrainian with ``Accept-Language: uk`` (Slid's
own messages, Django's and DRF's, choice labels and crime titles); codes, field names, choice values and
what is stored (custody entries) stay as they are. Every message Slid's code marks for translation is in
locale/uk/LC_MESSAGES/django.po, translated. The Ukrainian expected here is written by hand."""

import ast
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation.template import templatize

from evidence.crime_titles import CRIME_TITLES
from evidence.models import (
    AllegationRole,
    AllegationStatus,
    AuditAction,
    Confidence,
    Confidentiality,
    CourtClassification,
    CustodyEvent,
    DatePrecision,
    DisclosureRule,
    EvidenceKind,
    EvidenceStatus,
    ExportStatus,
    IncidentStatus,
    Outcome,
    ProtectedKind,
    RecipientKind,
    RelationKind,
    Role,
    SourceType,
)
from evidence.models.items import CapturedAtSource, KindSource

BASE = Path(settings.BASE_DIR)
CATALOGUE = BASE / "locale" / "uk" / "LC_MESSAGES" / "django.po"
# Slid's code: what makemessages reads (migrations and tests say nothing to a user).
SOURCE_DIRS = ("api", "config", "evidence", "geo", "web", "workers")
# The keywords makemessages gives xgettext for Python code and templates (django.core.management.commands.
# makemessages), on top of xgettext's own (gettext, ngettext, _).
KEYWORDS = (
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "npgettext:1c,2,3",
    "pgettext_lazy:1c,2",
    "npgettext_lazy:1c,2,3",
)
UKRAINIAN = {"HTTP_ACCEPT_LANGUAGE": "uk"}
CYRILLIC = re.compile(r"[а-яіїєґ]", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    context: str | None
    msgid: str
    plural: str | None
    msgstr: tuple[str, ...]  # one per plural form
    fuzzy: bool


def read_po(text: str) -> list[Entry]:
    """The entries of a .po or .pot file (the header left out)."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    current: str | None = None
    fuzzy = False

    def close() -> None:
        nonlocal fields, current, fuzzy
        if "msgid" in fields and fields["msgid"] != "":
            msgstr = tuple(value for key, value in sorted(fields.items()) if key.startswith("msgstr"))
            entries.append(Entry(fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"), msgstr, fuzzy))
        fields, current, fuzzy = {}, None, False

    for line in text.splitlines() + [""]:
        line = line.strip()
        if not line:
            close()
        elif line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[current] += ast.literal_eval(line)
        else:
            current, _, literal = line.partition(" ")
            if current == "msgctxt" and "msgid" in fields:
                close()
                current = "msgctxt"
            fields[current] = ast.literal_eval(literal)
    return entries


def marked_in_slids_code(work: Path) -> list[Entry]:
    """Every message marked in Slid's Python code and templates, found as makemessages finds them: xgettext
    over the code, and over each template as Django's templatize turns it into code."""
    files = []
    for directory in SOURCE_DIRS:
        for path in sorted((BASE / directory).rglob("*")):
            if "migrations" in path.parts or "__pycache__" in path.parts or not path.is_file():
                continue
            if path.suffix == ".py":
                files.append(str(path))
            elif "templates" in path.parts and path.suffix in (".html", ".txt"):
                code = work / (str(path.relative_to(BASE)).replace("/", "__") + ".py")
                code.write_text(templatize(path.read_text(), origin=str(path)))
                files.append(str(code))
    (work / "files.txt").write_text("\n".join(files))
    subprocess.run(
        ["xgettext", "--language=Python", "--from-code=UTF-8", "--no-location", "--output", str(work / "slid.pot")]
        + [f"--keyword={keyword}" for keyword in KEYWORDS]
        + ["--files-from", str(work / "files.txt")],
        check=True,
    )
    return read_po((work / "slid.pot").read_text())


def catalogue() -> list[Entry]:
    return read_po(CATALOGUE.read_text())


def translated(entry: Entry) -> bool:
    return not entry.fuzzy and bool(entry.msgstr) and all(entry.msgstr)


def shown_in_ukrainian(entry: Entry) -> bool:
    """Whether a Ukrainian reader gets the message translated: by Slid's catalogue, or by Django's or DRF's
    (the admin's templates and DRF's messages use theirs)."""
    with translation.override("uk"):
        if entry.plural is not None:
            return all(
                translation.npgettext(entry.context, entry.msgid, entry.plural, n) not in (entry.msgid, entry.plural)
                if entry.context
                else translation.ngettext(entry.msgid, entry.plural, n) not in (entry.msgid, entry.plural)
                for n in (1, 2, 5)
            )
        if entry.context:
            return translation.pgettext(entry.context, entry.msgid) != entry.msgid
        return gettext(entry.msgid) != entry.msgid


# --- The catalogue ---------------------------------------------------------------------------------


def test_every_entry_of_the_catalogue_is_translated():
    entries = catalogue()

    assert len(entries) > 200
    assert [entry.msgid for entry in entries if not translated(entry)] == []


def test_no_message_is_in_the_catalogue_twice():
    keys = [(entry.context, entry.msgid) for entry in catalogue()]

    assert len(keys) == len(set(keys))


def test_every_message_slid_marks_for_translation_is_translated(tmp_path):
    """A message marked with gettext (or in a template) but missing from django.po would be shown in English
    to a Ukrainian reader; this lists them. (After adding translations: compilemessages.)"""
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext is missing: scripts/install.sh installs Debian's gettext package")
    marked = marked_in_slids_code(tmp_path)

    assert len(marked) > 300
    assert sorted(entry.msgid for entry in marked if not shown_in_ukrainian(entry)) == []


# --- The API in Ukrainian --------------------------------------------------------------------------


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="lead")


def test_a_choice_error_in_ukrainian_names_the_choices_as_values(client_for, lead, case_a):
    answer = client_for(lead).post(
        f"/api/v1/cases/{case_a.pk}/members/", {"username": "lead", "role": "керівник"}, format="json", **UKRAINIAN
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "role": [
            '"керівник" не є допустимим варіантом; використайте один із таких: lead, investigator, analyst, legal.'
        ]
    }


def test_a_missing_field_in_ukrainian(client_for, lead, case_a):
    answer = client_for(lead).post(
        f"/api/v1/cases/{case_a.pk}/members/", {"username": "lead"}, format="json", **UKRAINIAN
    )

    assert answer.status_code == 400
    assert answer.json() == {"role": ["Це поле обов'язкове."]}  # DRF's own catalogue


def test_a_rule_of_a_service_in_ukrainian_names_the_field_in_english(client_for, lead, case_a):
    """The one-lead rule (evidence.services.cases): the message is translated, the field stays ``role``."""
    answer = client_for(lead).post(
        f"/api/v1/cases/{case_a.pk}/members/", {"username": "lead", "role": "investigator"}, format="json", **UKRAINIAN
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "role": ["У справі UA-2022-BUCHA має лишатися принаймні один керівник; спершу призначте іншого керівника."]
    }


def test_a_route_that_does_not_exist_answers_json_in_ukrainian(client_for, lead):
    answer = client_for(lead).get("/api/v1/no-such-route/", **UKRAINIAN)

    assert answer.status_code == 404
    assert answer.json() == {
        "detail": "Маршруту API /api/v1/no-such-route/ немає; маршрути наведено в /api/v1/ і /api/v1/docs/."
    }
    assert answer["Content-Language"] == "uk"
    assert "Accept-Language" in answer["Vary"]


def test_a_method_not_allowed_and_a_missing_token_in_ukrainian(client_for, lead, api):
    """DRF's own messages come from DRF's Ukrainian catalogue."""
    not_allowed = client_for(lead).delete("/api/v1/crimes/", **UKRAINIAN)
    anonymous = api.get("/api/v1/cases/", **UKRAINIAN)

    assert (not_allowed.status_code, not_allowed.json()) == (405, {"detail": 'Метод "DELETE" не дозволений.'})
    assert (anonymous.status_code, anonymous.json()) == (
        401,
        {"detail": "Реквізити перевірки достовірності не надані."},
    )


def test_a_form_encoded_body_is_refused_in_ukrainian(client_for, lead, case_a):
    answer = client_for(lead).post(
        "/api/v1/incidents/", "title=x", content_type="application/x-www-form-urlencoded", **UKRAINIAN
    )

    assert answer.status_code == 415
    assert answer.json() == {"detail": 'Непідтримуваний тип даних "application/x-www-form-urlencoded" в запиті.'}


def test_a_crime_that_does_not_exist_and_a_bad_token_in_ukrainian(client_for, lead, api):
    api.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")

    missing = client_for(lead).get("/api/v1/crimes/8(2)(z)/", **UKRAINIAN)
    wrong_scheme = api.get("/api/v1/cases/", **UKRAINIAN)

    assert missing.json() == {"detail": "Злочину з кодом '8(2)(z)' немає."}
    assert wrong_scheme.status_code == 401
    assert wrong_scheme.json() == {
        "detail": "Непідтримувана схема авторизації 'Basic'; надішліть 'Authorization: Token <token>' (або "
        "'Bearer <token>') з токеном від POST /api/v1/auth/token/."
    }


def test_the_api_answers_in_english_unless_asked_for_ukrainian(client_for, lead, case_a):
    client = client_for(lead)
    demote_myself = {"username": "lead", "role": "investigator"}

    unasked = client.post(f"/api/v1/cases/{case_a.pk}/members/", demote_myself, format="json")
    english = client.post(
        f"/api/v1/cases/{case_a.pk}/members/", demote_myself, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    browser = client.post(
        f"/api/v1/cases/{case_a.pk}/members/",
        demote_myself,
        format="json",
        HTTP_ACCEPT_LANGUAGE="uk-UA,uk;q=0.9,en;q=0.8",
    )

    lead_rule = "UA-2022-BUCHA must keep at least one lead; name another lead first."
    assert unasked.json() == english.json() == {"role": [lead_rule]}
    assert browser.json()["role"][0].startswith("У справі UA-2022-BUCHA має лишатися")


@pytest.mark.parametrize(
    "header",
    [
        "x" * 10_000,
        "uk;q=abc",
        "uk;q=0,en;q=0",
        "*",
        "zz-ZZ",
        "uk\u0000",
        "../../etc/passwd",
        ",,,;;;",
        "en-GB;q=0.9,uk",
    ],
)
def test_an_odd_accept_language_header_is_answered_in_english_or_ukrainian_never_a_500(client_for, lead, header):
    answer = client_for(lead).get("/api/v1/no-such-route/", HTTP_ACCEPT_LANGUAGE=header)

    assert answer.status_code == 404
    assert answer.json()["detail"] in (
        "There is no API route /api/v1/no-such-route/; the routes are listed at /api/v1/ and /api/v1/docs/.",
        "Маршруту API /api/v1/no-such-route/ немає; маршрути наведено в /api/v1/ і /api/v1/docs/.",
    )


def test_a_role_s_refusal_in_ukrainian(client_for, member_of, case_a):
    analyst = member_of(case_a, Role.ANALYST)

    answer = client_for(analyst).post(
        f"/api/v1/cases/{case_a.pk}/members/", {"username": "x", "role": "lead"}, format="json", **UKRAINIAN
    )

    assert (answer.status_code, answer.json()) == (403, {"detail": "Ваша роль цього не дозволяє."})


def test_a_crime_title_in_ukrainian_keeps_its_code(client_for, lead):
    crime = client_for(lead).get("/api/v1/crimes/8(2)(a)(i)/", **UKRAINIAN).json()
    titles = {
        c["code"]: c["title"]
        for c in client_for(lead).get("/api/v1/crimes/?page_size=100", **UKRAINIAN).json()["results"]
    }

    assert crime == {
        "code": "8(2)(a)(i)",
        "article": "8",
        "title": "Воєнний злочин: умисне вбивство",
        "amended_by": None,
    }
    assert titles["6(a)"] == "Геноцид: вбивство членів групи"
    assert titles["7(1)(c)"] == "Злочин проти людяності: обернення в рабство"
    assert titles["8(2)(b)(xxii)-1"] == titles["8(2)(e)(vi)-1"] == "Воєнний злочин: зґвалтування"


def test_choice_labels_in_ukrainian_keep_their_values(client_for, lead, case_a):
    """OPTIONS shows each choice's label in the language asked for; its value, which a client sends, never
    changes."""
    actions = client_for(lead).options(f"/api/v1/cases/{case_a.pk}/members/", **UKRAINIAN).json()["actions"]

    assert actions["POST"]["role"]["choices"] == [
        {"value": "lead", "display_name": "Керівник"},
        {"value": "investigator", "display_name": "Слідчий"},
        {"value": "analyst", "display_name": "Аналітик"},
        {"value": "legal", "display_name": "Юрист"},
    ]


def test_a_custody_entry_is_shown_as_it_was_recorded(client_for, upload, case_a, member_of):
    """The detail of a custody entry is part of its hash: it is shown as stored, in any language; only the
    messages around it are translated."""
    investigator = member_of(case_a, Role.INVESTIGATOR, username="witness-taker")
    item = upload(investigator, case_a, b"seen from the window", name="note.txt").json()

    entries = client_for(investigator).get(f"/api/v1/evidence/{item['id']}/custody/", **UKRAINIAN).json()

    assert entries[0]["event_type"] == "received"
    assert entries[0]["detail"] == (
        "Received 'note.txt' (20 bytes, SHA-256 46ddf8d17824b0fff40f556fca4963fc6021df42b592102f85ef8da7079e4df4) "
        "from user:witness-taker"
    )


# --- Labels and titles -----------------------------------------------------------------------------


def test_every_crime_title_is_translated_into_ukrainian():
    with translation.override("uk"):
        untranslated = [
            title for title in CRIME_TITLES if gettext(title) == title or not CYRILLIC.search(gettext(title))
        ]

    assert untranslated == []


@pytest.mark.parametrize(
    ("title", "ukrainian"),
    [
        ("Genocide by forcibly transferring children", "Геноцид: насильницька передача дітей"),
        (
            "Crime against humanity of enforced disappearance of persons",
            "Злочин проти людяності: насильницьке зникнення людей",
        ),
        ("War crime of taking hostages", "Воєнний злочин: взяття заручників"),
        ("War crime of attacking civilians", "Воєнний злочин: напади на цивільне населення"),
        ("War crime of denying quarter", "Воєнний злочин: оголошення того, що пощади не буде"),
        ("War crime of pillaging", "Воєнний злочин: розграбування"),
    ],
)  # fmt: skip
def test_crime_titles_use_the_words_of_the_ukrainian_rome_statute(title, ukrainian):
    with translation.override("uk"):
        assert gettext(title) == ukrainian


CHOICES = (
    AllegationRole, AllegationStatus, AuditAction, CapturedAtSource, Confidence, Confidentiality, CustodyEvent,
    DatePrecision, EvidenceKind, EvidenceStatus, ExportStatus, IncidentStatus, KindSource, Outcome, ProtectedKind,
    Role, SourceType, CourtClassification, DisclosureRule, RecipientKind, RelationKind,
)  # fmt: skip
# Labels of choices added by work still in progress, translated by whoever adds them.
NOT_YET = {AuditAction.EVIDENCE_GRAPHIC} if hasattr(AuditAction, "EVIDENCE_GRAPHIC") else set()


@pytest.mark.parametrize("choices", CHOICES, ids=lambda choices: choices.__name__)
def test_every_choice_label_is_translated_into_ukrainian(choices):
    with translation.override("uk"):
        untranslated = [
            choice.value for choice in choices if choice not in NOT_YET and not CYRILLIC.search(str(choice.label))
        ]

    assert untranslated == []


def test_choice_labels_in_ukrainian():
    with translation.override("uk"):
        assert str(Role.INVESTIGATOR.label) == "Слідчий"
        assert str(EvidenceKind.TESTIMONY.label) == "Свідчення"
        assert str(CustodyEvent.FIXITY_CHECK.label) == "Перевірка цілісності"
        assert str(AuditAction.WITNESS_IDENTITY_REVEAL.label) == "Особу свідка розкрито"
        assert str(ProtectedKind.VICTIM.label) == "Потерпілий"


def test_the_answers_of_the_exception_handlers_in_ukrainian():
    """The 413 of a body over Django's limit, and the 503 of a database that does not answer."""
    from django.core.exceptions import RequestDataTooBig
    from django.db import OperationalError

    from api.exceptions import database_unavailable_answer, unreadable_body_answer

    with translation.override("uk"):
        too_big, status = unreadable_body_answer(RequestDataTooBig())
        unavailable, _ = database_unavailable_answer(OperationalError())

    assert status == 413
    assert too_big == {
        "detail": f"Тіло запиту більше за {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} байтів; файли надсилають у "
        "завантаженнях multipart."
    }
    assert unavailable == {"detail": "База даних зараз недоступна; спробуйте трохи згодом."}
