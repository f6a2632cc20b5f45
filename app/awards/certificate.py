"""The seal certificate („Urkunde“) as a PDF: A4 landscape, German, with a verification link.

Drawn with reportlab's core fonts (Helvetica covers German umlauts and „quotes“), so the PDF
needs no font files and its text stays extractable for screen readers and checks.
"""

import io
from datetime import date
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from app.alliances.states import STATE_NAMES

INITIATIVE = "Bundesinitiative Lokale Bündnisse für Familie"
GERMAN_MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
    "Oktober", "November", "Dezember",
)
_ACCENT = colors.HexColor("#1f4e79")
_GOLD = colors.HexColor("#b08d3c")


def german_date(value: date) -> str:
    """date(2024, 11, 22) → "22. November 2024"."""
    return f"{value.day}. {GERMAN_MONTHS[value.month - 1]} {value.year}"


def _centred_lines(canvas: Canvas, text: str, font: str, size: float, y: float, width: float,
                   min_size: float = 16) -> float:
    """Draw ``text`` centred, wrapped to ``width`` and shrunk for long names; returns the y
    below it."""
    while size > min_size and len(simpleSplit(text, font, size, width)) > 2:
        size -= 2
    lines = simpleSplit(text, font, size, width)
    canvas.setFont(font, size)
    page_width = landscape(A4)[0]
    for line in lines:
        canvas.drawCentredString(page_width / 2, y, line)
        y -= size * 1.2
    return y


def _qr_code(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    widget = QrCodeWidget(url)
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def render_certificate(data: dict[str, Any]) -> bytes:
    """``data``: alliance_name, municipality, state, title, awarded_on (date), place,
    verification_code, verification_url."""
    buffer = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(f"Urkunde – {data['title']} – {data['alliance_name']}")
    canvas.setAuthor(f"Servicebüro der {INITIATIVE}")
    canvas.setSubject(f"Siegel „{data['title']}“")
    canvas.setCreator("Bündnisportal")

    # Frame
    canvas.setStrokeColor(_GOLD)
    canvas.setLineWidth(3)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

    canvas.setFillColor(_ACCENT)
    canvas.setFont("Helvetica", 13)
    canvas.drawCentredString(width / 2, height - 32 * mm, INITIATIVE)

    canvas.setFont("Helvetica-Bold", 46)
    canvas.drawCentredString(width / 2, height - 56 * mm, "Urkunde")

    canvas.setFillColor(colors.black)
    canvas.setFont("Helvetica", 15)
    canvas.drawCentredString(width / 2, height - 72 * mm, "Das Lokale Bündnis für Familie")

    y = _centred_lines(canvas, data["alliance_name"], "Helvetica-Bold", 28, height - 88 * mm,
                       width - 70 * mm)
    place = ", ".join(p for p in (data.get("municipality"), STATE_NAMES.get(data.get("state") or ""))
                      if p)
    if place:
        canvas.setFont("Helvetica", 13)
        canvas.drawCentredString(width / 2, y + 2 * mm, place)
        y -= 8 * mm

    canvas.setFont("Helvetica", 15)
    canvas.drawCentredString(width / 2, y - 4 * mm, "erhält das Siegel")
    canvas.setFillColor(_ACCENT)
    y = _centred_lines(canvas, f"„{data['title']}“", "Helvetica-Bold", 26, y - 18 * mm,
                       width - 70 * mm)
    canvas.setFillColor(colors.black)
    canvas.setFont("Helvetica", 12)
    canvas.drawCentredString(
        width / 2, y - 2 * mm,
        "für sein besonderes Engagement für Familien vor Ort: gut vernetzt, sichtbar, "
        "mit verlässlichen Angeboten",
    )
    canvas.drawCentredString(width / 2, y - 8 * mm, "und einer aktiven, zukunftsgerichteten Bündnisarbeit.")

    when = german_date(data["awarded_on"])
    dated = f"{data['place']}, den {when}" if data.get("place") else when
    canvas.setFont("Helvetica", 13)
    canvas.drawString(30 * mm, 40 * mm, dated)
    canvas.line(30 * mm, 34 * mm, 120 * mm, 34 * mm)
    canvas.setFont("Helvetica", 10)
    canvas.drawString(30 * mm, 29 * mm, INITIATIVE)

    qr_size = 28 * mm
    _qr_code(canvas, data["verification_url"], width - 30 * mm - qr_size, 32 * mm, qr_size)
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(width - 30 * mm, 27 * mm, f"Prüfcode: {data['verification_code']}")
    canvas.drawRightString(width - 30 * mm, 23 * mm, f"Echtheit prüfen: {data['verification_url']}")

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
