"""The numbers of a cycle: who was asked, reached, answered, met the criteria, was awarded —
in total, by Land and by how the responses were entered.

Four aggregate queries (GROUP BY Land, and mode where it applies), whatever the number of
alliances: the eligible alliances with their notices, the responses, the latest evaluation
run's results and the awards. Eligibility is the shared rule of ``app.surveys.eligibility``
(the notices overview counts "missing" alliances the same way), with one addition for the
cycle's own seal: an alliance awarded in this cycle was asked and answered, so it stays
counted as eligible here instead of dropping out of the funnel once its award is confirmed.
The numbers are a snapshot as of now: an alliance dissolved after it answered still counts as
having responded, but no longer as eligible.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from app.alliances.models import Alliance
from app.alliances.states import STATE_NAMES
from app.awards.models import Award, AwardStatus
from app.core.db import utcnow
from app.cycles.models import AwardCycle
from app.cycles.service import get_cycle
from app.evaluation import queries as evaluation
from app.evaluation.models import Evaluation, EvaluationRun
from app.events.models import (
    Attendance,
    DelegateStatus,
    Event,
    EventDelegate,
    EventKind,
    EventStatus,
)
from app.mail.models import OutboxStatus
from app.notices.models import SurveyNotice
from app.reports.schemas import (
    CycleStatistics,
    FutureProjectEvents,
    ModeStatistics,
    StateStatistics,
    StatisticsCounts,
    StatisticsCycle,
)
from app.surveys import eligibility
from app.surveys.models import ResponseMode, ResponseStatus, SurveyResponse

Tally = Mapping[str, Counter[str]]
COUNT_FIELDS = tuple(StatisticsCounts.model_fields)
MODE_FIELDS = tuple(name for name in ModeStatistics.model_fields if name != "mode")


# --- conditions ---------------------------------------------------------------------------------

def awarded_in_cycle(cycle_id: int) -> ColumnElement[bool]:
    """True for an ``Alliance`` row holding a confirmed award of this cycle (correlated)."""
    return exists().where(
        col(Award.alliance_id) == col(Alliance.id), col(Award.cycle_id) == cycle_id,
        col(Award.status) == AwardStatus.confirmed,
    )


def eligible_in_cycle(cycle_id: int) -> ColumnElement[bool]:
    """The shared eligibility rule, keeping alliances whose seal is this cycle's own."""
    return or_(eligibility.eligible_condition(), awarded_in_cycle(cycle_id))


def notice_sent(cycle_id: int) -> ColumnElement[bool]:
    """True for an ``Alliance`` row with at least one sent survey notice of this cycle."""
    return exists().where(
        col(SurveyNotice.alliance_id) == col(Alliance.id), col(SurveyNotice.cycle_id) == cycle_id,
        col(SurveyNotice.status) == OutboxStatus.sent,
    )


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# --- the four queries ---------------------------------------------------------------------------

def _count_reach(session: Session, cycle_id: int, states: dict[str, Counter[str]]) -> None:
    rows = session.exec(
        select(col(Alliance.state), func.count(), _count_if(notice_sent(cycle_id)))
        .where(eligible_in_cycle(cycle_id))
        .group_by(col(Alliance.state))
    ).all()
    for state, eligible, notified in rows:
        states[state].update(eligible=int(eligible), notified=int(notified),
                             not_reached=int(eligible) - int(notified))


def _count_responses(
    session: Session, cycle_id: int, states: dict[str, Counter[str]], modes: dict[str, Counter[str]],
) -> None:
    rows = session.execute(
        sa_select(col(Alliance.state), col(SurveyResponse.mode), col(SurveyResponse.status),
               col(SurveyResponse.wants_future_project), func.count())
        .select_from(SurveyResponse)
        .join(Alliance, col(Alliance.id) == col(SurveyResponse.alliance_id))
        .where(col(SurveyResponse.cycle_id) == cycle_id)
        .group_by(col(Alliance.state), col(SurveyResponse.mode), col(SurveyResponse.status),
                  col(SurveyResponse.wants_future_project))
    ).all()
    for state, mode, status, wants_future_project, n in rows:
        counts = Counter(responded=n)
        if status == ResponseStatus.submitted:
            counts["submitted"] = n
            if wants_future_project is True:
                counts["wants_future_project"] = n
        states[state].update(counts)
        modes[mode].update(counts)


