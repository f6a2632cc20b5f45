"""Reading evaluation results: runs, the shortlist, and one alliance's own result.

Results are read from the latest run of a cycle unless a run is named. Alliance users see only
their own alliance's result; for any other alliance the answer is 404, as if there were none.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from app.alliances.models import Alliance
from app.auth.principal import Principal
from app.core.db import columns_of, table_of
from app.core.pagination import PageParams, SortKey, paginate
from app.cycles.service import get_cycle
from app.evaluation.exceptions import EvaluationNotFound, NoOwnAlliance, RunNotFound
from app.evaluation.models import Evaluation, EvaluationRun
from app.evaluation.schemas import AllianceRef, EvaluationRead, EvaluationRunRead

EvaluationSort = Literal["-activity_score", "activity_score", "alliance_id"]


def run_read(run: EvaluationRun, *, invited: int, is_latest: bool) -> EvaluationRunRead:
    assert run.id is not None
    return EvaluationRunRead(
        id=run.id, cycle_id=run.cycle_id, started_by=run.started_by, reason=run.reason,
        criteria=run.criteria_snapshot, evaluated_count=run.evaluated_count,
        passed_count=run.passed_count, invited_count=invited, is_latest=is_latest,
        created_at=run.created_at,
    )


def latest_run(session: Session, cycle_id: int) -> EvaluationRun | None:
    return session.exec(
        select(EvaluationRun).where(EvaluationRun.cycle_id == cycle_id)
        .order_by(col(EvaluationRun.id).desc()).limit(1)
    ).first()


def _invited_counts(session: Session, run_ids: Sequence[int]) -> dict[int, int]:
    if not run_ids:
        return {}
    return dict(session.exec(
        select(Evaluation.run_id, func.count(col(Evaluation.id)))
        .where(col(Evaluation.run_id).in_(run_ids), col(Evaluation.invited_to_future_project).is_(True))
        .group_by(col(Evaluation.run_id))
    ).all())


def list_runs(
    session: Session, cycle_ref: str, params: PageParams,
) -> tuple[list[EvaluationRunRead], str | None, int | None]:
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    latest = latest_run(session, cycle.id)
    query = select(EvaluationRun).where(EvaluationRun.cycle_id == cycle.id)
    rows, cursor, total = paginate(
        session, query, SortKey(col(EvaluationRun.id), col(EvaluationRun.id), descending=True),
        params, value_of=lambda r: r.id, id_of=lambda r: r.id,
    )
    invited = _invited_counts(session, [r.id for r in rows if r.id is not None])
    items = [
        run_read(r, invited=invited.get(r.id or 0, 0), is_latest=latest is not None and r.id == latest.id)
        for r in rows
    ]
    return items, cursor, total


def _run_of(session: Session, cycle_id: int, run_id: int) -> EvaluationRun:
    run = session.get(EvaluationRun, run_id)
    if run is None or run.cycle_id != cycle_id:
        raise RunNotFound(f"No evaluation run {run_id} in this cycle.")
    return run


def get_run(session: Session, cycle_ref: str, run_id: int) -> EvaluationRunRead:
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    run = _run_of(session, cycle.id, run_id)
    latest = latest_run(session, cycle.id)
    return run_read(run, invited=_invited_counts(session, [run_id]).get(run_id, 0),
                    is_latest=latest is not None and latest.id == run.id)


def _alliance_refs(session: Session, alliance_ids: Sequence[int]) -> dict[int, AllianceRef]:
    if not alliance_ids:
        return {}
    # Columns, not Alliance objects: those would load every partner and contact of the page.
    rows = session.exec(select(Alliance.id, col(Alliance.name), col(Alliance.slug),
                               col(Alliance.state)).where(col(Alliance.id).in_(alliance_ids))).all()
    return {alliance_id: AllianceRef(id=alliance_id, name=name, slug=slug, state=state)
            for alliance_id, name, slug, state in rows if alliance_id is not None}


def _reply(values: Mapping[str, Any], alliance: AllianceRef) -> EvaluationRead:
    # One validation of the whole reply from plain data: validating each stored criterion
    # result into a model first and then the reply (which checks those models again) cost
    # twice as much on the shortlist's pages.
    return EvaluationRead.model_validate({
        "id": values["id"], "run_id": values["run_id"], "cycle_id": values["cycle_id"],
        "alliance": alliance, "response_id": values["response_id"],
        "activity_score": values["activity_score"], "meets_criteria": values["meets_criteria"],
        "wants_future_project": values["wants_future_project"],
        "invited_to_future_project": values["invited_to_future_project"],
        "criteria": values["criteria_results"], "evaluated_at": values["created_at"],
    })


def to_read(evaluation: Evaluation, alliance: AllianceRef) -> EvaluationRead:
    assert evaluation.id is not None
    return _reply(columns_of(evaluation), alliance)


# The shortlist pages rows as columns, not ORM objects: building an Evaluation per row cost
# more than validating its reply.
_EVALUATION = table_of(Evaluation)


def list_evaluations(
    session: Session, cycle_ref: str, params: PageParams, *, meets_criteria: bool | None = None,
    invited: bool | None = None, state: str | None = None, run_id: int | None = None,
    sort: EvaluationSort = "-activity_score",
) -> tuple[list[EvaluationRead], str | None, int | None]:
    """The shortlist: the latest run's results (or a named run's), best score first."""
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    run = _run_of(session, cycle.id, run_id) if run_id is not None else latest_run(session, cycle.id)
    if run is None:
        return [], None, 0 if params.include_total else None
    table = _EVALUATION.c
    query = sa_select(_EVALUATION).where(table.run_id == run.id)
    if meets_criteria is not None:
        query = query.where(table.meets_criteria == meets_criteria)
    if invited is not None:
        query = query.where(table.invited_to_future_project == invited)
    if state is not None:
        query = query.join(Alliance, col(Alliance.id) == table.alliance_id).where(
            col(Alliance.state) == state)
    column = table.alliance_id if sort == "alliance_id" else table.activity_score
    rows, cursor, total = paginate(
        session, cast(Any, query), SortKey(column, table.id, descending=sort.startswith("-")),
        params, value_of=lambda e: e.alliance_id if sort == "alliance_id" else e.activity_score,
        id_of=lambda e: e.id,
    )
    mappings = [row._mapping for row in rows]
    refs = _alliance_refs(session, [m["alliance_id"] for m in mappings])
    return [_reply(m, refs[m["alliance_id"]]) for m in mappings], cursor, total


def _latest_for(session: Session, cycle_ref: str, alliance_id: int) -> EvaluationRead:
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    run = latest_run(session, cycle.id)
    evaluation = None
    if run is not None:
        evaluation = session.exec(
            select(Evaluation).where(Evaluation.run_id == run.id, Evaluation.alliance_id == alliance_id)
        ).first()
    if evaluation is None:
        raise EvaluationNotFound(
            f"No evaluation for alliance {alliance_id} in cycle {cycle.key}: not evaluated yet, "
            "or no submitted response."
        )
    return to_read(evaluation, _alliance_refs(session, [alliance_id])[alliance_id])


def read_mine(session: Session, cycle_ref: str, principal: Principal) -> EvaluationRead:
    if principal.alliance_id is None:
        raise NoOwnAlliance("Only alliance users have an own evaluation; "
                            "read /evaluations/{alliance_id} instead.")
    return _latest_for(session, cycle_ref, principal.alliance_id)


def read_for_alliance(
    session: Session, cycle_ref: str, alliance_id: int, principal: Principal,
) -> EvaluationRead:
    if not principal.acts_for(alliance_id):
        # Another alliance's result is private: answer as if there were none.
        raise EvaluationNotFound(f"No evaluation for alliance {alliance_id} in this cycle.")
    return _latest_for(session, cycle_ref, alliance_id)


def shortlist_alliance_ids(session: Session, cycle_id: int) -> list[int] | None:
    """Alliances meeting the criteria in the cycle's latest run; None if never evaluated."""
    run = latest_run(session, cycle_id)
    if run is None:
        return None
    return list(session.exec(
        select(Evaluation.alliance_id).where(Evaluation.run_id == run.id,
                                             col(Evaluation.meets_criteria).is_(True))
        .order_by(col(Evaluation.alliance_id))
    ).all())
