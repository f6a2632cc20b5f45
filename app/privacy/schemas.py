from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.core.schemas import ReadModel

# "requester" erases the person who filed an inquiry: its id is the inquiry's id.
PersonKind = Literal["contact", "delegate", "user", "requester"]


class ContactData(ReadModel):
    id: int
    name: str
    function: str | None
    email: str | None
    phone: str | None
    erased_at: datetime | None


class UserData(ReadModel):
    id: int
    email: str
    full_name: str
    role: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    erased_at: datetime | None


class NoticeData(ReadModel):
    id: int
    cycle_id: int
    recipient: str
    status: str
    sent_at: datetime | None


class DelegateData(ReadModel):
    id: int
    event_id: int
    event_title: str
    status: str
    name: str
    function: str | None
    email: str | None
    phone: str | None
    dietary_needs: str | None
    registered_by: str
    created_at: datetime
    erased_at: datetime | None


class InquiryMessageData(ReadModel):
    id: int
    author: str
    body: str
    created_at: datetime


class InquiryData(ReadModel):
    id: int
    category: str
    status: str
    subject: str
    requester_name: str
    requester_email: str | None
    requester_phone: str | None
    stated_alliance_name: str | None
    created_at: datetime
    closed_at: datetime | None
    erased_at: datetime | None
    messages: list[InquiryMessageData]


class PersonalDataExport(ReadModel):
    """Everything held about the people of one alliance (GDPR Art. 15)."""

    alliance_id: int
    generated_at: datetime
    contacts: list[ContactData]
    users: list[UserData]
    notices: list[NoticeData] = Field(description="Survey notices sent to the alliance's people")
    delegates: list[DelegateData] = Field(description="People the alliance registered for events")
    inquiries: list[InquiryData] = Field(description="Inquiries filed for the alliance, with their messages")


class ErasureResult(ReadModel):
    kind: PersonKind
    id: int
    erased_at: datetime
    notices_anonymised: int
    messages_anonymised: int
    delegates_anonymised: int = Field(description="Event registrations of the person")
    inquiries_anonymised: int = Field(description="Inquiries the person filed")


class RetentionReport(BaseModel):
    dry_run: bool
    cutoff: datetime
    messages: int
    notices: int
    delegate_cutoff: datetime
    delegates: int = Field(description="Delegates of events that ended before delegate_cutoff")
    events: int = Field(description="Events those delegates belong to")
    inquiry_cutoff: datetime
    inquiries: int = Field(description="Inquiries closed before inquiry_cutoff")
