"""Survey responses: drafts, submission, reopening, reading and the answer history.

Rules (the pure ones live in ``response_rules``):

* One response per alliance and cycle. Alliance users write their own alliance's response
  while the survey window is open (cycle ``survey_open`` and now within opens_at/closes_at).
  Admins (the Servicebüro) enter answers on an alliance's behalf, e.g. from a phone interview,
  and may also save and submit outside the window as long as the cycle is not yet evaluated
  (``survey_open`` or ``survey_closed``).
* Only eligible alliances answer: not dissolved, never awarded the seal (a confirmed Award in
  any cycle).
* A submitted response is frozen until an admin reopens it with a reason.
* Every save, submit, reopen and import appends a ResponseRevision (the answer history).
* Writes to an existing response first *claim* it (see ``response_store``): of two concurrent
  writers exactly one wins; the other re-reads and gets the answer that fits the new state
  (e.g. 409 ``response_submitted``).
"""

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import exists
from sqlmodel import Session, col, select

from app.alliances import service as alliances
from app.alliances.models import WITHOUT_CHILDREN, Alliance
from app.auth.principal import Principal
from app.core.db import Reader, utcnow
from app.core.errors import Forbidden, RuleViolation, field_error
from app.core.etags import check_if_match
from app.core.pagination import PageParams, SortKey, changed_after, paginate
from app.cycles.models import AwardCycle
from app.cycles.service import get_cycle
from app.questionnaire.service import questions_of
from app.surveys import reads
from app.surveys.exceptions import (
    InvalidAnswers,
    ResponseNotFound,
    ResponseNotSubmitted,
    ResponseSubmitted,
)
from app.surveys.models import (
    ResponseMode,
    ResponseRevision,
    ResponseStatus,
    SurveyResponse,
)
from app.surveys.rules import CONTENT_FIELDS, content_errors, normalised
from app.surveys.schemas import ResponseDraft, ResponseRead, ResponseRevisionRead
from app.surveys.store import (
    add_revision,
    claim,
    content_of,
    emit_response_event,
    ensure_eligible,
    ensure_writable,
    find_response,
    finish_submit,
    retrying,
    to_read,
    write_content,
)
from app.webhooks.events import EventType

SortField = Literal["id", "-id", "updated_at", "-updated_at"]


# --- who may see and write what -------------------------------------------------------------

def _pushed_by(actor: str) -> Any:
    return exists().where(col(ResponseRevision.response_id) == col(SurveyResponse.id),
                          col(ResponseRevision.actor) == actor)


def _may_read(principal: Principal, alliance_id: int) -> bool:
    """Admins read any alliance's response, alliance users their own, clients those of the
    alliances they may reach (and of those only what they pushed: ``_pushed_by``)."""
    if principal.is_client:
        return principal.may_reach_alliance(alliance_id)
    return principal.is_admin or principal.alliance_id == alliance_id


def _no_response(alliance_id: int, key: str) -> ResponseNotFound:
    # The placeholders are the German catalog's (app/locales): ``{key}``, the cycle's key.
    return ResponseNotFound(f"No response of alliance {alliance_id} in cycle {key}.")


def _target(session: Session, cycle_ref: str, alliance_id: int,
            principal: Principal) -> tuple[AwardCycle, Alliance]:
    """The cycle and the alliance a person may write for: admins any, alliance users their
    own (another alliance's response answers 404, as if it did not exist)."""
    if not principal.is_admin and principal.alliance_id != alliance_id:
        raise ResponseNotFound(f"No response of alliance {alliance_id} for you.")
    cycle = get_cycle(session, cycle_ref)
    return cycle, alliances.get_alliance(session, alliance_id)


def _readable(session: Session, cycle_ref: str, alliance_id: int,
              principal: Principal) -> tuple[AwardCycle, Alliance, SurveyResponse]:
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    missing = _no_response(alliance_id, cycle.key)
    if not _may_read(principal, alliance_id):
        raise missing
    query = select(SurveyResponse).where(SurveyResponse.cycle_id == cycle.id,
                                         SurveyResponse.alliance_id == alliance_id)
    if principal.is_client:
        query = query.where(_pushed_by(principal.actor))
    response = session.exec(query).first()
    if response is None:
        raise missing
    return cycle, alliances.get_alliance(session, alliance_id), response


