"""The outbox: e-mail is queued in the writer's own transaction and delivered later.

A request never talks to SMTP. ``enqueue`` adds a row; the dispatcher (``app.mail.dispatch``)
claims due rows, hands them to a sender and records the outcome here. Other domains follow
their messages by registering an outcome listener (``on_outcome``) instead of being imported.

Claiming is one ``UPDATE … WHERE id IN (SELECT … [FOR UPDATE SKIP LOCKED]) RETURNING id``:
the claim pushes ``next_attempt_at`` out by a lease and counts the attempt, so two dispatchers
never take the same row, and a row whose dispatcher died is taken again once the lease ends.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, ScalarSelect, update
from sqlmodel import Session, col, func, select

from app.core.db import utcnow
from app.mail.models import OutboxMessage, OutboxStatus

OutcomeListener = Callable[[Session, OutboxMessage], None]
_listeners: list[OutcomeListener] = []


def on_outcome(listener: OutcomeListener) -> OutcomeListener:
    """Call ``listener(session, message)`` whenever a message is sent or fails for good or
    for now; it runs in the same transaction and must only flush."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def _notify(session: Session, message: OutboxMessage) -> None:
    for listener in _listeners:
        listener(session, message)


def retry_at(
    attempts: int, now: datetime, backoff_seconds: Sequence[int], max_attempts: int
) -> datetime | None:
    """When to try again after the ``attempts``-th failed attempt; None: give up.

    ``backoff_seconds[0]`` follows the first failure, and so on; the last value repeats."""
    if attempts >= max_attempts:
        return None
    step = min(max(attempts, 1), len(backoff_seconds)) - 1
    return now + timedelta(seconds=backoff_seconds[step])


def new_message(recipient: str, subject: str, body: str, *, now: datetime | None = None) -> OutboxMessage:
    at = now or utcnow()
    return OutboxMessage(recipient=recipient, subject=subject, body=body,
                         next_attempt_at=at, created_at=at)


def enqueue(session: Session, recipient: str, subject: str, body: str) -> OutboxMessage:
    """Queue one e-mail in the caller's transaction (flushes only, so the id is known)."""
    message = new_message(recipient, subject, body)
    session.add(message)
    session.flush()
    return message


def queued_since(session: Session, recipient: str, subject: str, body: str,
                 since: datetime) -> bool:
    """The same e-mail to the same address was queued at or after ``since``."""
    return session.exec(select(OutboxMessage.id).where(
        OutboxMessage.recipient == recipient, OutboxMessage.subject == subject,
        OutboxMessage.body == body, col(OutboxMessage.created_at) >= since).limit(1)).first() is not None


def count_queued_since(session: Session, recipient: str, subject_start: str,
                       since: datetime) -> int:
    """How many e-mails whose subject starts with ``subject_start`` were queued to this address
    (compared case-insensitively) at or after ``since``."""
    return session.exec(select(func.count()).select_from(OutboxMessage).where(
        func.lower(OutboxMessage.recipient) == recipient.lower(),
        col(OutboxMessage.subject).startswith(subject_start, autoescape=True),
        col(OutboxMessage.created_at) >= since)).one()


def backlog(session: Session) -> tuple[int, datetime | None]:
    """How many messages wait to be sent, and when the oldest of them was queued."""
    count, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at))
        .where(OutboxMessage.status == OutboxStatus.queued)
    ).one()
    if isinstance(oldest, datetime) and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)  # SQLite's min() bypasses the column type
    return int(count), oldest


def claim_due(session: Session, now: datetime, *, limit: int, claim_seconds: int) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for this dispatcher and commit the claim."""
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.queued, col(OutboxMessage.next_attempt_at) <= now)
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Lock the batch first, then claim it. Inside ``UPDATE … WHERE id IN (SELECT … LIMIT n
        # FOR UPDATE SKIP LOCKED)`` PostgreSQL may rescan the subquery per row and skip the
        # rows this very UPDATE has just changed, so one dispatcher took the whole outbox
        # whatever ``limit`` said (tests/processes proves two workers now share the work).
        picked: Sequence[int] | ScalarSelect[int] = list(
            session.execute(due.with_for_update(skip_locked=True)).scalars().all())
        if not picked:
            session.commit()
            return []
    else:
        # SQLite: one statement, so no read snapshot goes stale before the write.
        picked = due.scalar_subquery()
    claim = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(picked),
               col(OutboxMessage.status) == OutboxStatus.queued,
               col(OutboxMessage.next_attempt_at) <= now)
        .values(next_attempt_at=now + timedelta(seconds=claim_seconds),
                attempts=col(OutboxMessage.attempts) + 1)
        .returning(col(OutboxMessage.id))
        .execution_options(synchronize_session=False)
    )
    ids = list(session.execute(claim).scalars().all())
    rows = session.exec(
        select(OutboxMessage).where(col(OutboxMessage.id).in_(ids)).order_by(col(OutboxMessage.id))
        .execution_options(populate_existing=True)
    ).all() if ids else []
    # Read inside the claiming transaction: no read transaction stays open afterwards, which
    # on SQLite would keep a stale snapshot that cannot write once another process has.
    session.commit()
    return list(rows)


def release(session: Session, message_ids: Sequence[int]) -> None:
    """Hand claimed but unsent messages back (a stopping dispatcher): due again at once, the
    claim's attempt not counted. Messages another dispatcher has settled stay as they are."""
    if message_ids:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(list(message_ids)),
                   col(OutboxMessage.status) == OutboxStatus.queued)
            .values(next_attempt_at=utcnow(), attempts=col(OutboxMessage.attempts) - 1)
            .execution_options(synchronize_session=False)
        )
    session.commit()


def _reload(session: Session, message_id: int) -> OutboxMessage | None:
    return session.exec(
        select(OutboxMessage).where(OutboxMessage.id == message_id)
        .execution_options(populate_existing=True)
    ).first()


def _settle(session: Session, message_id: int, **values: Any) -> bool:
    """Write ``values`` if the message is still queued (i.e. still ours). A write as the first
    statement takes SQLite's write lock at once instead of upgrading a read snapshot."""
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == OutboxStatus.queued)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def record_sent(session: Session, message_id: int, now: datetime) -> OutboxMessage | None:
    settled = _settle(session, message_id, status=OutboxStatus.sent, sent_at=now, last_error=None)
    message = _reload(session, message_id)
    if settled and message is not None:
        _notify(session, message)
    # Not settled: erased meanwhile, or another dispatcher took over after a lost lease.
    session.commit()
    return message


def record_failure(
    session: Session, message_id: int, now: datetime, reason: str, *, permanent: bool,
    backoff_seconds: Sequence[int], max_attempts: int,
) -> OutboxMessage | None:
    settled = _settle(session, message_id, last_error=reason[:500])
    message = _reload(session, message_id)
    if settled and message is not None:
        retry = None if permanent else retry_at(message.attempts, now, backoff_seconds, max_attempts)
        if retry is None:
            message.status = OutboxStatus.failed
        else:
            message.next_attempt_at = retry
        session.add(message)
        _notify(session, message)
    session.commit()
    return message
