"""The German e-mails to a requester: pure functions, no database.

The confirmation repeats nothing the requester typed (no name, subject or message): whoever
files an inquiry names the address it goes to, so a confirmation that echoed their text would
let strangers send their own words from the Servicebüro's address to anyone.
"""

from app.inquiries.models import InquiryCategory

SENDER_NAME = "Servicebüro Lokale Bündnisse für Familie"

CATEGORY_LABELS: dict[InquiryCategory, str] = {
    InquiryCategory.missing_notice: "keine Nachricht zur Bündnisumfrage erhalten",
    InquiryCategory.survey: "Bündnisumfrage",
    InquiryCategory.seal: "Siegel „Ausgezeichnetes Bündnis“",
    InquiryCategory.events: "Veranstaltungen und Projekt Zukunft",
    InquiryCategory.account: "Zugang zum Bündnisportal",
    InquiryCategory.other: "Sonstiges",
}


def ticket(inquiry_id: int) -> str:
    return f"Nr. {inquiry_id}"


CONFIRMATION_SUBJECT_START = "Ihre Anfrage an das Servicebüro ("


def confirmation_subject(inquiry_id: int) -> str:
    return f"{CONFIRMATION_SUBJECT_START}{ticket(inquiry_id)}) ist eingegangen"


def confirmation_body(inquiry_id: int, category: InquiryCategory) -> str:
    return f"""Guten Tag,

vielen Dank für Ihre Anfrage an das Servicebüro der Bundesinitiative „Lokale Bündnisse für \
Familie“. Sie ist unter der {ticket(inquiry_id)} (Thema: {CATEGORY_LABELS[category]}) bei uns \
eingegangen. Wir melden uns so bald wie möglich bei Ihnen.

Bitte geben Sie die Nummer an, wenn Sie uns zu dieser Anfrage schreiben.

Haben Sie diese Anfrage nicht gestellt, können Sie diese Nachricht ignorieren.

Mit freundlichen Grüßen
Ihr {SENDER_NAME}
"""


def answer_subject(inquiry_id: int) -> str:
    return f"Antwort des Servicebüros auf Ihre Anfrage ({ticket(inquiry_id)})"


def answer_body(inquiry_id: int, answer: str) -> str:
    return f"""Guten Tag,

zu Ihrer Anfrage {ticket(inquiry_id)} antwortet Ihnen das Servicebüro:

{answer}

Mit freundlichen Grüßen
Ihr {SENDER_NAME}
"""
