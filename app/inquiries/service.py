"""Inquiries, the write side: filing, the Servicebüro's filing of a ticket, the thread, closing.

Every write commits once. E-mail to the requester goes through the outbox in the same
transaction: the confirmation on filing (ticket number only, nothing the requester typed) and
each answer of the Servicebüro.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.auth.models import User
from app.auth.principal import Principal
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import Forbidden, TooManyRequests, field_error
from app.core.etags import check_if_match
from app.inquiries import texts
from app.inquiries.exceptions import (
    InquiryClosed,
    InquiryErased,
    InquiryNotClosed,
    InvalidInquiry,
    UnknownReference,
)
from app.inquiries.models import Inquiry, InquiryMessage, InquiryStatus, MessageAuthor
from app.inquiries.queries import (
    ETAG_RESOURCE,
    cycle_id_of,
    detail,
    get_inquiry,
    visible_inquiry,
)
from app.inquiries.schemas import (
    InquiryCreate,
    InquiryDetail,
    InquiryReceipt,
    InquiryUpdate,
    MessageCreate,
)
from app.mail import outbox

# Fields only callers without an account give: an alliance user's come from the account.
_STRANGER_FIELDS = ("requester_name", "requester_email", "stated_alliance_name")
_REQUIRED_FOR_STRANGERS = ("requester_name", "requester_email")


def _requester_errors(data: InquiryCreate, *, from_account: bool) -> list[dict[str, Any]]:
    """Which requester fields are missing or not allowed for this kind of caller (pure)."""
    if from_account:
        return [field_error(["body", name], "taken from your account; leave it out", "not_allowed")
                for name in _STRANGER_FIELDS if getattr(data, name) is not None]
    return [field_error(["body", name], "required when filing without an alliance account",
                        "missing")
            for name in _REQUIRED_FOR_STRANGERS if getattr(data, name) is None]


_DAY = timedelta(days=1)


def _refuse_if_alliance_filed_too_many(session: Session, alliance_id: int, now: datetime) -> None:
    """People of one alliance file at most ``inquiries_per_alliance_per_day`` (429): each one
    queues an e-mail and lands in the Servicebüro's queue."""
    limit = get_settings().limits.inquiries_per_alliance_per_day
    # The alliance's row lock makes count-then-insert one step on PostgreSQL, so concurrent
    # filings cannot all see room under the cap (SQLite has one writer anyway).
    session.exec(select(Alliance.id).where(col(Alliance.id) == alliance_id).with_for_update()).first()
    recent = session.exec(select(Inquiry.created_at).where(
        Inquiry.alliance_id == alliance_id, col(Inquiry.requester_user_id).is_not(None),
        col(Inquiry.created_at) >= now - _DAY).order_by(col(Inquiry.created_at))).all()
    if len(recent) >= limit:
        retry_after = int((recent[len(recent) - limit] + _DAY - now).total_seconds()) + 1
        raise TooManyRequests(retry_after, f"At most {limit} inquiries per alliance and day; "
                                           "please add to an open one instead.")


def _confirm(session: Session, inquiry: Inquiry, now: datetime) -> None:
    """Queue the confirmation unless this address got ``inquiry_confirmations_per_recipient``
    of them within a day: filing in a loop with a stranger's address must not make the
    Servicebüro a mailer. The inquiry itself is filed either way."""
    email = inquiry.requester_email
    assert email is not None and inquiry.id is not None
    limit = get_settings().limits.inquiry_confirmations_per_recipient
    if outbox.count_queued_since(session, email, texts.CONFIRMATION_SUBJECT_START,
                                 now - _DAY) < limit:
        outbox.enqueue(session, email, texts.confirmation_subject(inquiry.id),
                       texts.confirmation_body(inquiry.id, inquiry.category))


def _touch(inquiry: Inquiry) -> None:
    inquiry.version += 1
    inquiry.updated_at = utcnow()


def _build(session: Session, data: InquiryCreate, principal: Principal | None) -> Inquiry:
    from_account = principal is not None and not principal.is_admin
    errors = _requester_errors(data, from_account=from_account)
    if errors:
        raise InvalidInquiry("The requester's details do not fit the caller.", errors=errors)
    cycle_id = cycle_id_of(session, data.cycle, ["body", "cycle"]) if data.cycle else None
    now = utcnow()
    fields: dict[str, Any] = {
        "category": data.category, "subject": data.subject, "cycle_id": cycle_id,
        "requester_phone": data.requester_phone, "status": InquiryStatus.open,
        "created_at": now, "updated_at": now,
    }
    if from_account:
        assert principal is not None
        user = session.get(User, principal.id)
        if user is None or principal.alliance_id is None:
            raise Forbidden("Only people acting for an alliance, or anyone without an account, "
                            "may file an inquiry.")
        _refuse_if_alliance_filed_too_many(session, principal.alliance_id, now)
        # The alliance and the requester come from the account, never from the body.
        fields |= {"alliance_id": principal.alliance_id, "requester_user_id": user.id,
                   "requester_name": user.full_name, "requester_email": user.email.lower()}
    else:
        # Anonymous (or filed by the Servicebüro for someone): linked to no alliance; only the
        # Servicebüro links one later, so a stranger cannot write into an alliance's records.
        fields |= {"requester_name": data.requester_name, "requester_email": data.requester_email,
                   "stated_alliance_name": data.stated_alliance_name}
    return Inquiry(**fields)


