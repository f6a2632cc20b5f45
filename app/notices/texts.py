"""The German survey notice (Anschreiben zur Bündnisumfrage): pure functions, no database.

The text names the alliance, never the contact person: the outbox body then holds no personal
data beyond the address it goes to.
"""

from datetime import datetime

from app.core.german import BERLIN_KNOWN, german_date, german_datetime

_TZ_LABEL = "deutscher Zeit" if BERLIN_KNOWN else "UTC"

SENDER_NAME = "Servicebüro Lokale Bündnisse für Familie"


def window_sentence(opens_at: datetime | None, closes_at: datetime | None) -> str:
    if opens_at and closes_at:
        return (f"Die Umfrage ist vom {german_date(opens_at)} bis zum "
                f"{german_datetime(closes_at)} ({_TZ_LABEL}) geöffnet.")
    if closes_at:
        return f"Die Umfrage ist bis zum {german_datetime(closes_at)} ({_TZ_LABEL}) geöffnet."
    if opens_at:
        return f"Die Umfrage ist ab dem {german_date(opens_at)} geöffnet."
    return "Den Zeitraum der Umfrage geben wir in Kürze bekannt."


def notice_subject(cycle_key: str, seal_title: str) -> str:
    return f"Bündnisumfrage {cycle_key}: Ihre Chance auf das Siegel „{seal_title}“"


def notice_body(
    *, alliance_name: str, cycle_key: str, seal_title: str, opens_at: datetime | None,
    closes_at: datetime | None, link: str,
) -> str:
    return f"""Guten Tag,

die Bundesinitiative „Lokale Bündnisse für Familie“ lädt Ihr Bündnis „{alliance_name}“ \
herzlich zur Bündnisumfrage {cycle_key} ein.

Mit Ihren Antworten zeigen Sie, was Ihr Bündnis für Familien vor Ort bewegt. Zugleich \
bewerben Sie sich um das Siegel „{seal_title}“ und können Ihr Interesse am Projekt Zukunft \
bekunden. Sie können Zwischenstände speichern und später weiter ausfüllen.

{window_sentence(opens_at, closes_at)}

Zur Umfrage: {link}

Sie erhalten diese Nachricht, weil Sie als Ansprechperson des Bündnisses hinterlegt sind. \
Stimmen die Kontaktdaten nicht mehr, pflegen Sie sie bitte im Bündnisportal oder schreiben \
Sie uns kurz.

Mit freundlichen Grüßen
Ihr {SENDER_NAME}
"""


def reminder_subject(cycle_key: str, seal_title: str) -> str:
    return f"Erinnerung: Bündnisumfrage {cycle_key} – Siegel „{seal_title}“"


def reminder_body(
    *, alliance_name: str, cycle_key: str, seal_title: str, closes_at: datetime | None, link: str,
) -> str:
    deadline = (f"Die Umfrage ist noch bis zum {german_datetime(closes_at)} ({_TZ_LABEL}) "
                "geöffnet." if closes_at else "Die Umfrage ist noch geöffnet.")
    return f"""Guten Tag,

vor einiger Zeit haben wir Ihr Bündnis „{alliance_name}“ zur Bündnisumfrage {cycle_key} \
eingeladen. Bisher haben wir von Ihnen noch keine abgeschickte Antwort erhalten.

{deadline} Ein bereits gespeicherter Zwischenstand bleibt erhalten; bitte schicken Sie Ihre \
Antwort zum Schluss ab. Nur abgeschickte Antworten können für das Siegel „{seal_title}“ \
berücksichtigt werden.

Zur Umfrage: {link}

Haben Sie Ihre Antwort inzwischen abgeschickt, betrachten Sie diese Erinnerung bitte als \
gegenstandslos. Sie erhalten diese Nachricht, weil Sie als Ansprechperson des Bündnisses \
hinterlegt sind.

Mit freundlichen Grüßen
Ihr {SENDER_NAME}
"""
