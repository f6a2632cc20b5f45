"""The German e-mails to delegates: pure functions, no database.

They repeat only what the Servicebüro wrote (the event's title, date and place), never what
the registering caller typed (name, function, dietary needs): whoever registers a delegate
names the address the confirmation goes to, so echoing their text would let anyone send their
own words from the Servicebüro's address to a stranger.
"""

from datetime import datetime

from app.core.german import BERLIN_KNOWN, german_datetime
from app.events.models import EventKind

_TZ_LABEL = "deutsche Zeit" if BERLIN_KNOWN else "UTC"

SENDER_NAME = "Servicebüro Lokale Bündnisse für Familie"

KIND_LABELS: dict[EventKind, str] = {
    EventKind.exchange: "Erfahrungsaustausch (virtuell)",
    EventKind.workshop: "Zukunftswerkstatt",
    EventKind.dialogue: "Bündnisdialog",
    EventKind.ceremony: "Siegelverleihung",
}


def when_and_where(starts_at: datetime, venue: str | None) -> str:
    where = "" if not venue else (" online" if venue.strip().lower() == "online"
                                  else f" in {venue}")
    return f"am {german_datetime(starts_at)} ({_TZ_LABEL}){where}"


def confirmation_subject(title: str) -> str:
    return f"Anmeldung bestätigt: {title}"


def confirmation_body(kind: EventKind, title: str, starts_at: datetime, venue: str | None) -> str:
    return f"""Guten Tag,

Ihr Bündnis hat Sie für die Veranstaltung „{title}“ ({KIND_LABELS[kind]}) \
{when_and_where(starts_at, venue)} angemeldet. Ihre Anmeldung ist bei uns eingegangen.

Können Sie nicht teilnehmen, melden Sie sich bitte über Ihr Bündnis im Bündnisportal ab, damit \
der Platz frei wird.

Haben Sie mit dieser Anmeldung nichts zu tun, können Sie diese Nachricht ignorieren.

Mit freundlichen Grüßen
Ihr {SENDER_NAME}
"""


def cancellation_subject(title: str) -> str:
    return f"Abgesagt: {title}"


def cancellation_body(kind: EventKind, title: str, starts_at: datetime, venue: str | None) -> str:
    return f"""Guten Tag,

die Veranstaltung „{title}“ ({KIND_LABELS[kind]}) {when_and_where(starts_at, venue)} \
findet leider nicht statt. Ihre Anmeldung ist damit hinfällig; Sie müssen nichts weiter tun.

Wir bitten um Ihr Verständnis und informieren Ihr Bündnis, sobald es einen neuen Termin gibt.

Mit freundlichen Grüßen
Ihr {SENDER_NAME}
"""
