"""Demo inquiries (seed step ``seed_inquiries``), around the open cycle "2024/25".

* Potsdam got no survey notice (app/notices/demo.py): its coordinator wrote without an
  account, the Servicebüro linked the inquiry to the alliance and the cycle; still open, so the
  inquiry shows at once that no notice went out.
* Saarbrücken's notice bounced: the same kind of inquiry, answered by the Servicebüro.
* Fürth (a demo login) asked about saving a draft of the survey: answered.
* Hamm (a demo login) asked about the seal criteria: answered and closed.
* Someone without an account asked about the workshops: open, linked to no alliance.

Idempotent: a demo inquiry is recognised by its subject; without the cycle nothing is seeded,
and an entry whose alliance or login is missing is skipped. No e-mail is queued.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session, col, select

from app.alliances.demo import DEMO_ALLIANCES
from app.alliances.models import Alliance
from app.alliances.schemas import slugify
from app.auth.models import User
from app.core.db import utcnow
from app.cycles.models import AwardCycle
from app.inquiries.models import (
    Inquiry,
    InquiryCategory,
    InquiryMessage,
    InquiryStatus,
    MessageAuthor,
)
from app.notices import demo as notices_demo

CYCLE_KEY = "2024/25"
MISSING_NOTICE_SUBJECT = "Keine Einladung zur Bündnisumfrage 2024/25 erhalten"
BOUNCED_SUBJECT = "Einladung zur Bündnisumfrage kam nicht an"
ANSWERED_SUBJECT = "Kann ich die Umfrage zwischenspeichern?"
CLOSED_SUBJECT = "Fragen zu den Siegelkriterien"
ANONYMOUS_SUBJECT = "Termine der Zukunftswerkstätten"


class Report(Protocol):
    def count(self, what: str, n: int = 1) -> None: ...


@dataclass
class _Demo:
    subject: str
    category: InquiryCategory
    days_ago: int
    # (from the Servicebüro?, text, days after filing); the first is the requester's.
    thread: list[tuple[bool, str, int]]
    alliance: str | None = None  # part of the demo alliance's name
    # Filed by the demo login of the alliance (else without an account).
    by_login: bool = False
    linked: bool = True
    with_cycle: bool = True
    closed_after_days: int | None = None
    requester: tuple[str, str] = ("", "")
    stated_alliance_name: str | None = None
    phone: str | None = None


DEMO_INQUIRIES: list[_Demo] = [
    _Demo(MISSING_NOTICE_SUBJECT, InquiryCategory.missing_notice, 3,
          [(False, "Guten Tag, in anderen Bündnissen ist die Einladung zur Bündnisumfrage "
                   "schon angekommen, bei uns nicht. Können Sie sie uns bitte schicken?", 0)],
          alliance=notices_demo.MISSING,
          requester=("Koordination Potsdam", "koordination@familienbuendnis-potsdam.example.org"),
          stated_alliance_name="Familienbündnis Potsdam", phone="+49 331 1234567"),
    _Demo(BOUNCED_SUBJECT, InquiryCategory.missing_notice, 6,
          [(False, "Wir haben gehört, dass die Umfrage läuft, haben aber keine Einladung "
                   "bekommen.", 0),
           (True, "Unsere Einladung an Ihre hinterlegte Adresse wurde vom Mailserver "
                  "abgelehnt. Bitte prüfen Sie die Kontaktdaten im Bündnisportal; wir senden "
                  "die Einladung dann erneut.", 1)],
          alliance=notices_demo.FAILED,
          requester=("Koordination Saarbrücken",
                     "koordination@saarbruecker-buendnis-fuer-familie.example.org"),
          stated_alliance_name="Saarbrücker Bündnis für Familie"),
    _Demo(ANSWERED_SUBJECT, InquiryCategory.survey, 8,
          [(False, "Können wir die Bündnisumfrage in mehreren Sitzungen ausfüllen?", 0),
           (True, "Ja: Zwischenstände werden gespeichert, bis Sie die Antworten absenden.", 1)],
          alliance="Fürth", by_login=True),
    _Demo(CLOSED_SUBJECT, InquiryCategory.seal, 10,
          [(False, "Nach welchen Kriterien wird das Siegel vergeben?", 0),
           (True, "Gute Vernetzung, gute Sichtbarkeit, kontinuierliche Angebote für Familien "
                  "und aktive, zukunftsorientierte Bündnisarbeit. Die Gewichtung legt das "
                  "Servicebüro je Zyklus fest.", 1),
           (False, "Vielen Dank, das hilft uns weiter.", 2)],
          alliance="Hamm", by_login=True, closed_after_days=3),
    _Demo(ANONYMOUS_SUBJECT, InquiryCategory.events, 1,
          [(False, "Wann finden die nächsten Zukunftswerkstätten statt, und kann unser "
                   "Bündnis teilnehmen?", 0)],
          linked=False, with_cycle=False,
          requester=("Jana Beispiel", "jana.beispiel@example.org"),
          stated_alliance_name="Bündnis für Familie Musterhausen"),
]


def _alliance(session: Session, name_part: str) -> Alliance | None:
    slugs = [slugify(e["name"]) for e in DEMO_ALLIANCES if name_part in e["name"]]
    if not slugs:
        return None
    return session.exec(select(Alliance).where(Alliance.slug == slugs[0])).first()


def _login(session: Session, alliance: Alliance) -> User | None:
    email = f"koordination@{slugify(alliance.name)}.example.org"
    return session.exec(select(User).where(User.email == email)).first()


def _add(session: Session, demo: _Demo, cycle: AwardCycle, now: datetime) -> bool:
    alliance = _alliance(session, demo.alliance) if demo.alliance else None
    if demo.alliance and alliance is None:
        return False
    user = _login(session, alliance) if alliance is not None and demo.by_login else None
    if demo.by_login and user is None:
        return False
    filed = now - timedelta(days=demo.days_ago)
    name, email = (user.full_name, user.email) if user is not None else demo.requester
    last = filed + timedelta(days=demo.thread[-1][2])
    closed = filed + timedelta(days=demo.closed_after_days) if demo.closed_after_days else None
    answered = demo.thread[-1][0]
    inquiry = Inquiry(
        category=demo.category, subject=demo.subject,
        status=InquiryStatus.closed if closed else (
            InquiryStatus.answered if answered else InquiryStatus.open),
        alliance_id=alliance.id if alliance is not None and (demo.linked or user) else None,
        cycle_id=cycle.id if demo.with_cycle else None,
        requester_name=name, requester_email=email, requester_phone=demo.phone,
        requester_user_id=user.id if user is not None else None,
        stated_alliance_name=demo.stated_alliance_name if user is None else None,
        version=len(demo.thread) + (1 if closed else 0), created_at=filed,
        updated_at=closed or last, closed_at=closed,
    )
    session.add(inquiry)
    session.flush()
    assert inquiry.id is not None
    for from_servicebuero, text, after in demo.thread:
        session.add(InquiryMessage(
            inquiry_id=inquiry.id, body=text, created_at=filed + timedelta(days=after),
            author=MessageAuthor.servicebuero if from_servicebuero else MessageAuthor.requester,
            author_user_id=None if from_servicebuero else (user.id if user else None),
        ))
    return True


def seed_inquiries(session: Session, report: Report) -> None:
    cycle = session.exec(select(AwardCycle).where(AwardCycle.key == CYCLE_KEY)).first()
    if cycle is None or cycle.id is None:
        return
    subjects = [d.subject for d in DEMO_INQUIRIES]
    present = set(session.exec(select(Inquiry.subject).where(col(Inquiry.subject).in_(subjects))).all())
    now = utcnow()
    for demo in DEMO_INQUIRIES:
        if demo.subject not in present and _add(session, demo, cycle, now):
            report.count("inquiries")
    session.flush()
