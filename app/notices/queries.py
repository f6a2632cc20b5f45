"""The read side of the notices: the Servicebüro's overview and an alliance's own status."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_
from sqlalchemy.orm import raiseload
from sqlmodel import Session, col, select

from app.alliances import service as alliances
from app.alliances.models import Alliance
from app.auth.models import User
from app.auth.principal import Principal
from app.core.db import utcnow
from app.core.pagination import PageParams, SortKey, paginate
from app.core.text import unique_addresses
from app.cycles import service as cycles
from app.cycles.models import AwardCycle
from app.mail.models import OutboxMessage, OutboxStatus
from app.notices.models import NoticeKind, SurveyNotice
from app.notices.rules import overall_state, retry_after_seconds
from app.notices.schemas import (
    AllianceNoticeRead,
    MyNoticeStatus,
    NoticeFilter,
    NoticeState,
    SurveyNoticeRead,
)
from app.surveys import eligibility
from app.surveys.models import ResponseStatus, SurveyResponse


def contact_emails(alliance: Alliance) -> list[str]:
    """Where mail to the alliance goes (notices, reminders, workgroup invitations): its
    contacts' addresses, leaving out erased contacts and those who accept no mail."""
    return unique_addresses(c.email for c in alliance.contacts
                            if c.erased_at is None and c.accepts_mail)


def notice_rows(session: Session, cycle_id: int, alliance_ids: Iterable[int] | None = None
                 ) -> list[tuple[SurveyNotice, OutboxMessage | None]]:
    query = (
        select(SurveyNotice, OutboxMessage)
        .join(OutboxMessage, col(SurveyNotice.outbox_message_id) == col(OutboxMessage.id),
              isouter=True)
        .where(SurveyNotice.cycle_id == cycle_id)
        .order_by(col(SurveyNotice.created_at), col(SurveyNotice.id))
    )
    if alliance_ids is not None:
        query = query.where(col(SurveyNotice.alliance_id).in_(list(alliance_ids)))
    return list(session.exec(query).all())


def _to_read(notice: SurveyNotice, message: OutboxMessage | None) -> SurveyNoticeRead:
    assert notice.id is not None
    queued = notice.status == OutboxStatus.queued
    return SurveyNoticeRead(
        id=notice.id, kind=NoticeKind(notice.kind), recipient=notice.recipient, channel=notice.channel, status=notice.status,
        attempts=notice.attempts, last_error=message.last_error if message else None,
        next_attempt_at=message.next_attempt_at if message and queued else None,
        requested_by=notice.requested_by, sent_at=notice.sent_at,
        created_at=notice.created_at, updated_at=notice.updated_at,
    )


@dataclass
class _Summary:
    notices: list[SurveyNoticeRead]

    @property
    def status(self) -> NoticeState:
        return overall_state(n.status for n in self.notices)

    @property
    def last_sent_at(self) -> datetime | None:
        return max((n.sent_at for n in self.notices if n.sent_at), default=None)

    @property
    def reminder_count(self) -> int:
        return reminder_count(n.created_at for n in self.notices if n.kind == NoticeKind.reminder)

    @property
    def last_notice_at(self) -> datetime | None:
        return max((n.created_at for n in self.notices), default=None)


def reminder_count(created: Iterable[datetime]) -> int:
    """One reminder call queues one notice per contact address, all with the same time: the
    number of reminders an alliance got is the number of distinct times."""
    return len(set(created))


def _summaries(session: Session, cycle_id: int, alliance_ids: Sequence[int]) -> dict[int, _Summary]:
    grouped: dict[int, list[SurveyNoticeRead]] = defaultdict(list)
    for notice, message in notice_rows(session, cycle_id, alliance_ids):
        grouped[notice.alliance_id].append(_to_read(notice, message))
    return {alliance_id: _Summary(grouped.get(alliance_id, [])) for alliance_id in alliance_ids}


def _has_notice(cycle_id: int, *statuses: OutboxStatus) -> Any:
    condition = exists().where(
        col(SurveyNotice.cycle_id) == cycle_id, col(SurveyNotice.alliance_id) == col(Alliance.id)
    )
    if statuses:
        condition = condition.where(col(SurveyNotice.status).in_(statuses))
    return condition


def submitted_condition(cycle_id: int) -> Any:
    """True for an ``Alliance`` row with a submitted response in the cycle."""
    return exists().where(
        col(SurveyResponse.cycle_id) == cycle_id,
        col(SurveyResponse.alliance_id) == col(Alliance.id),
        col(SurveyResponse.status) == ResponseStatus.submitted,
    )


