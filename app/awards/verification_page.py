"""The seal verification as a small German HTML page, for the person who scanned the QR code.

``GET /api/v1/public/seals/verify/{code}`` answers JSON to programs; a browser, which prefers
``text/html``, gets this page: the alliance, the seal and its cycle, valid or withdrawn. Values
are escaped (``html.escape`` inside a ``string.Template``); no script, no external resource, and
a Content-Security-Policy that allows only the page's own stylesheet (by its hash).
"""

import base64
import hashlib
from datetime import date
from html import escape
from string import Template

from app.awards.models import AwardStatus
from app.awards.schemas import SealVerification

HTML_MEDIA_TYPE = "text/html"
SITE_NAME = "Lokale Bündnisse für Familie"

_STYLE = """
:root { color-scheme: light; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  line-height: 1.5; color: #1a1a1a; background: #f6f6f4; }
main { max-width: 40rem; margin: 2rem auto; padding: 1.5rem 2rem; background: #fff;
  border-radius: .5rem; box-shadow: 0 1px 3px rgba(0,0,0,.15); }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
.status { font-size: 1.2rem; font-weight: 700; padding: .75rem 1rem; border-radius: .375rem;
  border: 2px solid; }
.valid { color: #0b5a23; background: #e8f5ec; border-color: #0b5a23; }
.withdrawn, .unknown { color: #8a1111; background: #fbeaea; border-color: #8a1111; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .5rem 1.5rem; margin: 1.5rem 0; }
dt { font-weight: 700; }
dd { margin: 0; overflow-wrap: anywhere; }
footer { max-width: 40rem; margin: 0 auto 2rem; padding: 0 2rem; font-size: .9rem; color: #444; }
""".strip()

STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src '{STYLE_HASH}'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Language": "de",
    "Cache-Control": "no-cache",
}

_PAGE = Template("""<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>$title – $site</title>
<style>$style</style>
</head>
<body>
<main>
<h1>$heading</h1>
<p class="status $status_class" role="status">$status_text</p>
$details
<p>$explanation</p>
</main>
<footer><p>Siegelprüfung des Servicebüros „$site“</p></footer>
</body>
</html>
""")


def _german(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _row(label: str, value: str) -> str:
    return f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>"


def render_verification(seal: SealVerification) -> str:
    valid = seal.valid and seal.status == AwardStatus.confirmed
    rows = [
        _row("Bündnis", seal.alliance_name),
        _row("Siegel", seal.title),
        _row("Vergaberunde", seal.cycle_key),
        _row("Verliehen am", _german(seal.awarded_on)),
    ]
    if seal.withdrawn_on is not None:
        rows.append(_row("Zurückgezogen am", _german(seal.withdrawn_on)))
    rows.append(_row("Prüfcode", seal.code))
    if valid:
        status_text = "Gültig: Dieses Bündnis trägt das Siegel."
        explanation = ("Die Urkunde mit diesem Prüfcode ist echt und das Siegel ist nicht "
                       "zurückgezogen.")
    else:
        status_text = "Nicht mehr gültig: Das Siegel wurde zurückgezogen."
        explanation = ("Die Urkunde mit diesem Prüfcode wurde ausgestellt, das Siegel ist aber "
                       "zurückgezogen; die Urkunde gilt nicht mehr.")
    return _PAGE.substitute(
        title=escape("Siegel gültig" if valid else "Siegel zurückgezogen"),
        site=escape(SITE_NAME), style=_STYLE,
        heading=escape(f"Siegelprüfung: {seal.alliance_name}"),
        status_class="valid" if valid else "withdrawn", status_text=escape(status_text),
        details="<dl>" + "".join(rows) + "</dl>", explanation=escape(explanation),
    )


def render_unknown(code: str) -> str:
    return _PAGE.substitute(
        title="Prüfcode unbekannt", site=escape(SITE_NAME), style=_STYLE,
        heading="Siegelprüfung", status_class="unknown",
        status_text="Unbekannter Prüfcode: Kein Siegel trägt diesen Code.",
        details="<dl>" + _row("Eingegebener Code", code) + "</dl>",
        explanation=escape("Bitte prüfen Sie den Code auf der Urkunde (vier Gruppen aus je vier "
                           "Zeichen). Fragen beantwortet das Servicebüro."),
    )