def _count_evaluations(
    session: Session, run_id: int, states: dict[str, Counter[str]], modes: dict[str, Counter[str]],
) -> None:
    rows = session.exec(
        select(col(Alliance.state), col(SurveyResponse.mode), func.count(),
               _count_if(col(Evaluation.invited_to_future_project).is_(True)))
        .select_from(Evaluation)
        .join(Alliance, col(Alliance.id) == col(Evaluation.alliance_id))
        .join(SurveyResponse, col(SurveyResponse.id) == col(Evaluation.response_id))
        .where(col(Evaluation.run_id) == run_id, col(Evaluation.meets_criteria).is_(True))
        .group_by(col(Alliance.state), col(SurveyResponse.mode))
    ).all()
    for state, mode, meeting, invited in rows:
        counts = Counter(meeting_criteria=int(meeting), invited_to_future_project=int(invited))
        states[state].update(counts)
        modes[mode].update(counts)


def _count_awards(
    session: Session, cycle_id: int, states: dict[str, Counter[str]], modes: dict[str, Counter[str]],
) -> None:
    rows = session.exec(
        select(col(Alliance.state), col(SurveyResponse.mode), func.count())
        .select_from(Award)
        .join(Alliance, col(Alliance.id) == col(Award.alliance_id))
        .outerjoin(SurveyResponse, and_(col(SurveyResponse.cycle_id) == col(Award.cycle_id),
                                        col(SurveyResponse.alliance_id) == col(Award.alliance_id)))
        .where(col(Award.cycle_id) == cycle_id, col(Award.status) == AwardStatus.confirmed)
        .group_by(col(Alliance.state), col(SurveyResponse.mode))
    ).all()
    for state, mode, n in rows:
        states[state]["awarded"] += n
        if mode is not None:  # an award added by hand may have no response
            modes[mode]["awarded"] += n


FUTURE_PROJECT_KINDS = (EventKind.exchange, EventKind.workshop, EventKind.dialogue)


def _count_event_participation(session: Session, cycle_id: int) -> FutureProjectEvents:
    """Distinct alliances over the cycle's Projekt Zukunft events (not cancelled): one query."""
    registered = col(EventDelegate.status) == DelegateStatus.registered
    attended = and_(registered, col(EventDelegate.attendance) == Attendance.attended)
    row = session.exec(
        select(func.count(func.distinct(col(Event.id))),
               func.count(func.distinct(case((registered, col(EventDelegate.alliance_id))))),
               func.count(func.distinct(case((attended, col(EventDelegate.alliance_id))))))
        .select_from(Event)
        .outerjoin(EventDelegate, col(EventDelegate.event_id) == col(Event.id))
        .where(col(Event.cycle_id) == cycle_id, col(Event.kind).in_(FUTURE_PROJECT_KINDS),
               col(Event.status) == EventStatus.published)).one()
    return FutureProjectEvents(events=int(row[0]), alliances_registered=int(row[1]),
                               alliances_attended=int(row[2]))


# --- shaping ------------------------------------------------------------------------------------

def assemble(cycle: AwardCycle, run: EvaluationRun | None, states: Tally, modes: Tally,
             events: FutureProjectEvents | None = None) -> CycleStatistics:
    """The report from the tallies: totals over every state seen (also one outside the 16, so
    the totals never lose a row), all 16 Länder in official order, and the four modes."""
    assert cycle.id is not None
    totals: Counter[str] = Counter()
    for counts in states.values():
        totals.update(counts)
    empty: Counter[str] = Counter()
    return CycleStatistics(
        cycle=StatisticsCycle(id=cycle.id, key=cycle.key, slug=cycle.slug, status=cycle.status),
        evaluation_run_id=run.id if run is not None else None,
        evaluated_at=run.created_at if run is not None else None,
        generated_at=utcnow(),
        totals=StatisticsCounts(**{name: totals[name] for name in COUNT_FIELDS}),
        by_state=[
            StateStatistics(state=code, name=name,
                            **{field: states.get(code, empty)[field] for field in COUNT_FIELDS})
            for code, name in STATE_NAMES.items()
        ],
        by_mode=[
            ModeStatistics(mode=mode, **{field: modes.get(mode.value, empty)[field]
                                         for field in MODE_FIELDS})
            for mode in ResponseMode
        ],
        future_project_events=events or FutureProjectEvents(
            events=0, alliances_registered=0, alliances_attended=0),
    )


def cycle_statistics(session: Session, cycle_ref: str) -> CycleStatistics:
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    run = evaluation.latest_run(session, cycle.id)
    states: dict[str, Counter[str]] = defaultdict(Counter)
    modes: dict[str, Counter[str]] = defaultdict(Counter)
    _count_reach(session, cycle.id, states)
    _count_responses(session, cycle.id, states, modes)
    if run is not None and run.id is not None:
        _count_evaluations(session, run.id, states, modes)
    _count_awards(session, cycle.id, states, modes)
    return assemble(cycle, run, states, modes, _count_event_participation(session, cycle.id))
