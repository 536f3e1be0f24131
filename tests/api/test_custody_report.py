"""Issue 16 §3: the custody report a judge reads, per item, in HTML and PDF, in English and Ukrainian. An item
with a collection record (declared custody before Slid) whose archived copy then fails a fixity check; the
PDF is read back with pypdf. The expected words, times and Ukrainian are written by hand."""

import io
import json
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.test import Client
from pypdf import PdfReader

from evidence.models import EvidenceItem, Role
from evidence.services.packages import export_request
from tests.api.test_collection_record import RECORD, _given
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, package_of, run_verify
from tests.workers.test_fixity import flip_one_byte
from workers import common, fixity, processing

pytestmark = pytest.mark.django_db

CONTENT = b"extraction report of the witness's phone " * 200


@pytest.fixture
def investigator(case_a, member_of):
    user = member_of(case_a, Role.INVESTIGATOR, username="petrenko")
    user.first_name, user.last_name = "Oksana", "Petrenko"
    user.save(update_fields=["first_name", "last_name"])
    return user


@pytest.fixture
def damaged(upload, investigator, case_a) -> EvidenceItem:
    """Uploaded with its collection record, archived, then a byte of the archived copy flipped and checked."""
    answer = upload(investigator, case_a, CONTENT, name="extraction.pdf", collection=json.dumps(RECORD))
    assert answer.status_code == 201, answer.content
    processing.process(answer.json()["id"], agent=common.worker_agent("test"))
    item = EvidenceItem.objects.get(pk=answer.json()["id"])
    flip_one_byte(Path(storages["archive"].path(item.archive_key)))
    assert fixity.fixity_check_due(agent=common.worker_agent("fixity"), limit=10) == (1, 1)
    item.refresh_from_db()
    return item


def report(client, item, **query):
    return client.get(f"/api/v1/evidence/{item.pk}/custody/report/", query)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_english_report_says_each_event_in_words_with_the_declared_custody_and_the_failed_check(
    damaged, investigator, client_for
):
    answer = report(client_for(investigator), damaged, language="en", format="html")

    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src" not in answer["Content-Security-Policy"]  # default-src 'none': no script at all
    html = answer.content.decode()
    assert "<script" not in html
    assert damaged.ern in html
    assert damaged.sha256 in html and damaged.md5 in html
    # Declared by a person, in words, with the moment as given and in UTC.
    assert (
        "Declared by Oksana Petrenko (Investigator), not observed by Slid: Investigator O. Petrenko, National "
        "Police of Ukraine collected the item from W-0003 on 2022-04-02T10:15:00+03:00 (as given; 2022-04-02 "
        "07:15:00 UTC) at Yablunska St. 17, Bucha"
    ) in html
    assert "O. Petrenko handed the item over to Kyiv Oblast Prosecutor&#x27;s evidence room on" in html
    assert "seals: KV-000123" in html
    assert "declared by a person, not observed by Slid" in html
    # The people by name and role; the worker as Slid.
    assert "<td>Oksana Petrenko</td><td>Investigator</td>" in html
    assert "Slid stored the file write-once in its archive." in html
    # The failed fixity check, plainly, and the verdict.
    assert "FIXITY CHECK FAILED: the copy in the store" in html
    assert "NOT VERIFIED: the integrity of this item is in doubt." in html
    assert "A copy of the archived file has failed its fixity checks since" in html
    # The chain itself still holds (the entries were not changed, the file was).
    assert "The chain holds: each of its" in html
    # Times in UTC and in Kyiv time (summer or winter, by when the test runs).
    assert " UTC<br>" in html and ("EEST (UTC+03:00)" in html or "EET (UTC+02:00)" in html)


def test_the_ukrainian_report_is_in_ukrainian(damaged, investigator, client_for):
    html = report(client_for(investigator), damaged, language="uk").content.decode()

    assert '<html lang="uk">' in html
    assert "Звіт про ланцюг зберігання" in html
    assert "НЕ ПІДТВЕРДЖЕНО: цілісність цього доказу під сумнівом." in html
    assert "ПЕРЕВІРКА ЦІЛІСНОСТІ НЕ ПРОЙДЕНА" in html
    assert "Заявлено: Oksana Petrenko (Слідчий), не спостережено Slid:" in html
    assert "<td>Oksana Petrenko</td><td>Слідчий</td>" in html
    assert damaged.sha256 in html


