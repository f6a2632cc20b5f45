from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

PersonKind = Literal["contact", "user"]


class ContactData(BaseModel):
    id: int
    name: str
    function: str | None
    email: str | None
    phone: str | None
    erased_at: datetime | None


class UserData(BaseModel):
    id: int
    email: str
    full_name: str
    role: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    erased_at: datetime | None


class NoticeData(BaseModel):
    id: int
    cycle_id: int
    recipient: str
    status: str
    sent_at: datetime | None


class PersonalDataExport(BaseModel):
    """Everything held about the people of one alliance (GDPR Art. 15)."""

    alliance_id: int
    generated_at: datetime
    contacts: list[ContactData]
    users: list[UserData]
    notices: list[NoticeData] = Field(description="Survey notices sent to the alliance's people")


class ErasureResult(BaseModel):
    kind: PersonKind
    id: int
    erased_at: datetime
    notices_anonymised: int
    messages_anonymised: int


class RetentionReport(BaseModel):
    dry_run: bool
    cutoff: datetime
    messages: int
    notices: int
