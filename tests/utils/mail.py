"""What the outbox holds, read fresh from the database."""

from sqlmodel import Session, col, select

from app.mail.models import OutboxMessage


def mail_to(session: Session, recipient: str) -> list[OutboxMessage]:
    return list(session.exec(
        select(OutboxMessage).where(OutboxMessage.recipient == recipient)
        .order_by(col(OutboxMessage.id)).execution_options(populate_existing=True)
    ).all())


def all_mail(session: Session) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).execution_options(populate_existing=True)).all())
