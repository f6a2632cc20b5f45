"""Reading and writing responses inside a service's transaction (helpers flush, never commit),
and the guard against concurrent writers.

Writes to an existing response first *claim* it: a conditional UPDATE that bumps the version
only if status and version are still what was read. Of two concurrent writers exactly one
wins; the other raises ``LostRace`` (PostgreSQL: no row matched) or SQLite reports its stale
snapshot, and ``retrying`` runs the whole write again from a fresh read, where the loser meets
the new state (e.g. 409 ``response_submitted``).
"""

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, func, select

from app.alliances import service as alliances
from app.alliances.models import Alliance
from app.audit import recorder
from app.auth.principal import Principal
from app.awards.models import Award
from app.awards.service import seal_holder_ids_query
from app.core.bulk import driver_converter, insert_rows, json_text, one_of
from app.core.db import columns_of, table_of, utcnow
from app.cycles.models import AwardCycle
from app.questionnaire.models import Question
from app.questionnaire.rules import ScoringPlan, score
from app.surveys.eligibility import ineligibility_reason
from app.surveys.exceptions import NotEligible, ResponseBusy, SurveyClosed
from app.surveys.models import (
    ResponseMode,
    ResponseRevision,
    ResponseStatus,
    SurveyResponse,
)
from app.surveys.rules import CONTENT_FIELDS, closed_reason, normalised
from app.surveys.schemas import ResponseRead
from app.webhooks import service as webhooks
from app.webhooks.events import EventType, ResponseEventData

T = TypeVar("T")
MAX_ATTEMPTS = 5


def content_of(response: SurveyResponse) -> dict[str, Any]:
    return normalised({name: getattr(response, name) for name in CONTENT_FIELDS})


class LostRace(Exception):
    """Another transaction changed the response first; roll back and run again."""


