"""A custody report (evidence.selectors.custody_report) rendered: HTML from a Django template, and PDF with
ReportLab in DejaVu Sans (evidence/data/fonts/, Bitstream Vera licence), which has the Cyrillic letters. Both
show the same sentences, built once in the report's language. No database here."""

import io
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from django.template.loader import render_to_string
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from evidence.selectors.custody_report import CustodyReport

FONTS = Path(__file__).parent / "data" / "fonts"
SANS, BOLD, MONO = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono"
RED_HEX, AMBER_HEX = "#aa0000", "#8a5a00"
RED, GREEN, GREY = colors.HexColor(RED_HEX), colors.HexColor("#1b6e2d"), colors.HexColor("#555555")


def report_html(report: CustodyReport) -> str:
    return render_to_string("evidence/custody_report.html", {"report": report})


@cache
def _fonts() -> None:
    for name in (SANS, BOLD, MONO):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / f"{name}.ttf")))
    pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=BOLD, italic=SANS, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=SANS, fontSize=9, leading=12)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=15, leading=19, spaceAfter=4),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=10, spaceAfter=4
        ),  # fmt: skip
        "body": body,
        "muted": ParagraphStyle("muted", parent=body, fontSize=8, leading=10, textColor=GREY),
        "mono": ParagraphStyle("mono", parent=body, fontName=MONO, fontSize=7.5, leading=9.5),
        # A hash may break anywhere (CJK wrapping) rather than run out of its cell; copied, it stays whole.
        "hash": ParagraphStyle("hash", parent=body, fontName=MONO, fontSize=7.5, leading=9.5, wordWrap="CJK"),
        "ok": ParagraphStyle("ok", parent=body, fontName=BOLD, textColor=GREEN),
        "failed": ParagraphStyle("failed", parent=body, fontName=BOLD, textColor=RED),
    }


def _text(value: object) -> str:
    return escape(str(value))


