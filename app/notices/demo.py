"""Demo survey notices for the open cycle "2024/25" (seed step ``seed_notices``).

The Servicebüro sent the notice the day after the survey opened: most eligible demo alliances
got it (one only at the second attempt, after greylisting), Saarbrücken's address bounced
(failed), and Potsdam got none, so "who is missing?" and the alliance's own "were we
reached?" have something to show. Hamm, reached but only with a draft, got one reminder eight
days after the notice (kind ``reminder``). Seal holders and dissolved alliances get nothing.
Idempotent: once the cycle has any notice the step does nothing; without the cycle, nothing.
"""

from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session, col, select

from app.alliances.demo import DEMO_ALLIANCES
from app.alliances.models import Alliance
from app.alliances.schemas import slugify
from app.core.db import utcnow
from app.cycles.models import AwardCycle
from app.mail.models import OutboxMessage, OutboxStatus
from app.notices import queries, service
from app.notices.models import NoticeKind, SurveyNotice
from app.notices.reminders import render_reminder
from app.surveys import eligibility

CYCLE_KEY = "2024/25"
ACTOR = "system:seed-demo"
MISSING = "Potsdam"
FAILED = "Saarbrücker"
RETRIED = "Salzgitter"
REMINDED = "Hamm"  # a draft, not submitted (app/surveys/demo.py): reminded once
REMINDED_AFTER = timedelta(days=8)
# The 2023/24 seal holders of the demo (app/awards/demo.py): the awards step runs after this
# one, yet seal holders were never asked in 2024/25. tests/notices/test_demo.py checks both
# lists agree after a full seed.
SEAL_HOLDERS_2023 = ("Freiburg", "Mainz", "Bremer", "Kassel")
BOUNCE = "550 5.1.1 Mailbox unavailable: recipient address rejected"


class Report(Protocol):
    def count(self, what: str, n: int = 1) -> None: ...


def _slug(name_part: str) -> str:
    for entry in DEMO_ALLIANCES:
        if name_part in entry["name"]:
            return slugify(entry["name"])
    raise LookupError(name_part)


def seed_notices(session: Session, report: Report) -> None:
    cycle = session.exec(select(AwardCycle).where(AwardCycle.key == CYCLE_KEY)).first()
    if cycle is None or cycle.id is None:
        return
    if session.exec(select(SurveyNotice.id).where(SurveyNotice.cycle_id == cycle.id)).first():
        return
    left_out = {_slug(part) for part in (*SEAL_HOLDERS_2023, MISSING)}
    demo_slugs = [slugify(entry["name"]) for entry in DEMO_ALLIANCES]
    alliances = session.exec(
        eligibility.eligible_alliances_query()
        .where(col(Alliance.slug).in_(demo_slugs)).order_by(col(Alliance.name))
    ).all()
    now = utcnow()
    sent_on = min((cycle.opens_at or now - timedelta(days=7)) + timedelta(days=1), now)
    minute = 0
    for alliance in alliances:
        if alliance.slug in left_out or alliance.id is None:
            continue
        subject, body = service.render_notice(cycle, alliance)
        for recipient in queries.contact_emails(alliance):
            minute += 1
            queued_at = sent_on + timedelta(minutes=minute)
            message = OutboxMessage(recipient=recipient, subject=subject, body=body,
                                    status=OutboxStatus.sent, attempts=1, next_attempt_at=queued_at,
                                    sent_at=queued_at + timedelta(seconds=20), created_at=queued_at)
            if alliance.slug == _slug(FAILED):
                message.status, message.attempts, message.sent_at = OutboxStatus.failed, 5, None
                message.last_error = BOUNCE
                message.next_attempt_at = queued_at + timedelta(hours=2, minutes=36)
            elif alliance.slug == _slug(RETRIED):
                message.attempts = 2
                message.sent_at = queued_at + timedelta(minutes=1, seconds=5)
            session.add(message)
            session.flush()
            session.add(SurveyNotice(
                cycle_id=cycle.id, alliance_id=alliance.id, recipient=recipient,
                channel=service.CHANNEL_EMAIL, status=message.status, attempts=message.attempts,
                outbox_message_id=message.id, requested_by=ACTOR, sent_at=message.sent_at,
                created_at=queued_at, updated_at=message.sent_at or message.next_attempt_at,
            ))
            report.count("survey notices")
            reminded_at = queued_at + REMINDED_AFTER
            if alliance.slug == _slug(REMINDED) and reminded_at < now:
                _add_reminder(session, cycle, alliance, recipient, reminded_at)
                report.count("survey reminders")
    session.flush()


def _add_reminder(session: Session, cycle: AwardCycle, alliance: Alliance, recipient: str,
                  at: datetime) -> None:
    subject, body = render_reminder(cycle, alliance)
    message = OutboxMessage(recipient=recipient, subject=subject, body=body,
                            status=OutboxStatus.sent, attempts=1, next_attempt_at=at,
                            sent_at=at + timedelta(seconds=15), created_at=at)
    session.add(message)
    session.flush()
    assert cycle.id is not None and alliance.id is not None
    session.add(SurveyNotice(
        cycle_id=cycle.id, alliance_id=alliance.id, recipient=recipient,
        channel=service.CHANNEL_EMAIL, kind=NoticeKind.reminder, status=message.status,
        attempts=1, outbox_message_id=message.id, requested_by=ACTOR, sent_at=message.sent_at,
        created_at=at, updated_at=message.sent_at or at,
    ))
