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
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, func, select

from app.alliances import service as alliances
from app.alliances.models import Alliance
from app.auth.principal import Principal
from app.awards.models import Award
from app.awards.service import seal_holder_ids_query
from app.core.db import columns_of, utcnow
from app.cycles.models import AwardCycle
from app.questionnaire.models import Question
from app.questionnaire.rules import score
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


def finish_submit(session: Session, response: SurveyResponse, alliance: Alliance,
                  questions: list[Question], actor: str) -> None:
    """Freeze a claimed draft: store the activity score, and the Bündnisfinder consent."""
    result = score(questions, response.answers)
    now = utcnow()
    response.status = ResponseStatus.submitted
    response.activity_score = result.total
    response.score_breakdown = result.breakdown
    response.submitted_at, response.submitted_by, response.updated_at = now, actor, now
    session.flush()
    add_revision(session, response, "submit", actor)
    if response.wants_finder_listing is not None:
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


def sealed_alliances(session: Session, alliance_ids: Iterable[int]) -> set[int]:
    ids = list(set(alliance_ids))
    if not ids:
        return set()
    return set(session.exec(seal_holder_ids_query().where(col(Award.alliance_id).in_(ids))).all())


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
