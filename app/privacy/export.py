"""GDPR Art. 15: everything held about the people of one alliance, as one JSON document."""

from collections import defaultdict

from sqlmodel import Session, col, select

from app.alliances.service import get_alliance
from app.audit import recorder
from app.auth.models import User
from app.auth.principal import Principal
from app.core.db import columns_of, utcnow
from app.core.errors import NotFound
from app.events.models import Event, EventDelegate
from app.inquiries.models import Inquiry, InquiryMessage
from app.notices.models import SurveyNotice
from app.privacy.schemas import (
    ContactData,
    DelegateData,
    InquiryData,
    InquiryMessageData,
    NoticeData,
    PersonalDataExport,
    UserData,
)


def _delegates(session: Session, alliance_id: int) -> list[DelegateData]:
    rows = session.exec(
        select(EventDelegate, Event.title).join(Event, col(Event.id) == EventDelegate.event_id)
        .where(EventDelegate.alliance_id == alliance_id).order_by(col(EventDelegate.id))
    ).all()
    return [DelegateData(**columns_of(delegate), event_title=title) for delegate, title in rows]


def _inquiries(session: Session, alliance_id: int) -> list[InquiryData]:
    inquiries = session.exec(
        select(Inquiry).where(Inquiry.alliance_id == alliance_id).order_by(col(Inquiry.id))
    ).all()
    messages: dict[int, list[InquiryMessageData]] = defaultdict(list)
    if inquiries:
        for message in session.exec(
            select(InquiryMessage).where(col(InquiryMessage.inquiry_id).in_([i.id for i in inquiries]))
            .order_by(col(InquiryMessage.id))
        ):
            messages[message.inquiry_id].append(InquiryMessageData(**columns_of(message)))
    return [InquiryData(**columns_of(i), messages=messages[i.id or 0]) for i in inquiries]


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
        delegates=_delegates(session, alliance_id),
        inquiries=_inquiries(session, alliance_id),
    )
    recorder.record(session, "alliance.personal_data_export", "alliance", alliance_id)
    session.commit()
    return export