def create_inquiry(
    session: Session, data: InquiryCreate, principal: Principal | None,
) -> InquiryDetail | InquiryReceipt:
    """File an inquiry and queue its confirmation. Anonymous callers get a receipt only."""
    inquiry = _build(session, data, principal)
    session.add(inquiry)
    session.flush()
    assert inquiry.id is not None
    session.add(InquiryMessage(
        inquiry_id=inquiry.id, author=MessageAuthor.requester, body=data.message,
        author_user_id=principal.id if principal is not None and not principal.is_admin else None,
        created_at=inquiry.created_at,
    ))
    if inquiry.requester_email:
        _confirm(session, inquiry, inquiry.created_at)
    session.commit()
    if principal is None:
        return InquiryReceipt(id=inquiry.id, status=inquiry.status, created_at=inquiry.created_at)
    return detail(session, inquiry, principal)


def _alliance_exists(session: Session, alliance_id: int) -> bool:
    return session.get(Alliance, alliance_id) is not None


def update_inquiry(
    session: Session, inquiry_id: int, data: InquiryUpdate, if_match: str | None,
    principal: Principal,
) -> InquiryDetail:
    """The Servicebüro's filing: category, cycle, alliance (null unlinks cycle or alliance)."""
    inquiry = get_inquiry(session, inquiry_id, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, inquiry_id, inquiry.version)
    given = data.model_fields_set
    changes: dict[str, Any] = {}
    if "category" in given and data.category is not None:
        changes["category"] = data.category
    if "cycle" in given:
        changes["cycle_id"] = cycle_id_of(session, data.cycle, ["body", "cycle"]) if data.cycle else None
    if "alliance_id" in given:
        if data.alliance_id is not None and not _alliance_exists(session, data.alliance_id):
            raise UnknownReference(f"No alliance {data.alliance_id}.", errors=[field_error(
                ["body", "alliance_id"], f"no alliance {data.alliance_id}", "not_found")])
        if inquiry.requester_user_id is not None and data.alliance_id != inquiry.alliance_id:
            # Filed by a person of an alliance: moving it would hide it from them and show
            # their name and address to another alliance.
            raise InvalidInquiry(
                "The inquiry was filed by a person of an alliance and stays with that alliance.",
                errors=[field_error(["body", "alliance_id"],
                                    "filed by an alliance user; the alliance cannot change",
                                    "not_allowed")])
        changes["alliance_id"] = data.alliance_id
    changed = {k: v for k, v in changes.items() if getattr(inquiry, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(inquiry, key, value)
        _touch(inquiry)
        session.add(inquiry)
        session.commit()
    return detail(session, inquiry, principal)


def _ensure_open_for_messages(inquiry: Inquiry) -> None:
    if inquiry.erased_at is not None:
        raise InquiryErased("The requester's data was erased; the inquiry takes no new messages.")
    if inquiry.status == InquiryStatus.closed:
        raise InquiryClosed("The inquiry is closed; reopen it (Servicebüro) or file a new one.")


def add_message(
    session: Session, inquiry_id: int, data: MessageCreate, principal: Principal,
) -> InquiryDetail:
    """The Servicebüro answers (status answered, e-mail to the requester), or the alliance's
    people write again (status open)."""
    inquiry = visible_inquiry(session, inquiry_id, principal, for_update=True)
    _ensure_open_for_messages(inquiry)
    assert inquiry.id is not None
    now = utcnow()
    if principal.is_admin:
        author, inquiry.status = MessageAuthor.servicebuero, InquiryStatus.answered
    else:
        author, inquiry.status = MessageAuthor.requester, InquiryStatus.open
    session.add(InquiryMessage(inquiry_id=inquiry.id, author=author, author_user_id=principal.id,
                               body=data.body, created_at=now))
    _touch(inquiry)
    session.add(inquiry)
    if author == MessageAuthor.servicebuero and inquiry.requester_email:
        outbox.enqueue(session, inquiry.requester_email, texts.answer_subject(inquiry.id),
                       texts.answer_body(inquiry.id, data.body))
    session.commit()
    return detail(session, inquiry, principal)


def close_inquiry(session: Session, inquiry_id: int, principal: Principal) -> InquiryDetail:
    inquiry = visible_inquiry(session, inquiry_id, principal, for_update=True)
    if inquiry.status == InquiryStatus.closed:
        raise InquiryClosed(f"Inquiry {inquiry_id} is closed already.")
    inquiry.status = InquiryStatus.closed
    _touch(inquiry)
    inquiry.closed_at = inquiry.updated_at
    session.add(inquiry)
    session.commit()
    return detail(session, inquiry, principal)


def reopen_inquiry(session: Session, inquiry_id: int, principal: Principal) -> InquiryDetail:
    inquiry = get_inquiry(session, inquiry_id, for_update=True)
    if inquiry.status != InquiryStatus.closed:
        raise InquiryNotClosed(f"Inquiry {inquiry_id} is {inquiry.status}, not closed.",
                               allowed=["close"])
    if inquiry.erased_at is not None:
        raise InquiryErased("The requester's data was erased; the inquiry stays closed.")
    inquiry.status = InquiryStatus.open
    inquiry.closed_at = None
    _touch(inquiry)
    session.add(inquiry)
    session.commit()
    return detail(session, inquiry, principal)