def test_the_language_follows_the_request_when_not_given(damaged, investigator, client_for):
    html = (
        client_for(investigator)
        .get(f"/api/v1/evidence/{damaged.pk}/custody/report/", HTTP_ACCEPT_LANGUAGE="uk")
        .content.decode()
    )

    assert "Звіт про ланцюг зберігання" in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Chain of custody report", "NOT VERIFIED", "FIXITY CHECK FAILED", "not observed by Slid"]),
        ("uk", ["Звіт про ланцюг зберігання", "НЕ ПІДТВЕРДЖЕНО", "ПЕРЕВІРКА ЦІЛІСНОСТІ НЕ ПРОЙДЕНА", "Слідчий"]),
    ],
)
def test_the_pdf_reads_back_with_the_ern_the_hashes_and_the_words(damaged, investigator, client_for, language, words):
    answer = report(client_for(investigator), damaged, language=language, format="pdf")

    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    text = pdf_text(answer.content)
    joined = "".join(text.split())  # a hash may wrap at the end of a line
    assert damaged.ern in text
    assert damaged.sha256 in joined and damaged.md5 in joined
    for said in words:
        assert "".join(said.split()) in joined, said


def test_another_cases_member_gets_404(damaged, case_b, member_of, client_for):
    outsider = member_of(case_b, Role.LEAD)

    assert report(client_for(outsider), damaged, format="pdf").status_code == 404
    assert report(client_for(outsider), damaged).status_code == 404


def test_a_language_or_format_it_does_not_have_is_refused_by_name(damaged, investigator, client_for):
    client = client_for(investigator)

    assert report(client, damaged, language="ru").json().keys() == {"language"}
    assert report(client, damaged, format="docx").json().keys() == {"format"}
    refused = report(client, damaged, lang="uk")
    assert refused.status_code == 400
    assert refused.json().keys() == {"lang"}


def test_a_court_package_carries_each_items_report_in_english_and_ukrainian_and_its_verify_py_holds(
    investigator, case_a, member_of, tmp_path
):
    item = archived_item(case_a, investigator, b"photo bytes " * 100, name="IMG_0042.jpg", collection=_given(RECORD))
    lawyer = member_of(case_a, Role.LEGAL)
    export = build(export_request(actor=lawyer, case=case_a, evidence=[item]))
    zip_path, bag = package_of(export, tmp_path)

    reports = bag / "data" / "custody-reports"
    assert sorted(path.name for path in reports.iterdir()) == [f"{item.ern}.en.html", f"{item.ern}.uk.html"]
    english = (reports / f"{item.ern}.en.html").read_text(encoding="utf-8")
    ukrainian = (reports / f"{item.ern}.uk.html").read_text(encoding="utf-8")
    assert item.sha256 in english and item.sha256 in ukrainian
    assert "Verified: the chain of custody is intact." in english
    assert "ПІДТВЕРДЖЕНО: ланцюг зберігання цілісний." in ukrainian
    assert "seals: KV-000123" in english and "пломби: KV-000123" in ukrainian
    # The report says what the package's chain says: as many events as the JSONL has lines.
    lines = (bag / "data" / "custody" / f"{item.ern}.jsonl").read_text().splitlines()
    assert english.count('<tr class="event-') == len(lines)
    verdict = run_verify(zip_path)
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr


def test_the_workspace_evidence_page_links_to_the_reports_which_its_session_opens(investigator, case_a):
    item = archived_item(case_a, investigator, b"a statement " * 50, name="statement.txt")
    browser = Client()
    browser.force_login(investigator)

    page = browser.get(f"/cases/{case_a.reference}/evidence/{item.pk}/").content.decode()

    pdf = f"/api/v1/evidence/{item.pk}/custody/report/?language=uk&amp;format=pdf"
    assert f'href="{pdf}"' in page
    opened = browser.get(pdf.replace("&amp;", "&"))
    assert opened.status_code == 200
    assert opened["Content-Type"] == "application/pdf"


def test_an_event_taller_than_a_page_is_split_across_pages_not_a_500(case_a, member_of, client_for):
    lead = member_of(case_a, Role.LEAD, username="lead-of-the-report")
    item = archived_item(case_a, lead, b"%PDF-1.4 a long story", name="long.pdf")
    client = client_for(lead)
    reason = ("The title named the wrong street; the statement and the map agree on Vokzalna. " * 25)[:2000]
    assert (
        client.patch(f"/api/v1/evidence/{item.pk}/", {"title": "Vokzalna", "reason": reason}, format="json").status_code
        == 200
    )

    answer = client.get(f"/api/v1/evidence/{item.pk}/custody/report/", {"format": "pdf", "language": "en"})

    assert answer.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert item.ern in text and "Vokzalna" in text
