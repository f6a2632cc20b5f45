"""The pure rules of the survey notices: no database, unit-tested directly."""

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from app.cycles.models import CycleStatus
from app.mail.models import OutboxStatus
from app.notices.schemas import NoticeState

RESEND_COOLDOWN = timedelta(hours=24)
SENDABLE_CYCLE_STATUSES = frozenset({CycleStatus.draft, CycleStatus.survey_open})


def may_send_notices(status: CycleStatus | str, closes_at: datetime | None, now: datetime) -> bool:
    """Notices invite to a survey that is still to come or running, never to a closed one."""
    if CycleStatus(status) not in SENDABLE_CYCLE_STATUSES:
        return False
    return closes_at is None or closes_at > now


def overall_state(statuses: Iterable[OutboxStatus | str]) -> NoticeState:
    seen = {OutboxStatus(s) for s in statuses}
    for status, state in ((OutboxStatus.sent, NoticeState.sent),
                          (OutboxStatus.queued, NoticeState.queued),
                          (OutboxStatus.failed, NoticeState.failed)):
        if status in seen:
            return state
    return NoticeState.none


def retry_after_seconds(last_request: datetime | None, now: datetime,
                        cooldown: timedelta = RESEND_COOLDOWN) -> int:
    """0 when a resend may be requested now, else the seconds to wait."""
    if last_request is None:
        return 0
    remaining = (last_request + cooldown - now).total_seconds()
    return max(0, math.ceil(remaining))


# --- reminders --------------------------------------------------------------------------------

SKIP_TOO_SOON = "too_soon"
SKIP_MAX_REMINDERS = "max_reminders"


def reminder_skip_reason(
    last_notice_at: datetime | None, reminders_so_far: int, now: datetime, *,
    min_interval: timedelta, max_count: int,
) -> str | None:
    """Why a reached, not-yet-answering alliance gets no reminder now (None: it gets one).

    The cap comes first (it never lifts); the interval counts from the alliance's latest notice
    of any kind, so a reminder never follows the invitation or another reminder too closely."""
    if reminders_so_far >= max_count:
        return SKIP_MAX_REMINDERS
    if last_notice_at is not None and now - last_notice_at < min_interval:
        return SKIP_TOO_SOON
    return None