def _entry_mode(draft: ResponseDraft, principal: Principal) -> ResponseMode:
    if not principal.is_admin:
        if draft.mode not in (None, ResponseMode.online):
            raise Forbidden("Only the Servicebüro enters answers in another mode than online.",
                            code="forbidden_field",
                            errors=[field_error(["body", "mode"], "admin only", "forbidden_field")])
        return ResponseMode.online
    if draft.mode == ResponseMode.online:
        raise RuleViolation("Admins enter answers as phone_interview or admin_entry.",
                            errors=[field_error(["body", "mode"], "online is for the alliance "
                                                "itself; use phone_interview or admin_entry")])
    return ResponseMode(draft.mode or ResponseMode.phone_interview)


# --- service functions ----------------------------------------------------------------------

def read_response(reader: Reader, cycle_ref: str, alliance_id: int,
                  principal: Principal) -> ResponseRead:
    """One alliance's response, from Core rows (``reads``, ``Db.read``): the answers of
    ``_readable`` and ``to_read``, with one statement instead of three ORM loads. A caller
    who may not read the alliance's response learns only whether the cycle exists."""
    if not _may_read(principal, alliance_id):
        raise _no_response(alliance_id, reads.cycle_key(reader, cycle_ref))
    key, row = reads.response_row(reader, cycle_ref, alliance_id,
                                  principal.actor if principal.is_client else None)
    if row is None:
        raise _no_response(alliance_id, key)
    return ResponseRead(**row)


def read_own_response(reader: Reader, cycle_ref: str, principal: Principal) -> ResponseRead:
    """The caller's own alliance's response (for alliance users)."""
    if principal.alliance_id is None:
        raise Forbidden("Only alliance users have an own response; use the alliance id.",
                        code="no_alliance")
    return read_response(reader, cycle_ref, principal.alliance_id, principal)


def _sort_key(sort: SortField) -> SortKey:
    name = sort.lstrip("-")
    if name == "updated_at":
        return SortKey(col(SurveyResponse.updated_at), col(SurveyResponse.id),
                       descending=sort.startswith("-"), parse=_parse_timestamp)
    return SortKey(col(SurveyResponse.id), col(SurveyResponse.id), descending=sort.startswith("-"),
                   parse=_parse_id)


def _parse_timestamp(value: Any) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("cursor timestamp without offset")
    return parsed


def _parse_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("expected an integer")
    return value


def list_responses(
    session: Session, cycle_ref: str, params: PageParams, principal: Principal, *,
    status: ResponseStatus | None = None, mode: ResponseMode | None = None,
    state: str | None = None, reported_status: str | None = None,
    wants_seal: bool | None = None, wants_future_project: bool | None = None,
    sort: SortField = "id", updated_since: datetime | None = None,
) -> tuple[list[ResponseRead], str | None, int | None]:
    """Admins see every response of the cycle; alliance users only their own; partner systems
    those of their allowed alliances that they pushed."""
    cycle = get_cycle(session, cycle_ref)
    query = changed_after(select(SurveyResponse).where(SurveyResponse.cycle_id == cycle.id),
                          col(SurveyResponse.updated_at), updated_since)
    if principal.is_client:
        query = query.where(_pushed_by(principal.actor))
        if principal.allowed_alliance_ids is not None:
            query = query.where(col(SurveyResponse.alliance_id).in_(principal.allowed_alliance_ids))
    elif not principal.is_admin:
        query = query.where(SurveyResponse.alliance_id == (principal.alliance_id or -1))
    if state:
        query = query.where(col(SurveyResponse.alliance_id).in_(
            select(Alliance.id).where(Alliance.state == state)))
    for column, value in ((SurveyResponse.status, status), (SurveyResponse.mode, mode),
                          (SurveyResponse.reported_status, reported_status),
                          (SurveyResponse.wants_seal, wants_seal),
                          (SurveyResponse.wants_future_project, wants_future_project)):
        if value is not None:
            query = query.where(col(column) == value)
    rows, cursor, total = paginate(
        session, query, _sort_key(sort), params,
        value_of=lambda r: getattr(r, sort.lstrip("-")), id_of=lambda r: r.id,
    )
    by_id = {a.id: a for a in session.exec(
        select(Alliance).options(*WITHOUT_CHILDREN).where(col(Alliance.id).in_([r.alliance_id for r in rows]))).all()}
    return [to_read(r, by_id[r.alliance_id], cycle) for r in rows], cursor, total


