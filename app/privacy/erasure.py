"""GDPR erasure: a person's values go everywhere they are held, the rows stay, so counts and
history stay right. A person is found by the row named in the request and, across roles, by
their e-mail address (a contact person who was also sent to an event is erased there too)."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.alliances.models import AllianceContact
from app.audit import recorder
from app.auth import tokens
from app.auth.models import User
from app.auth.principal import Principal
from app.core.db import utcnow
from app.core.errors import Conflict, Forbidden, NotFound
from app.events.models import EventDelegate
from app.inquiries.models import Inquiry, InquiryMessage
from app.mail.models import OutboxMessage, OutboxStatus
from app.notices.models import SurveyNotice
from app.notices.tracking import follow_outbox
from app.privacy.schemas import ErasureResult, PersonKind

ERASED_NAME = "Gelöschte Person"
ERASED_TEXT = "[gelöscht]"


def erased_email(kind: str, row_id: int) -> str:
    # The reserved .invalid TLD can never deliver; unique per row for unique indexes.
    return f"erased-{kind}-{row_id}@erased.invalid"


@dataclass
class Tally:
    notices: int = 0
    messages: int = 0
    delegates: int = 0
    inquiries: int = 0


def anonymise_delegate(delegate: EventDelegate) -> None:
    delegate.name, delegate.function = ERASED_NAME, None
    delegate.email = delegate.phone = delegate.dietary_needs = None
    delegate.erased_at = delegate.updated_at = utcnow()


def anonymise_requester(session: Session, inquiry: Inquiry) -> None:
    """The requester's values, the subject and every message body: an answer may quote them."""
    inquiry.requester_name, inquiry.subject = ERASED_NAME, ERASED_TEXT
    inquiry.requester_email = inquiry.requester_phone = inquiry.stated_alliance_name = None
    inquiry.erased_at = inquiry.updated_at = utcnow()
    inquiry.version += 1
    for message in session.exec(select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry.id)):
        message.body = ERASED_TEXT


def _anonymise_mail_to(session: Session, address: str, replacement: str, tally: Tally) -> None:
    notices = session.exec(select(SurveyNotice).where(SurveyNotice.recipient == address)).all()
    for notice in notices:
        notice.recipient = replacement
        notice.updated_at = utcnow()
    messages = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == address)).all()
    for message in messages:
        message.recipient = replacement
        message.body = ERASED_TEXT
        if message.status == OutboxStatus.queued:
            message.status = OutboxStatus.failed  # never deliver to an erased person
            message.last_error = "recipient erased"
            follow_outbox(session, message)
    tally.notices += len(notices)
    tally.messages += len(messages)


def _anonymise_everywhere(session: Session, address: str | None, replacement: str, tally: Tally) -> None:
    """Every other place the address is held: mail, event registrations, inquiries."""
    if not address:
        return
    address = address.lower()
    _anonymise_mail_to(session, address, replacement, tally)
    for delegate in session.exec(select(EventDelegate).where(EventDelegate.email == address)).all():
        anonymise_delegate(delegate)
        tally.delegates += 1
    for inquiry in session.exec(select(Inquiry).where(Inquiry.requester_email == address)).all():
        anonymise_requester(session, inquiry)
        tally.inquiries += 1


def _already_erased() -> Conflict:
    return Conflict("This person was erased already.", code="already_erased")


def _erase_contact(session: Session, person_id: int, tally: Tally) -> None:
    contact = session.get(AllianceContact, person_id)
    if contact is None:
        raise NotFound(f"No contact person {person_id}.")
    if contact.erased_at is not None:
        raise _already_erased()
    _anonymise_everywhere(session, contact.email, erased_email("contact", person_id), tally)
    contact.name, contact.function, contact.email, contact.phone = ERASED_NAME, None, None, None
    contact.erased_at = utcnow()


def _erase_user(session: Session, person_id: int, actor: Principal, tally: Tally) -> None:
    user = session.get(User, person_id)
    if user is None:
        raise NotFound(f"No user {person_id}.")
    if user.id == actor.id and actor.kind == "user":
        raise Forbidden("You cannot erase your own account.")
    if user.erased_at is not None:
        raise _already_erased()
    replacement = erased_email("user", person_id)
    _anonymise_everywhere(session, user.email, replacement, tally)
    filed = session.exec(select(Inquiry).where(Inquiry.requester_user_id == person_id,
                                               col(Inquiry.erased_at).is_(None))).all()
    for inquiry in filed:
        anonymise_requester(session, inquiry)
        tally.inquiries += 1
    user.email, user.full_name = replacement, ERASED_NAME
    user.password_hash = user.invitation_token_hash = user.invitation_expires_at = None
    user.is_active = False
    user.erased_at = utcnow()
    user.version += 1
    tokens.revoke_all_sessions(session, person_id, "erased")


def _erase_delegate(session: Session, person_id: int, tally: Tally) -> None:
    delegate = session.get(EventDelegate, person_id)
    if delegate is None:
        raise NotFound(f"No delegate {person_id}.")
    if delegate.erased_at is not None:
        raise _already_erased()
    address = delegate.email
    anonymise_delegate(delegate)
    tally.delegates += 1
    _anonymise_everywhere(session, address, erased_email("delegate", person_id), tally)


def _erase_requester(session: Session, inquiry_id: int, tally: Tally) -> None:
    inquiry = session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise NotFound(f"No inquiry {inquiry_id}.")
    if inquiry.erased_at is not None:
        raise _already_erased()
    address = inquiry.requester_email
    anonymise_requester(session, inquiry)
    tally.inquiries += 1
    _anonymise_everywhere(session, address, erased_email("requester", inquiry_id), tally)


def erase_person(session: Session, kind: PersonKind, person_id: int, actor: Principal) -> ErasureResult:
    tally = Tally()
    if kind == "contact":
        _erase_contact(session, person_id, tally)
    elif kind == "user":
        _erase_user(session, person_id, actor, tally)
    elif kind == "delegate":
        _erase_delegate(session, person_id, tally)
    else:
        _erase_requester(session, person_id, tally)
    # Only kind and id: the trail must not name an erased value.
    recorder.record(session, "person.erase", kind, person_id)
    session.commit()
    return ErasureResult(kind=kind, id=person_id, erased_at=utcnow(),
                         notices_anonymised=tally.notices, messages_anonymised=tally.messages,
                         delegates_anonymised=tally.delegates, inquiries_anonymised=tally.inquiries)
