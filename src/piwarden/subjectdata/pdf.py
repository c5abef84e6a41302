"""report.pdf: the readable report (``report.py``) rendered with ReportLab.

Chinese is set in ReportLab's built-in CID font ``STSong-Light`` (Adobe's Asian font pack, which
every PDF reader carries), so the PDF needs nothing but Python on the machine that makes it: no
system fonts, no Pango. A Chinese report uses it throughout (it covers Latin too); an English
report uses Helvetica, and STSong-Light for any paragraph with characters outside Latin-1 (a
Chinese name, an address).
"""

import io
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from piwarden.subjectdata.report import PDF_ROWS, Block, Cell, Report

CJK_FONT = "STSong-Light"
MARGIN = 16 * mm
WIDTH = A4[0] - 2 * MARGIN
LOGO_MAX = 28 * mm
INK, MUTED, RULE, SHADE = (colors.HexColor(c) for c in ("#1b1f23", "#57606a", "#d0d7de",
                                                        "#f6f8fa"))


def _register() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


class _Styles:
    """Paragraph styles of one report; ``para`` picks the font a text needs."""

    def __init__(self, lang: str):
        self.zh = lang == "zh-hans"
        regular = CJK_FONT if self.zh else "Helvetica"
        bold = CJK_FONT if self.zh else "Helvetica-Bold"

        def style(name, font, size, leading, **kw):
            return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading,
                                  textColor=kw.pop("textColor", INK), **kw)

        self.title = style("title", bold, 20, 26, spaceAfter=6)
        self.h2 = style("h2", bold, 14, 18, spaceBefore=14, spaceAfter=4, keepWithNext=1)
        self.h3 = style("h3", bold, 11, 14, spaceBefore=8, spaceAfter=3, keepWithNext=1)
        self.body = style("body", regular, 9.5, 13.5, spaceAfter=4)
        self.note = style("note", regular, 8.5, 11.5, textColor=MUTED, spaceAfter=3)
        self.cell = style("cell", regular, 8.5, 11)
        self.head = style("head", bold, 8.5, 11)

        self._derived: dict = {}

    def para(self, text: str, style: ParagraphStyle) -> Paragraph:
        wide = any(ord(ch) > 0xFF for ch in text)
        if wide or self.zh:
            key = (style.name, wide)
            if key not in self._derived:
                self._derived[key] = ParagraphStyle(
                    f"{style.name}-cjk", parent=style, fontName=CJK_FONT,
                    wordWrap="CJK" if wide else None)
            style = self._derived[key]
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def fits(self, text: str, style: ParagraphStyle, width: float) -> bool:
        """A one-line text in the table's own font: drawn as a plain string (a Paragraph per
        cell is most of the PDF's cost)."""
        if "\n" in text or (not self.zh and any(ord(ch) > 0xFF for ch in text)):
            return False
        return pdfmetrics.stringWidth(text, style.fontName, style.fontSize) <= width - 7

    def text(self, text: str, style: ParagraphStyle, width: float):
        return text if self.fits(text, style, width) else self.para(text, style)

    def fonts(self, cells: tuple, head: tuple) -> list:
        """Table style commands: the cell font everywhere, the head font on ``head``."""
        return [("FONT", *cells, self.cell.fontName, self.cell.fontSize, self.cell.leading),
                ("TEXTCOLOR", *cells, INK),
                ("FONT", *head, self.head.fontName, self.head.fontSize, self.head.leading)]


def _image(cell: Cell) -> Image | None:
    try:
        data = cell.image_bytes
        if not data:
            return None
        width, height = ImageReader(io.BytesIO(data)).getSize()
    except Exception:  # a stored image that does not decode is left out, not the export
        return None
    scale = min(LOGO_MAX / width, LOGO_MAX / height, 1.0)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale)


def _value(cell: Cell, styles: _Styles, width: float):
    return _image(cell) or styles.text(cell.text, styles.cell, width)


_GRID = [("VALIGN", (0, 0), (-1, -1), "TOP"),
         ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
         ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
         ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]


def _block(block: Block, styles: _Styles) -> list:
    flow: list = [styles.para(block.title, styles.h3)]
    shown = min(len(block.rows), PDF_ROWS)
    if shown < block.count:
        flow.append(styles.para(_("Only the first %(rows)s of %(count)s entries are shown "
                                  "here; all of them are in data.json and in %(file)s.")
                                % {"rows": shown, "count": block.count,
                                   "file": block.file}, styles.note))
    if block.cards:
        widths = [WIDTH * 0.32, WIDTH * 0.68]
        for record in block.records[:shown]:
            rows = [[styles.text(label, styles.head, widths[0]),
                     _value(cell, styles, widths[1])] for label, cell in record]
            table = Table(rows, colWidths=widths, splitInRow=1)
            table.setStyle(TableStyle([*_GRID, *styles.fonts(((0, 0), (-1, -1)),
                                                             ((0, 0), (0, -1))),
                                       ("BACKGROUND", (0, 0), (0, -1), SHADE)]))
            flow += [table, Spacer(1, 5)]
        return flow
    widths = [WIDTH * share for share in block.shares]
    header = [styles.text(label, styles.head, width)
              for label, width in zip(block.columns, widths, strict=True)]
    body = [[_value(cell, styles, width) for cell, width in zip(row, widths, strict=True)]
            for row in block.rows[:shown]]
    table = Table([header, *body], colWidths=widths, repeatRows=1, splitInRow=1)
    table.setStyle(TableStyle([*_GRID, *styles.fonts(((0, 0), (-1, -1)), ((0, 0), (-1, 0))),
                               ("BACKGROUND", (0, 0), (-1, 0), SHADE)]))
    flow.append(table)
    return flow


def render(report: Report) -> bytes:
    """The report as a PDF (A4), in the report's language."""
    _register()
    styles = _Styles(report.lang)
    flow: list = [styles.para(report.title, styles.title)]
    flow += [styles.para(text, styles.body) for text in report.intro]
    flow.append(styles.para(report.reference, styles.note))
    for section in report.sections:
        heading = styles.para(section.title, styles.h2)
        if not section.blocks:
            flow.append(KeepTogether([heading, styles.para(report.nothing, styles.note)]))
            continue
        flow.append(heading)
        for block in section.blocks:
            flow += _block(block, styles)
    footer_font = CJK_FONT if styles.zh else "Helvetica"

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(footer_font, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 10 * mm, report.title)
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, str(doc.page))
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                                 topMargin=MARGIN, bottomMargin=18 * mm, title=report.title,
                                 author="piwarden", lang="zh-CN" if styles.zh else "en")
    document.build(flow, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
