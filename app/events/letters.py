"""The German e-mails of the waiting list and of invitations: pure functions, no database.

Like texts.py they repeat only what the Servicebüro wrote (title, kind, date, place,
deadline), never what a registering caller typed.
"""

from datetime import datetime

from app.events.models import EventKind
from app.events.texts import KIND_LABELS, SENDER_NAME, german_datetime, when_and_where


def waitlisted_subject(title: str) -> str:
    return f"Warteliste: {title}"


def waitlisted_body(kind: EventKind, title: str, starts_at: datetime, venue: str | None) -> str:
    return f"""Guten Tag,

Ihr Bündnis hat Sie für die Veranstaltung „{title}“ ({KIND_LABELS[kind]}) \
{when_and_where(starts_at, venue)} angemeldet. Alle Plätze sind zurzeit vergeben; Sie stehen \
auf der Warteliste.

Wird ein Platz frei, rücken Sie in der Reihenfolge der Anmeldungen nach, solange die Anmeldung \
offen ist, und erhalten dann eine weitere Nachricht.

Haben Sie mit dieser Anmeldung nichts zu tun, können Sie diese Nachricht ignorieren.

Mit freundlichen Grüßen
Ihr {SENDER_NAME}
"""


def promotion_subject(title: str) -> str:
    return f"Platz frei geworden: {title}"


def promotion_body(kind: EventKind, title: str, starts_at: datetime, venue: str | None) -> str:
    return f"""Guten Tag,

für die Veranstaltung „{title}“ ({KIND_LABELS[kind]}) {when_and_where(starts_at, venue)} ist \
ein Platz frei geworden: Sie sind von der Warteliste nachgerückt und jetzt verbindlich \
angemeldet.

Können Sie nicht teilnehmen, melden Sie sich bitte über Ihr Bündnis im Bündnisportal ab, damit \
der Platz frei wird.

Mit freundlichen Grüßen
Ihr {SENDER_NAME}
"""


def invitation_subject(title: str) -> str:
    return f"Einladung: {title}"


def invitation_body(kind: EventKind, title: str, starts_at: datetime, venue: str | None,
                    deadline: datetime, link: str) -> str:
    return f"""Guten Tag,

Ihr Lokales Bündnis für Familie ist zur Veranstaltung „{title}“ ({KIND_LABELS[kind]}) \
{when_and_where(starts_at, venue)} eingeladen.

Bitte melden Sie Ihre Delegierten bis zum {german_datetime(deadline)} im Bündnisportal an:
{link}

Mit freundlichen Grüßen
Ihr {SENDER_NAME}
"""
