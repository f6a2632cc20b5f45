"""Survey notices, the write side: queuing for the Servicebüro and the alliance's resend.

A request only queues (outbox rows plus one ``SurveyNotice`` per recipient, in one commit);
the mail dispatcher delivers, and ``app.notices.tracking`` keeps each notice's status in step
with its message.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from app.alliances import service as alliances
from app.alliances.models import Alliance
from app.auth.principal import Principal
from app.core import links
from app.core.db import utcnow
from app.core.errors import TooManyRequests, field_error
from app.cycles import service as cycles
from app.cycles.models import AwardCycle
from app.mail import outbox
from app.mail.models import OutboxMessage, OutboxStatus
from app.notices import texts
from app.notices.exceptions import (
    NoContactEmail,
    NotEligible,
    NoticeInProgress,
    NoticesClosed,
)
from app.notices.models import NoticeKind, SurveyNotice
from app.notices.queries import contact_emails, last_self_request, my_status, notice_rows
from app.notices.rules import may_send_notices, retry_after_seconds
from app.notices.schemas import (
    MyNoticeStatus,
    NoticeAllianceRef,
    NoticeSendReport,
    NoticeSendRequest,
    QueuedAlliance,
)
from app.surveys import eligibility

CHANNEL_EMAIL = "email"


def _cycle_for_sending(session: Session, cycle_ref: str, now: datetime) -> AwardCycle:
    cycle = cycles.get_cycle(session, cycle_ref)
    # One sender per cycle at a time (PostgreSQL row lock; SQLite serialises writers anyway),
    # so two clicks on "send" cannot queue the same alliance twice.
    session.exec(select(AwardCycle.id).where(AwardCycle.id == cycle.id).with_for_update()).one()
    if not may_send_notices(cycle.status, cycle.closes_at, now):
        raise NoticesClosed(
            f"The survey of cycle {cycle.key} is {cycle.status}"
            + (" and closed" if cycle.closes_at and cycle.closes_at <= now else "")
            + "; notices are sent only for a draft or open survey."
        )
    return cycle


def render_notice(cycle: AwardCycle, alliance: Alliance) -> tuple[str, str]:
    link = links.survey_url(cycle.slug)
    body = texts.notice_body(
        alliance_name=alliance.name, cycle_key=cycle.key, seal_title=cycle.seal_title,
        opens_at=cycle.opens_at, closes_at=cycle.closes_at, link=link,
    )
    return texts.notice_subject(cycle.key, cycle.seal_title), body


Renderer = Callable[[AwardCycle, Alliance], tuple[str, str]]


def queue_messages(session: Session, cycle: AwardCycle, plan: list[tuple[Alliance, list[str]]],
                   actor: str, kind: NoticeKind = NoticeKind.notice,
                   render: Renderer = render_notice) -> dict[int, list[SurveyNotice]]:
    """Outbox messages and notices (of ``kind``) for every (alliance, recipients) pair; all
    share one creation time; flushes only."""
    now = utcnow()
    messages: list[tuple[Alliance, OutboxMessage]] = []
    for alliance, recipients in plan:
        subject, body = render(cycle, alliance)
        messages += [(alliance, outbox.new_message(r, subject, body, now=now)) for r in recipients]
    session.add_all([m for _, m in messages])
    session.flush()
    queued: dict[int, list[SurveyNotice]] = defaultdict(list)
    for alliance, message in messages:
        assert alliance.id is not None and cycle.id is not None
        notice = SurveyNotice(
            cycle_id=cycle.id, alliance_id=alliance.id, recipient=message.recipient,
            channel=CHANNEL_EMAIL, kind=kind, status=OutboxStatus.queued, attempts=0,
            outbox_message_id=message.id, requested_by=actor, created_at=now, updated_at=now,
        )
        session.add(notice)
        queued[alliance.id].append(notice)
    session.flush()
    return queued


_queue = queue_messages


def _ref(alliance: Alliance) -> NoticeAllianceRef:
    assert alliance.id is not None
    return NoticeAllianceRef(id=alliance.id, name=alliance.name)


# --- the Servicebüro -------------------------------------------------------------------------

def _requested_alliances(session: Session, ids: list[int]) -> list[Alliance]:
    unique = list(dict.fromkeys(ids))
    found: dict[int, Alliance] = {
        a.id: a for a in session.exec(select(Alliance).where(col(Alliance.id).in_(unique))).all()
        if a.id is not None
    }
    eligible = eligibility.eligible_among(session, set(found))
    errors = []
    for index, alliance_id in enumerate(ids):
        if alliance_id not in found:
            errors.append(field_error(["body", "alliance_ids", index],
                                      f"no alliance {alliance_id}", "not_found"))
        elif alliance_id not in eligible:
            errors.append(field_error(
                ["body", "alliance_ids", index],
                f"alliance {alliance_id} ({found[alliance_id].name}) is not eligible: "
                "it is dissolved or holds the seal", "not_eligible"))
    if errors:
        raise NotEligible(
            f"{len(errors)} of the alliances given cannot receive a survey notice.", errors=errors
        )
    return [found[i] for i in unique]


def send_notices(session: Session, cycle_ref: str, data: NoticeSendRequest,
                 principal: Principal) -> NoticeSendReport:
    now = utcnow()
    cycle = _cycle_for_sending(session, cycle_ref, now)
    assert cycle.id is not None
    if data.alliance_ids is not None:
        targets = _requested_alliances(session, data.alliance_ids)
    else:
        targets = list(session.exec(
            eligibility.eligible_alliances_query().order_by(col(Alliance.name), col(Alliance.id))
        ).all())
    sent_to: set[int] = set()
    in_flight: dict[int, set[str]] = defaultdict(set)
    for notice, _ in notice_rows(session, cycle.id):
        if notice.status == OutboxStatus.sent:
            sent_to.add(notice.alliance_id)
        elif notice.status == OutboxStatus.queued:
            in_flight[notice.alliance_id].add(notice.recipient.lower())

    plan: list[tuple[Alliance, list[str]]] = []
    already, in_progress, unreachable = [], [], []
    for alliance in targets:
        assert alliance.id is not None
        if alliance.id in sent_to and not data.resend:
            already.append(_ref(alliance))
            continue
        recipients = contact_emails(alliance)
        if not recipients:
            unreachable.append(_ref(alliance))
            continue
        fresh = [r for r in recipients if r.lower() not in in_flight[alliance.id]]
        if not fresh:
            in_progress.append(_ref(alliance))
            continue
        plan.append((alliance, fresh))

    queued = _queue(session, cycle, plan, principal.actor)
    session.commit()
    return NoticeSendReport(
        cycle_key=cycle.key,
        notices_queued=sum(len(n) for n in queued.values()),
        queued=[
            QueuedAlliance(**_ref(alliance).model_dump(), recipients=recipients,
                           notice_ids=[n.id for n in queued[alliance.id or 0] if n.id is not None])
            for alliance, recipients in plan
        ],
        already_reached=already, in_progress=in_progress, not_reachable=unreachable,
    )


# --- the alliance itself ---------------------------------------------------------------------

def resend_mine(session: Session, cycle_ref: str, principal: Principal) -> MyNoticeStatus:
    """Once per 24 hours, an alliance may have its notice sent again to its current contacts."""
    assert principal.alliance_id is not None
    now = utcnow()
    cycle = _cycle_for_sending(session, cycle_ref, now)
    alliance = alliances.get_alliance(session, principal.alliance_id)
    assert cycle.id is not None and alliance.id is not None
    if not eligibility.is_eligible(session, alliance.id):
        raise NotEligible("Your alliance is not asked in this survey: it is dissolved or "
                          "already holds the seal.")
    wait = retry_after_seconds(last_self_request(session, cycle.id, alliance.id), now)
    if wait:
        raise TooManyRequests(wait, "A resend was requested less than 24 hours ago; "
                                    "please wait before asking again.")
    recipients = contact_emails(alliance)
    if not recipients:
        raise NoContactEmail("Your alliance has no contact person with an e-mail address: "
                             "add one to the alliance record, then ask again.")
    in_flight = {n.recipient.lower() for n, _ in notice_rows(session, cycle.id, [alliance.id])
                 if n.status == OutboxStatus.queued}
    fresh = [r for r in recipients if r.lower() not in in_flight]
    if not fresh:
        raise NoticeInProgress("A notice to each of your contacts is still being delivered; "
                               "please check again later.")
    _queue(session, cycle, [(alliance, fresh)], principal.actor)
    session.commit()
    return my_status(session, cycle, alliance, now)