def is_lock_error(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def retrying(session: Session, attempt: Callable[[], T]) -> T:
    """Run a write, again from a fresh read if it lost a race (a concurrent claim, a duplicate
    insert, or SQLite's stale snapshot). Domain errors pass through unchanged."""
    for n in range(MAX_ATTEMPTS):
        try:
            return attempt()
        except (LostRace, IntegrityError):
            pass
        except OperationalError as exc:
            if not is_lock_error(exc):
                raise
        session.rollback()
        time.sleep(0.02 * 2**n)
    raise ResponseBusy("The response is being changed by another request; try again.")


def claim(session: Session, response: SurveyResponse, expected: ResponseStatus) -> None:
    """Lock the row for this write: bump the version only if status and version are still
    what we read. Exactly one of two concurrent claims succeeds."""
    result = session.connection().execute(
        update(SurveyResponse)
        .where(col(SurveyResponse.id) == response.id,
               col(SurveyResponse.version) == response.version,
               col(SurveyResponse.status) == expected)
        .values(version=response.version + 1)
    )
    if result.rowcount != 1:
        raise LostRace
    response.version += 1


def add_revision(session: Session, response: SurveyResponse, action: str, actor: str,
                 reason: str | None = None) -> None:
    assert response.id is not None
    last = session.exec(
        select(func.max(ResponseRevision.revision)).where(ResponseRevision.response_id == response.id)
    ).one()
    session.add(ResponseRevision(
        response_id=response.id, revision=(last or 0) + 1, action=action,
        answers=dict(response.answers), mode=response.mode, actor=actor, reason=reason,
    ))


def write_content(session: Session, response: SurveyResponse | None, *, cycle_id: int,
                  alliance_id: int, content: dict[str, Any], mode: ResponseMode, actor: str,
                  action: str) -> SurveyResponse:
    """Create the response or overwrite a claimed draft with ``content``; adds a revision."""
    if response is None:
        response = SurveyResponse(cycle_id=cycle_id, alliance_id=alliance_id, mode=mode,
                                  entered_by=actor)
        session.add(response)
    for name, value in content.items():
        setattr(response, name, dict(value) if name == "answers" else value)
    response.mode, response.entered_by, response.updated_at = mode, actor, utcnow()
    session.flush()
    add_revision(session, response, action, actor)
    return response


def finish_submit(session: Session, response: SurveyResponse, alliance: Alliance | int,
                  questions: list[Question], actor: str) -> None:
    """Freeze a claimed draft: store the activity score, and the Bündnisfinder consent
    (``alliance`` may be its id: it is loaded only when the consent is given)."""
    result = score(questions, response.answers)
    now = utcnow()
    response.status = ResponseStatus.submitted
    response.activity_score = result.total
    response.score_breakdown = result.breakdown
    response.submitted_at, response.submitted_by, response.updated_at = now, actor, now
    session.flush()
    add_revision(session, response, "submit", actor)
    if response.wants_finder_listing is not None:
        if isinstance(alliance, int):
            alliance = alliances.get_alliance(session, alliance)
        alliances.apply_update(session, alliance, {"listed_in_finder": response.wants_finder_listing})
    emit_response_event(session, EventType.response_submitted, response)


def emit_response_event(session: Session, event_type: str, response: SurveyResponse) -> None:
    """Queue the webhook for a submitted or reopened response (same transaction)."""
    assert response.id is not None
    cycle = session.get(AwardCycle, response.cycle_id)
    assert cycle is not None
    webhooks.emit(session, event_type, ResponseEventData(
        response_id=response.id, alliance_id=response.alliance_id, cycle_key=cycle.key,
        occurred_at=response.updated_at))


@dataclass(frozen=True)
class NewResponse:
    """A response to create in bulk: its alliance, its (normalised) content, and whether it is
    submitted at once."""

    alliance_id: int
    content: dict[str, Any]
    submit: bool


_RESPONSE_COLUMNS = (
    "cycle_id", "alliance_id", "status", "answers", "wants_future_project", "wants_seal",
    "reported_status", "wants_finder_listing", "mode", "entered_by", "activity_score",
    "score_breakdown", "submitted_at", "submitted_by", "reopened_reason", "version",
    "created_at", "updated_at",
)
_REVISION_COLUMNS = ("response_id", "revision", "action", "answers", "mode", "actor", "reason",
                     "created_at")


def create_many(session: Session, items: Sequence[NewResponse], *, cycle_id: int,
                questions: list[Question], mode: ResponseMode, actor: str,
                action: str) -> list[tuple[int, ResponseStatus]]:
    """Create responses as ``write_content`` (and ``finish_submit`` for submitted ones) would,
    with one executemany for the responses and one for their revisions instead of two
    flushes per row; each answer set is serialised to JSON once, for the response and its
    revisions. The audit trail gets the event the after_flush hook writes for each inserted
    row (a response submitted at once is inserted once, so its create event carries the
    submitted state); a concurrent insert of the same alliance raises IntegrityError, which
    ``retrying`` turns into a fresh attempt. Returns each response's id and status, in the
    order of ``items``. The Bündnisfinder consent of a submission is the caller's to apply
    (``alliances.apply_update``)."""
    if not items:
        return []
    table = table_of(SurveyResponse)
    connection = session.connection()
    stamp = driver_converter(table.c.created_at, connection.dialect)
    plan = ScoringPlan(questions)
    created = utcnow()
    submitted = utcnow()
    created_db, submitted_db = stamp(created), stamp(submitted)
    finals: list[dict[str, Any]] = []
    rows: list[tuple[Any, ...]] = []
    answers_json: list[str] = []
    for item in items:
        answers = dict(item.content["answers"])
        final = {
            "cycle_id": cycle_id, "alliance_id": item.alliance_id, "status": ResponseStatus.draft,
            **item.content, "answers": answers, "mode": mode, "entered_by": actor,
            "activity_score": None, "score_breakdown": [], "submitted_at": None,
            "submitted_by": None, "reopened_reason": None, "version": 1,
            "created_at": created, "updated_at": created,
        }
        if item.submit:
            result = plan.score(answers)
            final.update(status=ResponseStatus.submitted, activity_score=result.total,
                         score_breakdown=result.breakdown, submitted_at=submitted,
                         submitted_by=actor, updated_at=submitted)
        finals.append(final)
        answers_json.append(json_text(answers))
        rows.append((
            cycle_id, item.alliance_id, final["status"].value, answers_json[-1],
            final["wants_future_project"], final["wants_seal"], final["reported_status"],
            final["wants_finder_listing"], mode.value, actor, final["activity_score"],
            json_text(final["score_breakdown"]), submitted_db if item.submit else None,
            final["submitted_by"], None, 1, created_db,
            submitted_db if item.submit else created_db,
        ))
    # A plain executemany and one SELECT of the new ids (one response per alliance and cycle)
    # beat INSERT … RETURNING, which SQLAlchemy renders as one huge multi-row statement.
    insert_rows(connection, table, _RESPONSE_COLUMNS, rows)
    ids: dict[int, int] = dict(connection.execute(
        select(table.c.alliance_id, table.c.id).where(
            table.c.cycle_id == cycle_id,
            one_of(table.c.alliance_id, [i.alliance_id for i in items], connection.dialect))
    ).all())
    revisions: list[tuple[Any, ...]] = []
    for final, answers_text in zip(finals, answers_json, strict=True):
        final["id"] = ids[final["alliance_id"]]
        revisions.append((final["id"], 1, action, answers_text, mode.value, actor, None, created_db))
        if final["status"] == ResponseStatus.submitted:
            revisions.append((final["id"], 2, "submit", answers_text, mode.value, actor, None,
                              submitted_db))
    insert_rows(connection, table_of(ResponseRevision), _REVISION_COLUMNS, revisions)
    recorder.record_created(session, table, finals)
    submitted_now = [final for final in finals if final["status"] == ResponseStatus.submitted]
    if submitted_now:
        cycle = session.get(AwardCycle, cycle_id)
        assert cycle is not None
        webhooks.emit_many(session, EventType.response_submitted, [ResponseEventData(
            response_id=final["id"], alliance_id=final["alliance_id"], cycle_key=cycle.key,
            occurred_at=final["updated_at"]) for final in submitted_now])
    return [(final["id"], final["status"]) for final in finals]


def sealed_alliances(session: Session, alliance_ids: Iterable[int]) -> set[int]:
    ids = list(set(alliance_ids))
    if not ids:
        return set()
    return set(session.exec(seal_holder_ids_query().where(
        one_of(col(Award.alliance_id), ids, session.connection().dialect))).all())


def ensure_writable(cycle: AwardCycle, principal: Principal) -> None:
    reason = closed_reason(cycle.status, cycle.opens_at, cycle.closes_at, utcnow(),
                           admin=principal.is_admin)
    if reason:
        raise SurveyClosed(reason)


def ensure_eligible(session: Session, alliance: Alliance) -> None:
    assert alliance.id is not None
    reason = ineligibility_reason(alliance.status, alliance.id in sealed_alliances(session, [alliance.id]))
    if reason:
        raise NotEligible(reason)


def find_response(session: Session, cycle_id: int, alliance_id: int) -> SurveyResponse | None:
    return session.exec(
        select(SurveyResponse).where(SurveyResponse.cycle_id == cycle_id,
                                     SurveyResponse.alliance_id == alliance_id)
    ).first()


def to_read(response: SurveyResponse, alliance: Alliance, cycle: AwardCycle) -> ResponseRead:
    return ResponseRead(**columns_of(response), cycle_key=cycle.key, alliance_name=alliance.name,
                        alliance_slug=alliance.slug)
