"""What an item records for a court goes into the package's register: the default profile has every
field, a profile may name them, related items are named both ways, and the package still verifies."""

import csv
import io
from datetime import UTC, datetime

import pytest

from evidence.models import ExportProfile, Role
from evidence.services.court_record import evidence_record_disclosure
from evidence.services.packages import export_request
from evidence.services.relations import evidence_relate
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, package_of, run_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


@pytest.fixture
def order(case_a, lead):
    return archived_item(
        case_a, lead, b"%PDF-1.4 the order", name="order.pdf",
        document_date=datetime(2022, 2, 28, 22, tzinfo=UTC), document_date_precision="month",
        author="Col. I. Petrov", recipient="64th brigade", languages=["ru", "uk"], pages=4,
        court_classification="under_seal", received_on_condition_of_confidentiality=True,
        confidentiality_provider="A State", confidentiality_conditions="Leads only", exculpatory=True,
    )  # fmt: skip


def register_rows(bag) -> list[dict]:
    return list(csv.DictReader(io.StringIO((bag / "data" / "register.csv").read_text(encoding="utf-8-sig"))))


def test_the_default_register_has_every_field_of_the_court_record(case_a, lead, order, tmp_path):
    translation = archived_item(case_a, lead, b"the order, translated", name="order-en.pdf", languages=["en"])
    evidence_relate(actor=lead, item=translation, target=order, kind="translation_of")

    export = build(export_request(actor=lead, case=case_a, evidence=[order, translation]))
    zip_path, bag = package_of(export, tmp_path)

    rows = {row["ERN"]: row for row in register_rows(bag)}
    row = rows[order.ern]
    assert row["Court classification"] == "under_seal"
    assert row["Received on condition of confidentiality (art. 54(3)(e))"] == "yes"
    assert (row["Confidentiality provider"], row["Confidentiality conditions"]) == ("A State", "Leads only")
    assert row["Exculpatory (art. 67(2))"] == "yes"
    # 1 March 2022 in Kyiv, known to the month.
    assert row["Document date (Europe/Kyiv)"] == "2022-03-01T00:00:00+02:00"
    assert row["Document date precision"] == "month"
    assert (row["Author"], row["Recipient"], row["Languages"], row["Pages"]) == (
        "Col. I. Petrov", "64th brigade", "ru; uk", "4",
    )  # fmt: skip
    assert row["Related items"] == f"has_translation {translation.ern}"
    assert rows[translation.ern]["Related items"] == f"translation_of {order.ern}"
    assert rows[translation.ern]["Exculpatory (art. 67(2))"] == "no"
    assert rows[translation.ern]["Court classification"] == "confidential"
    verdict = run_verify(zip_path)
    assert verdict.returncode == 0, verdict.stdout


def test_a_profile_may_name_the_disclosures_and_still_shows_the_exculpatory_mark(case_a, lead, order, tmp_path):
    first = build(export_request(actor=lead, case=case_a, evidence=[order]))
    evidence_record_disclosure(
        actor=lead, item=order, recipient_kind="defence", recipient_name="Defence of A.", disclosed=True,
        disclosed_at=datetime(2024, 5, 1, 21, tzinfo=UTC), package=first, rule="article_67_2",
    )  # fmt: skip
    evidence_record_disclosure(
        actor=lead, item=order, recipient_kind="chamber", recipient_name="Trial Chamber IX", disclosed=False
    )
    ExportProfile.objects.create(
        case=case_a, name="disclosure-log",
        columns=[{"column": "Item", "field": "ern"}, {"column": "Disclosed", "field": "disclosures"},
                 {"column": "Pages", "field": "pages"}],
    )  # fmt: skip

    export = build(export_request(actor=lead, case=case_a, evidence=[order], profile="disclosure-log"))
    (row,) = register_rows(package_of(export, tmp_path)[1])

    assert row == {
        "Item": order.ern,
        # 2 May 2024 in Kyiv (+03:00).
        "Disclosed": "defence (Defence of A.): disclosed 2024-05-02 under article_67_2; chamber (Trial Chamber IX): "
        "not disclosed",
        "Pages": "4",
        "Exculpatory (art. 67(2))": "yes",
    }
