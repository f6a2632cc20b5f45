from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from app.alliances.models import AllianceStatus
from app.core.ids import RowId
from app.core.schemas import ReadModel, StrictInput
from app.mail.models import OutboxStatus
from app.notices.models import NoticeKind


class NoticeState(StrEnum):
    """An alliance's notice state in one cycle: ``sent`` once any notice reached a contact,
    else ``queued`` while one is on its way, else ``failed`` if all failed, else ``none``."""

    none = "none"
    queued = "queued"
    sent = "sent"
    failed = "failed"


class NoticeFilter(StrEnum):
    """``missing``: eligible and not reached (no notice delivered); ``not_answered``: reached
    but no submitted response; the others: at least one notice in that delivery status."""

    missing = "missing"
    queued = "queued"
    sent = "sent"
    failed = "failed"
    not_answered = "not_answered"


class NoticeSendRequest(StrictInput):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{}, {"alliance_ids": [12, 40]},
                                        {"alliance_ids": [12], "resend": True}]},
    )

    alliance_ids: list[RowId] | None = Field(
        default=None, min_length=1, max_length=1000,
        description="Only these alliances (each must be eligible); default: every eligible "
        "alliance not yet reached",
    )
    resend: bool = Field(
        default=False,
        description="Send again to alliances that already received a notice in this cycle",
    )


class NoticeAllianceRef(ReadModel):
    id: int
    name: str


class QueuedAlliance(NoticeAllianceRef):
    recipients: list[str]
    notice_ids: list[int]


class NoticeSendReport(ReadModel):
    """What a send request queued; delivery happens afterwards, in the background."""

    cycle_key: str
    notices_queued: int
    queued: list[QueuedAlliance]
    already_reached: list[NoticeAllianceRef] = Field(
        description="Skipped: a notice reached them already (send with resend=true to repeat)"
    )
    in_progress: list[NoticeAllianceRef] = Field(
        description="Skipped: a notice to each of their contacts is still being delivered"
    )
    not_reachable: list[NoticeAllianceRef] = Field(
        description="No contact person with an e-mail address: add one, then send again"
    )


class SurveyNoticeRead(ReadModel):
    id: int
    kind: NoticeKind = Field(description="notice: the invitation; reminder: a reminder")
    recipient: str
    channel: str
    status: OutboxStatus
    attempts: int
    last_error: str | None = Field(description="The mail server's last answer when it failed")
    next_attempt_at: datetime | None = Field(description="While queued: the next try")
    requested_by: str
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AllianceNoticeRead(ReadModel):
    """One alliance's notices in a cycle (the Servicebüro's overview)."""

    alliance_id: int
    alliance_name: str
    state: str
    alliance_status: AllianceStatus
    eligible: bool
    reached: bool = Field(description="A notice was delivered to at least one contact")
    status: NoticeState
    last_sent_at: datetime | None
    reminder_count: int = Field(description="Reminders sent to the alliance in this cycle "
                                "(one per reminder call, whatever the number of contacts)")
    notices: list[SurveyNoticeRead]


class MyNoticeStatus(ReadModel):
    """The caller's own alliance in one cycle ("were we reached?")."""

    cycle_key: str
    alliance_id: int
    alliance_name: str
    eligible: bool
    reached: bool
    status: NoticeState
    last_sent_at: datetime | None
    notices: list[SurveyNoticeRead]
    contact_emails: list[str] = Field(description="Where a notice would go now")
    resend_available_at: datetime | None = Field(
        description="When the alliance may ask for a resend again; null: now"
    )


class ReminderSkipReason(StrEnum):
    too_soon = "too_soon"
    max_reminders = "max_reminders"
    no_contact_email = "no_contact_email"
    in_progress = "in_progress"


class SkippedAlliance(NoticeAllianceRef):
    reason: ReminderSkipReason
    next_possible_at: datetime | None = Field(
        description="too_soon: when a reminder becomes possible; otherwise null")


class ReminderReport(ReadModel):
    """What a reminder call queued (or, with dry_run, would queue), and who was skipped why.
    Only alliances that were reached and have not submitted are considered."""

    cycle_key: str
    dry_run: bool
    considered: int = Field(description="Reached alliances without a submitted response")
    reminders_queued: int = Field(description="E-mails queued (one per contact address)")
    reminded: list[QueuedAlliance]
    skipped_counts: dict[ReminderSkipReason, int] = Field(
        description="How many alliances were skipped, per reason (every reason listed)")
    skipped: list[SkippedAlliance]
    min_interval_days: int
    max_reminders: int
