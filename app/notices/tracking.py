"""A notice's status follows its outbox message (registered with the mail outbox)."""

from sqlmodel import Session, select

from app.core.db import utcnow
from app.mail import outbox
from app.mail.models import OutboxMessage
from app.notices.models import SurveyNotice


@outbox.on_outcome
def follow_outbox(session: Session, message: OutboxMessage) -> None:
    notices = session.exec(
        select(SurveyNotice).where(SurveyNotice.outbox_message_id == message.id)
    ).all()
    for notice in notices:
        notice.status = message.status
        notice.attempts = message.attempts
        notice.sent_at = message.sent_at
        notice.updated_at = utcnow()
        session.add(notice)
    session.flush()
