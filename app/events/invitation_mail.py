"""Invitation e-mails: each invitation (by the rule or by hand) is mailed once, through the
outbox, in German, to the invited alliance's contact persons that can receive mail (an
address, not erased), with the event's date, place and registration deadline.

Only a published event's invitations are mailed; invitations made while the event was a draft
get their mail when it is published. An invitation call (``:generate`` or by hand) mails only
the invitations it created, never older unmailed ones: an invitation that stayed unmailed (its
alliance had no address, or the deadline had passed) is not mailed by a later call for another
alliance, so one hand invitation cannot mail a whole list at once. ``EventInvitation.mailed_at``
records the mail, so re-running ``:generate``, adding the alliance again by hand or publishing
never mails twice; callers hold the event's row lock, so two requests cannot both see an
invitation unmailed. The mail links the event in the portal (``app.core.links.event_url``).
"""

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.alliances.models import AllianceContact
from app.core import links
from app.core.db import utcnow
from app.core.text import unique_addresses
from app.events import letters, rules
from app.events.models import Event, EventInvitation
from app.mail import outbox


def mail_pending(session: Session, event: Event,
                 invitations: Sequence[EventInvitation] | None = None) -> int:
    """Queue the mail of the unmailed ``invitations`` of ``event`` (default: every unmailed
    one, for publication), published events only; flushes. Returns the e-mails queued."""
    if not rules.registration_open(event.status, event.starts_at, event.registration_closes_at,
                                   utcnow()):
        # Published, but the deadline has passed (or the event began): an invitation to
        # register "by" a past date helps nobody. It stays unmailed, so it goes out if the
        # Servicebüro extends the deadline and invites again.
        return 0
    session.flush()
    if invitations is None:
        pending = list(session.exec(select(EventInvitation).where(
            EventInvitation.event_id == event.id, col(EventInvitation.mailed_at).is_(None))
            .order_by(col(EventInvitation.id))).all())
    else:
        pending = sorted((i for i in invitations if i.mailed_at is None),
                         key=lambda i: i.id or 0)
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
        rules.registration_deadline(event.starts_at, event.registration_closes_at),
        links.event_url(event.id or 0))
    now, mailed = utcnow(), 0
    for invitation in pending:
        recipients = unique_addresses(by_alliance.get(invitation.alliance_id, []))
        if not recipients:
            continue
        for recipient in recipients:
            outbox.enqueue(session, recipient, subject, body)
            mailed += 1
        invitation.mailed_at = now
        session.add(invitation)
    session.flush()
    return mailed