def report_pdf(report: CustodyReport) -> bytes:
    _fonts()
    styles = _styles()
    labels = report.labels
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{labels['heading']}: {report.ern}",
        author="Slid",
        lang=report.language,
    )
    width = document.width
    story: list = [
        Paragraph(f"{_text(labels['heading'])}: {_text(report.ern)}", styles["title"]),
        Paragraph(_text(report.title), styles["body"]),
        Paragraph(
            f"{_text(labels['case'])}: {_text(report.case)} · {_text(report.case_title)}<br/>"
            f"{_text(labels['generated'])}: {_text(report.generated_utc)} · {_text(report.generated_local)}",
            styles["muted"],
        ),
        Paragraph(_text(labels["intro"]), styles["muted"]),
        Paragraph(_text(labels["verdict"]), styles["heading"]),
        Paragraph(_text(report.verdict), styles["ok" if report.holds and not report.fixity_failed else "failed"]),
    ]
    story += [Paragraph(f"• {_text(line)}", styles["body"]) for line in report.verdict_details]
    story.append(Paragraph(f"<b>{_text(labels['fixity'])}:</b> {_text(report.fixity)}", styles["body"]))
    if report.problems:
        story.append(Paragraph(f"<b>{_text(labels['problems'])}:</b>", styles["body"]))
        story += [Paragraph(f"• {_text(problem)}", styles["mono"]) for problem in report.problems]

    def pairs(heading: str, rows: list[tuple[str, str]], mono: bool = False) -> None:
        story.append(Paragraph(_text(heading), styles["heading"]))
        cells = [
            [Paragraph(f"<b>{_text(label)}</b>", styles["body"]),
             Paragraph(_text(value), styles["hash" if mono else "body"])]
            for label, value in rows
        ]  # fmt: skip
        if cells:
            story.append(_table(cells, [0.28 * width, 0.72 * width], header=False))

    pairs(labels["file"], report.facts)
    pairs(labels["hashes"], report.hashes, mono=True)

    story.append(Paragraph(_text(labels["timestamps"]), styles["heading"]))
    if report.timestamps:
        rows = [[Paragraph(f"<b>{_text(labels[key])}</b>", styles["body"]) for key in ("authority", "time", "serial")]]
        for stamp in report.timestamps:
            authority = _text(stamp.authority) + (f"<br/>{_text(stamp.certificate)}" if stamp.certificate else "")
            rows.append([
                Paragraph(authority, styles["body"]),
                Paragraph(f"{_text(stamp.time_utc)}<br/>{_text(stamp.time_local)}", styles["body"]),
                Paragraph(_text(stamp.serial), styles["hash"]),
            ])  # fmt: skip
        story.append(_table(rows, [0.4 * width, 0.35 * width, 0.25 * width]))
    else:
        story.append(Paragraph(_text(labels["no_timestamps"]), styles["body"]))

    pairs(labels["provenance"], report.provenance)

    story.append(Paragraph(_text(labels["people"]), styles["heading"]))
    if report.people:
        rows = [[Paragraph(f"<b>{_text(labels[key])}</b>", styles["body"]) for key in ("name", "role", "account")]]
        rows += [[Paragraph(_text(p.name), styles["body"]), Paragraph(_text(p.role), styles["body"]),
                  Paragraph(_text(p.agent), styles["hash"])] for p in report.people]  # fmt: skip
        story.append(_table(rows, [0.4 * width, 0.3 * width, 0.3 * width]))
    else:
        story.append(Paragraph(_text(labels["no_people"]), styles["body"]))

    story.append(Paragraph(_text(labels["events"]), styles["heading"]))
    rows = [[Paragraph(f"<b>{_text(text)}</b>", styles["body"])
             for text in (labels["sequence"], f"{labels['utc']} · {labels['local']}", labels["event"])]]  # fmt: skip
    failures = []
    for number, entry in enumerate(report.entries, start=1):
        head = f"<b>{_text(entry.event)}</b>"
        if entry.outcome != "success":
            colour = RED_HEX if entry.outcome == "failure" else AMBER_HEX
            head += f' · <font color="{colour}"><b>{_text(entry.outcome_label)}</b></font>'
        if entry.declared:
            head += f" · {_text(labels['declared'])}"
        hash_said = labels["hash_holds"] if entry.hash_holds else labels["hash_broken"]
        broken = "" if entry.hash_holds else f' color="{RED_HEX}"'
        cell = [
            Paragraph(head, styles["body"]),
            Paragraph(_text(entry.sentence), styles["body"]),
            Paragraph(f"{_text(labels['recorded_by'])}: {_text(entry.by)}", styles["muted"]),
        ]
        if entry.recorded_detail:
            cell.append(Paragraph(f"{_text(labels['as_recorded'])}: {_text(entry.recorded_detail)}", styles["muted"]))
        cell.append(
            Paragraph(f"{_text(labels['entry_hash'])} · <font{broken}>{_text(hash_said)}</font>", styles["muted"])
        )
        cell.append(Paragraph(_text(entry.entry_hash), styles["hash"]))
        rows.append([
            Paragraph(str(entry.sequence), styles["body"]),
            Paragraph(f"{_text(entry.at_utc)}<br/>{_text(entry.at_local)}", styles["muted"]),
            cell,
        ])  # fmt: skip
        if entry.outcome == "failure":
            failures.append(number)
    table = _table(rows, [0.07 * width, 0.25 * width, 0.68 * width])
    for number in failures:
        table.setStyle(TableStyle([("BACKGROUND", (0, number), (-1, number), colors.HexColor("#fdeeee"))]))
    story.append(table)
    story.append(Spacer(1, 4 * mm))

    def page_number(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(SANS, 7.5)
        canvas.setFillColor(GREY)
        canvas.drawString(15 * mm, 8 * mm, f"{report.ern} · {labels['heading']} · {report.generated_utc}")
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, str(doc.page))
        canvas.restoreState()

    document.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return out.getvalue()


def _table(rows: list, widths: list[float], *, header: bool = True) -> Table:
    # An event may be taller than a page (a correction's reason, a hand-over's note): its row is split across pages.
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, splitInRow=1)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f2f2")))
    table.setStyle(TableStyle(style))
    return table
