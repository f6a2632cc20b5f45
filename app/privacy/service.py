"""GDPR: export everything held about an alliance's people; erase a person without breaking
history (rows stay, counts stay, values go); retention of delivered e-mail content."""

from datetime import timedelta

from sqlmodel import Session, col, select

from app.alliances.models import AllianceContact
from app.alliances.service import get_alliance
from app.audit import recorder
from app.auth import tokens
from app.auth.models import User
from app.auth.principal import Principal
from app.core.db import columns_of, utcnow
from app.core.errors import Conflict, Forbidden, NotFound
from app.mail.models import OutboxMessage, OutboxStatus
from app.notices.models import SurveyNotice
from app.notices.tracking import follow_outbox
from app.privacy.schemas import (
    ContactData,
    ErasureResult,
    NoticeData,
    PersonalDataExport,
    PersonKind,
    RetentionReport,
    UserData,
)

ERASED_NAME = "Gelöschte Person"
ERASED_MAIL_BODY = "[gelöscht]"


def erased_email(kind: str, person_id: int) -> str:
    # The reserved .invalid TLD can never deliver; unique per person for the unique index.
    return f"erased-{kind}-{person_id}@erased.invalid"


def export_personal_data(session: Session, alliance_id: int, principal: Principal) -> PersonalDataExport:
    if not principal.acts_for(alliance_id):
        raise NotFound(f"No alliance {alliance_id}.")
    alliance = get_alliance(session, alliance_id)
    users = session.exec(select(User).where(User.alliance_id == alliance_id).order_by(col(User.id))).all()
    notices = session.exec(
        select(SurveyNotice).where(SurveyNotice.alliance_id == alliance_id).order_by(col(SurveyNotice.id))
    ).all()
    export = PersonalDataExport(
        alliance_id=alliance_id, generated_at=utcnow(),
        contacts=[ContactData(**columns_of(c)) for c in alliance.contacts],
        users=[UserData(**columns_of(u)) for u in users],
        notices=[NoticeData(**columns_of(n)) for n in notices],
    )
    recorder.record(session, "alliance.personal_data_export", "alliance", alliance_id)
    session.commit()
    return export


def _anonymise_mail_to(session: Session, address: str | None, replacement: str) -> tuple[int, int]:
    if not address:
        return 0, 0
    notices = session.exec(select(SurveyNotice).where(SurveyNotice.recipient == address)).all()
    for notice in notices:
        notice.recipient = replacement
        notice.updated_at = utcnow()
    messages = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == address)).all()
    for message in messages:
        message.recipient = replacement
        message.body = ERASED_MAIL_BODY
        if message.status == OutboxStatus.queued:
            message.status = OutboxStatus.failed  # never deliver to an erased person
            message.last_error = "recipient erased"
            follow_outbox(session, message)
    return len(notices), len(messages)


def erase_person(session: Session, kind: PersonKind, person_id: int, actor: Principal) -> ErasureResult:
    now = utcnow()
    replacement = erased_email(kind, person_id)
    if kind == "contact":
        contact = session.get(AllianceContact, person_id)
        if contact is None:
            raise NotFound(f"No contact person {person_id}.")
        if contact.erased_at is not None:
            raise Conflict("This person was erased already.", code="already_erased")
        notices, messages = _anonymise_mail_to(session, contact.email, replacement)
        contact.name, contact.function, contact.email, contact.phone = ERASED_NAME, None, None, None
        contact.erased_at = now
    else:
        user = session.get(User, person_id)
        if user is None:
            raise NotFound(f"No user {person_id}.")
        if user.id == actor.id and actor.kind == "user":
            raise Forbidden("You cannot erase your own account.")
        if user.erased_at is not None:
            raise Conflict("This person was erased already.", code="already_erased")
        notices, messages = _anonymise_mail_to(session, user.email, replacement)
        user.email, user.full_name = replacement, ERASED_NAME
        user.password_hash = user.invitation_token_hash = user.invitation_expires_at = None
        user.is_active = False
        user.erased_at = now
        user.version += 1
        tokens.revoke_all_sessions(session, person_id, "erased")
    recorder.record(session, "person.erase", kind, person_id)
    session.commit()
    return ErasureResult(kind=kind, id=person_id, erased_at=now,
                         notices_anonymised=notices, messages_anonymised=messages)


def apply_retention(session: Session, months: int, *, dry_run: bool) -> RetentionReport:
    """Delivered or failed e-mails older than ``months`` lose recipient and body; the notice
    rows keep their status (who was reached) but not the address."""
    cutoff = utcnow() - timedelta(days=30 * months)
    messages = session.exec(
        select(OutboxMessage).where(
            col(OutboxMessage.status).in_([OutboxStatus.sent, OutboxStatus.failed]),
            OutboxMessage.created_at < cutoff, OutboxMessage.body != ERASED_MAIL_BODY,
        )
    ).all()
    notices = session.exec(
        select(SurveyNotice).where(SurveyNotice.created_at < cutoff,
                                   col(SurveyNotice.recipient).not_like("erased-%"))
    ).all()
    report = RetentionReport(dry_run=dry_run, cutoff=cutoff, messages=len(messages), notices=len(notices))
    if dry_run:
        return report
    for message in messages:
        message.recipient = erased_email("message", message.id or 0)
        message.body = ERASED_MAIL_BODY
    for notice in notices:
        notice.recipient = erased_email("notice", notice.id or 0)
    recorder.record(session, "retention.apply", "outbox_message",
                    fields={"messages": len(messages), "notices": len(notices)})
    session.commit()
    return report
