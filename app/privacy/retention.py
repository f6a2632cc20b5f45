"""GDPR retention (`buendnis retention`): personal values past their time are anonymised, the
rows stay. Three clocks: e-mail content by its age, event delegates by the event's end,
inquiry requesters by the inquiry's closing."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.audit import recorder
from app.core.config import Settings
from app.core.db import utcnow
from app.events.models import Event, EventDelegate
from app.inquiries.models import Inquiry, InquiryStatus
from app.mail.models import OutboxMessage, OutboxStatus
from app.notices.models import SurveyNotice
from app.privacy.erasure import ERASED_TEXT, anonymise_delegate, anonymise_requester, erased_email
from app.privacy.schemas import RetentionReport


@dataclass(frozen=True)
class RetentionPolicy:
    mail_months: int
    delegate_months: int
    inquiry_months: int

    @classmethod
    def from_settings(cls, settings: Settings, months: int | None = None) -> "RetentionPolicy":
        """``months`` (the CLI's --months) overrides all three."""
        return cls(
            mail_months=months or settings.retention_months,
            delegate_months=months or settings.delegate_retention_months,
            inquiry_months=months or settings.inquiry_retention_months,
        )


def months_ago(months: int, now: datetime) -> datetime:
    return now - timedelta(days=30 * months)


def apply_retention(session: Session, policy: RetentionPolicy, *, dry_run: bool) -> RetentionReport:
    now = utcnow()
    cutoff = months_ago(policy.mail_months, now)
    delegate_cutoff = months_ago(policy.delegate_months, now)
    inquiry_cutoff = months_ago(policy.inquiry_months, now)
    # Delivered or failed e-mails lose recipient and body; notice rows keep their status
    # (who was reached) but not the address.
    messages = session.exec(
        select(OutboxMessage).where(
            col(OutboxMessage.status).in_([OutboxStatus.sent, OutboxStatus.failed]),
            OutboxMessage.created_at < cutoff, OutboxMessage.body != ERASED_TEXT,
        )
    ).all()
    notices = session.exec(
        select(SurveyNotice).where(SurveyNotice.created_at < cutoff,
                                   col(SurveyNotice.recipient).not_like("erased-%"))
    ).all()
    delegates = session.exec(
        select(EventDelegate).join(Event, col(Event.id) == EventDelegate.event_id)
        .where(Event.ends_at < delegate_cutoff, col(EventDelegate.erased_at).is_(None))
    ).all()
    inquiries = session.exec(
        select(Inquiry).where(Inquiry.status == InquiryStatus.closed,
                              col(Inquiry.closed_at) < inquiry_cutoff, col(Inquiry.erased_at).is_(None))
    ).all()
    report = RetentionReport(
        dry_run=dry_run, cutoff=cutoff, messages=len(messages), notices=len(notices),
        delegate_cutoff=delegate_cutoff, delegates=len(delegates),
        events=len({d.event_id for d in delegates}),
        inquiry_cutoff=inquiry_cutoff, inquiries=len(inquiries),
    )
    if dry_run:
        return report
    for message in messages:
        message.recipient = erased_email("message", message.id or 0)
        message.body = ERASED_TEXT
    for notice in notices:
        notice.recipient = erased_email("notice", notice.id or 0)
    for delegate in delegates:
        anonymise_delegate(delegate)
    for inquiry in inquiries:
        anonymise_requester(session, inquiry)
    recorder.record(session, "retention.apply", "personal_data", fields={
        "messages": len(messages), "notices": len(notices),
        "delegates": len(delegates), "inquiries": len(inquiries),
    })
    session.commit()
    return report