def save_response(session: Session, cycle_ref: str, alliance_id: int, draft: ResponseDraft,
                  if_match: str | None, principal: Principal) -> tuple[ResponseRead, bool]:
    """Save the draft (create it on first save). Returns the response and whether it was
    created. Saving identical content writes nothing."""
    mode = _entry_mode(draft, principal)
    content = normalised(draft.model_dump(include=set(CONTENT_FIELDS), mode="json"))

    def attempt() -> tuple[ResponseRead, bool]:
        cycle, alliance = _target(session, cycle_ref, alliance_id, principal)
        assert cycle.id is not None
        ensure_writable(cycle, principal)
        ensure_eligible(session, alliance)
        response = find_response(session, cycle.id, alliance_id)
        if response is not None:
            assert response.id is not None
            check_if_match(if_match, "response", response.id, response.version)
            if response.status == ResponseStatus.submitted:
                raise ResponseSubmitted("The response is submitted; the Servicebüro can reopen it.",
                                        allowed=["reopen"])
        errors = content_errors(questions_of(session, cycle.id), content, submit=False,
                                loc=("body",), answers_loc=("body", "answers"))
        if errors:
            raise InvalidAnswers(f"{len(errors)} answer(s) cannot be saved.", errors=errors)
        created = response is None
        unchanged = (response is not None and content_of(response) == content
                     and response.mode == mode and response.entered_by == principal.actor)
        if not unchanged:
            if response is not None:
                claim(session, response, ResponseStatus.draft)
            response = write_content(session, response, cycle_id=cycle.id,
                                     alliance_id=alliance_id, content=content, mode=mode,
                                     actor=principal.actor, action="save")
        assert response is not None
        session.commit()
        return to_read(response, alliance, cycle), created

    return retrying(session, attempt)


def submit_response(session: Session, cycle_ref: str, alliance_id: int, if_match: str | None,
                    principal: Principal) -> ResponseRead:
    """Submit the saved draft: every required answer and both interest declarations must be
    there. Computes and stores the activity score; the response is frozen afterwards."""

    def attempt() -> ResponseRead:
        cycle, alliance = _target(session, cycle_ref, alliance_id, principal)
        assert cycle.id is not None
        ensure_writable(cycle, principal)
        ensure_eligible(session, alliance)
        response = find_response(session, cycle.id, alliance_id)
        if response is None:
            raise ResponseNotFound("Nothing to submit: save the answers first (PUT).")
        assert response.id is not None
        check_if_match(if_match, "response", response.id, response.version)
        if response.status == ResponseStatus.submitted:
            raise ResponseSubmitted("The response is already submitted.", allowed=["reopen"])
        questions = questions_of(session, cycle.id)
        errors = content_errors(questions, content_of(response), submit=True,
                                loc=("body",), answers_loc=("body", "answers"))
        if errors:
            raise InvalidAnswers(f"{len(errors)} problem(s) prevent submission; nothing was "
                                 "submitted.", errors=errors)
        claim(session, response, ResponseStatus.draft)
        finish_submit(session, response, alliance, questions, principal.actor)
        session.commit()
        return to_read(response, alliance, cycle)

    return retrying(session, attempt)


def reopen_response(session: Session, cycle_ref: str, alliance_id: int, reason: str,
                    principal: Principal) -> ResponseRead:
    """Admins only: unfreeze a submitted response. The score is cleared until it is submitted
    again; the reason is kept on the response and in the history."""

    def attempt() -> ResponseRead:
        cycle, alliance = _target(session, cycle_ref, alliance_id, principal)
        assert cycle.id is not None
        ensure_writable(cycle, principal)
        response = find_response(session, cycle.id, alliance_id)
        if response is None:
            raise ResponseNotFound(f"Alliance {alliance_id} has no response in {cycle.key}.")
        if response.status != ResponseStatus.submitted:
            raise ResponseNotSubmitted("Only a submitted response can be reopened.",
                                       allowed=["save", "submit"])
        claim(session, response, ResponseStatus.submitted)
        response.status = ResponseStatus.draft
        response.activity_score, response.score_breakdown = None, []
        response.submitted_at = response.submitted_by = None
        response.reopened_reason, response.updated_at = reason, utcnow()
        session.flush()
        add_revision(session, response, "reopen", principal.actor, reason)
        emit_response_event(session, EventType.response_reopened, response)
        session.commit()
        return to_read(response, alliance, cycle)

    return retrying(session, attempt)


def list_history(session: Session, cycle_ref: str, alliance_id: int, params: PageParams,
                 principal: Principal) -> tuple[list[ResponseRevisionRead], str | None, int | None]:
    _, _, response = _readable(session, cycle_ref, alliance_id, principal)
    rows, cursor, total = paginate(
        session, select(ResponseRevision).where(ResponseRevision.response_id == response.id),
        SortKey(col(ResponseRevision.revision), col(ResponseRevision.id), parse=_parse_id),
        params, value_of=lambda r: r.revision, id_of=lambda r: r.id,
    )
    return [ResponseRevisionRead.model_validate(r, from_attributes=True) for r in rows], cursor, total
