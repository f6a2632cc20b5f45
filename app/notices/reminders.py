"""Survey reminders (Erinnerungen): a second nudge to alliances that were reached but have not
submitted, recorded as notices of kind ``reminder`` in the same notice history.

The Servicebüro sends them by hand (``POST …/notices:remind``); with
``BUENDNIS_REMINDERS_AUTOMATIC`` the worker sends what is due in every open survey, by the same
rules.

Rules (settings ``BUENDNIS_REMINDER_MIN_INTERVAL_DAYS`` and ``BUENDNIS_REMINDER_MAX_COUNT``):
only while the survey accepts answers; only eligible alliances with a delivered notice and no
submitted response; not within the interval after the alliance's latest notice or reminder;
at most the maximum number of reminders per alliance and cycle. A retry right after a call
finds everyone "too soon", so repeating the request never sends twice.
"""

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.auth.principal import Principal
from app.core import links
from app.core.config import get_settings
from app.core.db import utcnow
from app.cycles import service as cycles
from app.cycles.models import AwardCycle
from app.mail.models import OutboxStatus
from app.notices import texts
from app.notices.exceptions import RemindersClosed
from app.notices.models import NoticeKind, SurveyNotice
from app.notices.queries import (
    contact_emails,
    not_answered_condition,
    notice_rows,
    reminder_count,
)
from app.notices.rules import reminder_skip_reason
from app.notices.schemas import (
    QueuedAlliance,
    ReminderReport,
    ReminderSkipReason,
    SkippedAlliance,
)
from app.notices.service import queue_messages


def render_reminder(cycle: AwardCycle, alliance: Alliance) -> tuple[str, str]:
    link = links.survey_url(cycle.slug)
    body = texts.reminder_body(alliance_name=alliance.name, cycle_key=cycle.key,
                               seal_title=cycle.seal_title, closes_at=cycle.closes_at, link=link)
    return texts.reminder_subject(cycle.key, cycle.seal_title), body


def _open_cycle(session: Session, cycle_ref: str, now: datetime) -> AwardCycle:
    cycle = cycles.get_cycle(session, cycle_ref)
    # One reminder call per cycle at a time: a double click cannot remind twice.
    session.exec(select(AwardCycle.id).where(AwardCycle.id == cycle.id).with_for_update()).one()
    if not cycles.accepting_answers(cycle, now):
        raise RemindersClosed(
            f"The survey of cycle {cycle.key} does not take answers now (status "
            f"{cycle.status}); reminders are sent only while the survey window is open.",
        )
    return cycle


def send_reminders(session: Session, cycle_ref: str, dry_run: bool,
                   principal: Principal) -> ReminderReport:
    return remind(session, cycle_ref, dry_run, principal.actor)


def remind_open_cycles(session: Session, actor: str = "system:worker") -> list[ReminderReport]:
    """The worker's job (``BUENDNIS_REMINDERS_AUTOMATIC``): the same call as the Servicebüro's,
    for every cycle whose survey takes answers now; the interval and the cap keep it from
    reminding anyone more often than by hand, and the cycle lock keeps two workers apart."""
    now = utcnow()
    open_cycles = [cycle.slug for cycle in session.exec(
        select(AwardCycle).order_by(col(AwardCycle.id))).all()
        if cycles.accepting_answers(cycle, now)]
    return [remind(session, slug, dry_run=False, actor=actor) for slug in open_cycles]


def remind(session: Session, cycle_ref: str, dry_run: bool, actor: str) -> ReminderReport:
    settings = get_settings()
    interval = timedelta(days=settings.reminder_min_interval_days)
    now = utcnow()
    cycle = _open_cycle(session, cycle_ref, now)
    assert cycle.id is not None
    targets = list(session.exec(
        select(Alliance).where(not_answered_condition(cycle.id))
        .order_by(col(Alliance.name), col(Alliance.id))
    ).all())
    history: dict[int, list[SurveyNotice]] = {}
    for notice, _ in notice_rows(session, cycle.id, [a.id for a in targets if a.id is not None]):
        history.setdefault(notice.alliance_id, []).append(notice)

    plan: list[tuple[Alliance, list[str]]] = []
    skipped: list[SkippedAlliance] = []
    for alliance in targets:
        assert alliance.id is not None
        notices = history.get(alliance.id, [])
        last = max((n.created_at for n in notices), default=None)
        reminded = reminder_count(n.created_at for n in notices if n.kind == NoticeKind.reminder)
        reason = reminder_skip_reason(last, reminded, now, min_interval=interval,
                                      max_count=settings.reminder_max_count)
        recipients = contact_emails(alliance)
        in_flight = {n.recipient.lower() for n in notices if n.status == OutboxStatus.queued}
        if reason is None and not recipients:
            reason = ReminderSkipReason.no_contact_email.value
        elif reason is None and all(r.lower() in in_flight for r in recipients):
            reason = ReminderSkipReason.in_progress.value
        if reason is not None:
            skipped.append(SkippedAlliance(
                id=alliance.id, name=alliance.name, reason=ReminderSkipReason(reason),
                next_possible_at=last + interval
                if reason == ReminderSkipReason.too_soon and last else None,
            ))
            continue
        plan.append((alliance, recipients))

    queued: dict[int, list[SurveyNotice]] = {}
    if not dry_run:
        queued = queue_messages(session, cycle, plan, actor, NoticeKind.reminder,
                                render_reminder)
        session.commit()
    counts = {reason: 0 for reason in ReminderSkipReason}
    for entry in skipped:
        counts[entry.reason] += 1
    return ReminderReport(
        cycle_key=cycle.key, dry_run=dry_run, considered=len(targets),
        reminders_queued=sum(len(r) for _, r in plan),
        reminded=[
            QueuedAlliance(id=alliance.id or 0, name=alliance.name, recipients=recipients,
                           notice_ids=[n.id for n in queued.get(alliance.id or 0, [])
                                       if n.id is not None])
            for alliance, recipients in plan
        ],
        skipped_counts=counts, skipped=skipped,
        min_interval_days=settings.reminder_min_interval_days,
        max_reminders=settings.reminder_max_count,
    )