def not_answered_condition(cycle_id: int) -> Any:
    """Eligible, reached (a notice was delivered) and no submitted response."""
    return and_(eligibility.eligible_condition(), _has_notice(cycle_id, OutboxStatus.sent),
                ~submitted_condition(cycle_id))


def filtered_alliances(cycle_id: int, status: NoticeFilter | None, state: str | None) -> Any:
    """``select(Alliance)`` for the overview, its CSV export and the reminders alike."""
    # Partners and contacts are not shown here: skip the eager loads.
    query = select(Alliance).options(raiseload("*"))
    if status == NoticeFilter.missing:
        query = query.where(eligibility.eligible_condition(), ~_has_notice(cycle_id, OutboxStatus.sent))
    elif status == NoticeFilter.not_answered:
        query = query.where(not_answered_condition(cycle_id))
    elif status is not None:
        query = query.where(_has_notice(cycle_id, OutboxStatus(status.value)))
    else:
        query = query.where(or_(eligibility.eligible_condition(), _has_notice(cycle_id)))
    if state:
        query = query.where(Alliance.state == state)
    return query


def overview_items(session: Session, cycle_id: int, rows: Sequence[Alliance]) -> list[AllianceNoticeRead]:
    ids = [a.id for a in rows if a.id is not None]
    eligible = eligibility.eligible_among(session, set(ids))
    summaries = _summaries(session, cycle_id, ids)
    items = []
    for alliance in rows:
        assert alliance.id is not None
        summary = summaries[alliance.id]
        items.append(AllianceNoticeRead(
            alliance_id=alliance.id, alliance_name=alliance.name, state=alliance.state,
            alliance_status=alliance.status, eligible=alliance.id in eligible,
            reached=summary.status == NoticeState.sent, status=summary.status,
            last_sent_at=summary.last_sent_at, reminder_count=summary.reminder_count,
            notices=summary.notices,
        ))
    return items


def list_notices(
    session: Session, cycle_ref: str, params: PageParams, *, status: NoticeFilter | None = None,
    state: str | None = None,
) -> tuple[list[AllianceNoticeRead], str | None, int | None]:
    """Alliances and their notices. ``missing``: eligible, and no notice delivered yet;
    ``not_answered``: reached, and no submitted response;
    ``queued``/``sent``/``failed``: alliances with at least one notice in that status;
    no filter: every eligible alliance plus any other that got a notice in this cycle."""
    cycle = cycles.get_cycle(session, cycle_ref)
    assert cycle.id is not None
    rows, cursor, total = paginate(
        session, filtered_alliances(cycle.id, status, state),
        SortKey(col(Alliance.name), col(Alliance.id)), params,
        value_of=lambda a: a.name, id_of=lambda a: a.id,
    )
    return overview_items(session, cycle.id, rows), cursor, total


def last_self_request(session: Session, cycle_id: int, alliance_id: int) -> datetime | None:
    """When a person of this alliance last asked for a resend in this cycle."""
    actors = [f"user:{uid}" for uid in session.exec(
        select(User.id).where(User.alliance_id == alliance_id)
    ).all()]
    if not actors:
        return None
    last: datetime | None = session.exec(
        select(func.max(SurveyNotice.created_at)).where(
            SurveyNotice.cycle_id == cycle_id, SurveyNotice.alliance_id == alliance_id,
            col(SurveyNotice.requested_by).in_(actors),
        )
    ).one()
    return last


def my_status(session: Session, cycle: AwardCycle, alliance: Alliance, now: datetime) -> MyNoticeStatus:
    assert cycle.id is not None and alliance.id is not None
    summary = _summaries(session, cycle.id, [alliance.id])[alliance.id]
    last = last_self_request(session, cycle.id, alliance.id)
    wait = retry_after_seconds(last, now)
    return MyNoticeStatus(
        cycle_key=cycle.key, alliance_id=alliance.id, alliance_name=alliance.name,
        eligible=eligibility.is_eligible(session, alliance.id),
        reached=summary.status == NoticeState.sent, status=summary.status,
        last_sent_at=summary.last_sent_at, notices=summary.notices,
        contact_emails=contact_emails(alliance),
        resend_available_at=now + timedelta(seconds=wait) if wait and last else None,
    )


def my_notices(session: Session, cycle_ref: str, principal: Principal) -> MyNoticeStatus:
    assert principal.alliance_id is not None
    cycle = cycles.get_cycle(session, cycle_ref)
    alliance = alliances.get_alliance(session, principal.alliance_id)
    return my_status(session, cycle, alliance, utcnow())
