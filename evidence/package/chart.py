"""The analysis chart as files: CSV (in packages as data/analysis-chart.csv, and from the API) and an XLSX workbook
(from the API). The rows are evidence.selectors.analysis_chart.analysis_chart_rows; exculpatory assessments and
gaps are marked in their own columns, and in the workbook filled in colour as well."""

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill

from evidence.package.register import register_csv

CHART_DOCUMENT = "analysis-chart.csv"
EXCULPATORY_FILL = PatternFill("solid", fgColor="FFD966")  # amber: impossible to overlook
GAP_FILL = PatternFill("solid", fgColor="F4CCCC")


def chart_csv(rows: list[list[str]]) -> bytes:
    """UTF-8, every cell quoted and spreadsheet-safe, CRLF line ends: as the register."""
    return register_csv(rows)


def chart_xlsx(rows: list[list[str]]) -> bytes:
    """One sheet, "Analysis chart", the header frozen and bold, exculpatory rows amber and gaps red. Every value
    is written as text (openpyxl never turns a string into a formula in write-only mode when it is a data cell)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Analysis chart")
    sheet.freeze_panes = "A2"
    header, *body = rows
    exculpatory_column = header.index("EXCULPATORY")
    proven_column = header.index("Proven by verified evidence")
    sheet.append([_cell(sheet, value, font=Font(bold=True)) for value in header])
    for row in body:
        fill = None
        if row[exculpatory_column]:
            fill = EXCULPATORY_FILL
        elif row[proven_column] != "yes":
            fill = GAP_FILL
        sheet.append([_cell(sheet, value, fill=fill) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(sheet, value: str, *, font: Font | None = None, fill: PatternFill | None = None) -> WriteOnlyCell:
    # Text pasted from Word may hold control characters (a vertical tab) that XLSX cannot hold: openpyxl refuses
    # them. They are dropped from the spreadsheet only; the CSV keeps the text as written.
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # text, never a formula, whatever it starts with
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell
