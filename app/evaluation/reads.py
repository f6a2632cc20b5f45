"""The evaluation reads from Core rows: the shortlist and one alliance's result (``Db.read``).

Results come from the latest run of a cycle unless a run is named. The rows are selected as
columns with their alliance's reference joined in, the latest run's id is a subquery of the
page's statement, and the replies are validated from plain data. The ORM unit this replaced
(session, cycle and run objects, a query for the alliances) cost ~40 % of the shortlist's
worker time; what remains is mostly decoding the stored criteria results (JSON, ~0.4 ms a
page of 50) and validating the replies (~0.5 ms). The JSON is the same, byte for byte, and so
are the cursors (tests/evaluation/test_evaluation_reads.py compares them with the ORM path).

Alliance users see only their own alliance's result; for any other alliance the answer is
404, as if there were none.
"""

from collections.abc import Sequence
from functools import cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, Integer, Select, bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy.sql.selectable import ScalarSelect

from app.alliances.models import Alliance
from app.auth.principal import Principal
from app.core.db import Reader, read_rows, table_of
from app.core.errors import RuleViolation
from app.core.pagination import PageParams, keyset_after, keyset_page, parser_for
from app.core.planner import outer_first_join
from app.cycles.models import AwardCycle
from app.cycles.service import cycle_id
from app.evaluation.exceptions import EvaluationNotFound, NoOwnAlliance, RunNotFound
from app.evaluation.models import Evaluation, EvaluationRun
from app.evaluation.schemas import EvaluationRead

EvaluationSort = Literal["-activity_score", "activity_score", "alliance_id"]

_EVALUATION = table_of(Evaluation)
_RUN = table_of(EvaluationRun)
_ALLIANCE = table_of(Alliance)
_CYCLE = table_of(AwardCycle)

# A reply's columns, in the order _reply unpacks them: the evaluation's, then its alliance's.
_COLUMNS = (
    _EVALUATION.c.id, _EVALUATION.c.run_id, _EVALUATION.c.cycle_id, _EVALUATION.c.alliance_id,
    _EVALUATION.c.response_id, _EVALUATION.c.activity_score, _EVALUATION.c.meets_criteria,
    _EVALUATION.c.wants_future_project, _EVALUATION.c.invited_to_future_project,
    _EVALUATION.c.criteria_results, _EVALUATION.c.created_at,
    _ALLIANCE.c.name, _ALLIANCE.c.slug, _ALLIANCE.c.state,
)


def _latest_run_id() -> ScalarSelect[Any]:
    """The id of the cycle's (``cycle_id``) latest run; NULL before its first run."""
    return (sa_select(_RUN.c.id).where(_RUN.c.cycle_id == bindparam("cycle_id"))
            .order_by(_RUN.c.id.desc()).limit(1).scalar_subquery())


_LATEST_RUN = sa_select(_latest_run_id())
_RUN_IN_CYCLE = sa_select(_RUN.c.id).where(
    _RUN.c.id == bindparam("run_id"), _RUN.c.cycle_id == bindparam("cycle_id"))
_CYCLE_KEY = sa_select(_CYCLE.c.key).where(_CYCLE.c.id == bindparam("cycle_id"))
_ONE = (
    sa_select(*_COLUMNS)
    .select_from(outer_first_join(_EVALUATION, _ALLIANCE, _ALLIANCE.c.id == _EVALUATION.c.alliance_id))
    .where(_EVALUATION.c.run_id == _latest_run_id(),
           _EVALUATION.c.alliance_id == bindparam("alliance_id"))
)

# Each sort: its column (the cursor's first value, the id the second) and its direction.
_SORTS: dict[str, tuple[Any, bool]] = {
    "-activity_score": (_EVALUATION.c.activity_score, True),
    "activity_score": (_EVALUATION.c.activity_score, False),
    "alliance_id": (_EVALUATION.c.alliance_id, False),
}
_VALUE_AT = {"-activity_score": 5, "activity_score": 5, "alliance_id": 3}  # in _COLUMNS


_PARSERS = {sort: (parser_for(column), parser_for(_EVALUATION.c.id))
            for sort, (column, _) in _SORTS.items()}


def _terms(named_run: bool, by_meets: bool, by_invited: bool, by_state: bool,
           ) -> list[ColumnElement[bool]]:
    table = _EVALUATION.c
    terms = [table.run_id == (bindparam("run_id") if named_run else _latest_run_id())]
    if by_meets:
        terms.append(table.meets_criteria == bindparam("meets_criteria"))
    if by_invited:
        terms.append(table.invited_to_future_project == bindparam("invited"))
    if by_state:
        terms.append(_ALLIANCE.c.state == bindparam("state"))
    return terms


def _joined(by_state: bool) -> Any:
    """Evaluations with their alliances. Without a Land to filter by, SQLite must walk the
    run's evaluations in the page's order (its index) and stop after the page; filtering by
    Land, the planner chooses, as it did when only that filter joined the alliances."""
    if by_state:
        return _EVALUATION.join(_ALLIANCE, _ALLIANCE.c.id == _EVALUATION.c.alliance_id)
    return outer_first_join(_EVALUATION, _ALLIANCE, _ALLIANCE.c.id == _EVALUATION.c.alliance_id)


# Built once per shape (a named run or the latest, which filters, the sort, a cursor or not),
# the values bound per request, as the seal registry's (app/awards/registry.py).
@cache
def _page_statement(named_run: bool, by_meets: bool, by_invited: bool, by_state: bool,
                    sort: str, after_cursor: bool) -> Select[Any]:
    column, descending = _SORTS[sort]
    query = (sa_select(*_COLUMNS).select_from(_joined(by_state))
             .where(*_terms(named_run, by_meets, by_invited, by_state)))
    if after_cursor:
        query = query.where(keyset_after(
            (column, _EVALUATION.c.id), (bindparam("after_value"), bindparam("after_id")),
            descending=descending))
    if descending:
        query = query.order_by(column.desc(), _EVALUATION.c.id.desc())
    else:
        query = query.order_by(column.asc(), _EVALUATION.c.id.asc())
    return query.limit(bindparam("limit", type_=Integer))


@cache
def _count_statement(named_run: bool, by_meets: bool, by_invited: bool,
                     by_state: bool) -> Select[Any]:
    # The alliances only where their Land filters: counting needs no reference of theirs.
    joined = _joined(by_state) if by_state else _EVALUATION
    return (sa_select(func.count()).select_from(joined)
            .where(*_terms(named_run, by_meets, by_invited, by_state)))


def _reply(row: Sequence[Any]) -> EvaluationRead:
    (evaluation_id, run_id, cycle, alliance_id, response_id, activity_score, meets_criteria,
     wants_future_project, invited, criteria, created_at, name, slug, state) = row
    # One validation of the whole reply from plain data: validating each stored criterion
    # result into a model first and then the reply (which checks those models again) cost
    # twice as much on the shortlist's pages.
    return EvaluationRead.model_validate({
        "id": evaluation_id, "run_id": run_id, "cycle_id": cycle,
        "alliance": {"id": alliance_id, "name": name, "slug": slug, "state": state},
        "response_id": response_id, "activity_score": activity_score,
        "meets_criteria": meets_criteria, "wants_future_project": wants_future_project,
        "invited_to_future_project": invited, "criteria": criteria, "evaluated_at": created_at,
    })


def _has_run(reader: Reader, cycle: int) -> bool:
    return read_rows(reader, _LATEST_RUN, {"cycle_id": cycle}).scalar() is not None


def list_evaluations(
    reader: Reader, cycle_ref: str, params: PageParams, *, meets_criteria: bool | None = None,
    invited: bool | None = None, state: str | None = None, run_id: int | None = None,
    sort: EvaluationSort = "-activity_score",
) -> tuple[list[EvaluationRead], str | None, int | None]:
    """The shortlist: the latest run's results (or a named run's), best score first."""
    cycle = cycle_id(reader, cycle_ref)
    if run_id is not None:
        if read_rows(reader, _RUN_IN_CYCLE, {"run_id": run_id, "cycle_id": cycle}).first() is None:
            raise RunNotFound(f"No evaluation run {run_id} in this cycle.")
    elif params.include_total:
        # The total and the page must count the same run, even if a new one is saved between
        # their statements (each is its own snapshot on the read pool).
        run_id = read_rows(reader, _LATEST_RUN, {"cycle_id": cycle}).scalar()
        if run_id is None:
            return [], None, 0
    # Otherwise the page reads the latest run's id itself (a subquery): one statement less.
    values: dict[str, Any] = {"cycle_id": cycle} if run_id is None else {"run_id": run_id}
    for name, value in (("meets_criteria", meets_criteria), ("invited", invited), ("state", state)):
        if value is not None:
            values[name] = value
    shape = (run_id is not None, meets_criteria is not None, invited is not None,
             state is not None)
    try:
        rows, next_cursor, total = keyset_page(
            reader, params, values, _count_statement(*shape),
            _page_statement(*shape, sort, bool(params.cursor)), _PARSERS[sort],
            lambda row: (row[_VALUE_AT[sort]], row[0]))
    except RuleViolation:  # the cursor, read before any statement runs
        # A cycle never evaluated has an empty shortlist, whatever the cursor says.
        if run_id is None and not _has_run(reader, cycle):
            return [], None, None
        raise
    return [_reply(row) for row in rows], next_cursor, total


def _latest_for(reader: Reader, cycle_ref: str, alliance_id: int) -> EvaluationRead:
    cycle = cycle_id(reader, cycle_ref)
    row = read_rows(reader, _ONE, {"cycle_id": cycle, "alliance_id": alliance_id}).first()
    if row is None:
        # Each statement is its own snapshot: a cycle deleted in between is still named.
        key = read_rows(reader, _CYCLE_KEY, {"cycle_id": cycle}).scalar() or cycle_ref
        raise EvaluationNotFound(
            f"No evaluation for alliance {alliance_id} in cycle {key}: not evaluated yet, "
            "or no submitted response."
        )
    return _reply(row)


def read_mine(reader: Reader, cycle_ref: str, principal: Principal) -> EvaluationRead:
    if principal.alliance_id is None:
        raise NoOwnAlliance("Only alliance users have an own evaluation; "
                            "read /evaluations/{alliance_id} instead.")
    return _latest_for(reader, cycle_ref, principal.alliance_id)


def read_for_alliance(
    reader: Reader, cycle_ref: str, alliance_id: int, principal: Principal,
) -> EvaluationRead:
    if not principal.acts_for(alliance_id):
        # Another alliance's result is private: answer as if there were none.
        raise EvaluationNotFound(f"No evaluation for alliance {alliance_id} in this cycle.")
    return _latest_for(reader, cycle_ref, alliance_id)


__all__ = ["EvaluationSort", "list_evaluations", "read_for_alliance", "read_mine"]
