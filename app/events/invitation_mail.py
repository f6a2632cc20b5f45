"""Invitation e-mails: each invitation (by the rule or by hand) is mailed once, through the
outbox, in German, to the invited alliance's contact persons that can receive mail (an
address, not erased), with the event's date, place and registration deadline.

Only a published event's invitations are mailed; invitations made while the event was a draft
get their mail when it is published. ``EventInvitation.mailed_at`` records the mail, so
re-running ``:generate``, adding the alliance again by hand or publishing never mails twice;
callers hold the event's row lock, so two requests cannot both see an invitation unmailed. An
invitation whose alliance has no address yet stays unmailed and is mailed by the next call.
"""


from sqlmodel import Session, col, select

from app.alliances.models import AllianceContact
from app.core.db import utcnow
from app.core.text import unique_addresses
from app.events import letters, rules
from app.events.models import Event, EventInvitation
from app.mail import outbox


def mail_pending(session: Session, event: Event) -> int:
    """Queue the mail of every unmailed invitation of ``event`` (published only); flushes.
    Returns the number of invitations mailed."""
    if not rules.registration_open(event.status, event.starts_at, event.registration_closes_at,
                                   utcnow()):
        # Published, but the deadline has passed (or the event began): an invitation to
        # register "by" a past date helps nobody. It stays unmailed, so it goes out if the
        # Servicebüro extends the deadline and invites again.
        return 0
    session.flush()
    pending = session.exec(select(EventInvitation).where(
        EventInvitation.event_id == event.id, col(EventInvitation.mailed_at).is_(None))
        .order_by(col(EventInvitation.id))).all()
    if not pending:
        return 0
    contacts = session.exec(select(AllianceContact.alliance_id, AllianceContact.email).where(
        col(AllianceContact.alliance_id).in_([i.alliance_id for i in pending]),
        col(AllianceContact.erased_at).is_(None), col(AllianceContact.email).is_not(None),
        col(AllianceContact.accepts_mail).is_(True))
        .order_by(col(AllianceContact.id))).all()
    by_alliance: dict[int, list[str | None]] = {}
    for alliance_id, email in contacts:
        if alliance_id is not None:
            by_alliance.setdefault(alliance_id, []).append(email)
    subject = letters.invitation_subject(event.title)
    body = letters.invitation_body(
        event.kind, event.title, event.starts_at, event.venue,
        rules.registration_deadline(event.starts_at, event.registration_closes_at))
    now, mailed = utcnow(), 0
    for invitation in pending:
        recipients = unique_addresses(by_alliance.get(invitation.alliance_id, []))
        if not recipients:
            continue
        for recipient in recipients:
            outbox.enqueue(session, recipient, subject, body)
        invitation.mailed_at = now
        session.add(invitation)
        mailed += 1
    session.flush()
    return mailed
