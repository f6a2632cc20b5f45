"""Reading evaluation runs, and the latest run's shortlist for other domains.

The shortlist and one alliance's result, as the API reads them, are in app/evaluation/reads.py.
"""

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from app.core.pagination import PageParams, SortKey, paginate
from app.cycles.service import get_cycle
from app.evaluation.exceptions import RunNotFound
from app.evaluation.models import Evaluation, EvaluationRun
from app.evaluation.schemas import EvaluationRunRead


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
