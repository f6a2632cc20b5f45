"""Who is asked to take the Bündnisumfrage: every alliance that is not dissolved and has never
received a seal (no confirmed Award in any cycle). Responses, statistics and notices share
these functions, so "eligible" means the same everywhere.
"""

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.alliances.models import Alliance, AllianceStatus
from app.awards.service import seal_holder_ids_query
from app.core.i18n import N_


def ineligibility_reason(status: AllianceStatus | str, holds_seal: bool) -> str | None:
    """The rule itself, without a database: why an alliance is not asked (None: it is).
    Dormant alliances are asked too (they may report themselves active again); dissolved ones
    and seal holders are not."""
    if AllianceStatus(status) == AllianceStatus.dissolved:
        return N_("The alliance is dissolved.")
    if holds_seal:
        return N_("The alliance has already received the seal; only alliances without a seal answer.")
    return None


def is_eligible_alliance(status: AllianceStatus | str, holds_seal: bool) -> bool:
    return ineligibility_reason(status, holds_seal) is None


def holds_seal_condition() -> ColumnElement[bool]:
    """True for an ``Alliance`` row that holds a seal (app.awards.service decides what counts)."""
    return col(Alliance.id).in_(seal_holder_ids_query())


def eligible_condition() -> ColumnElement[bool]:
    """A WHERE clause on ``Alliance`` that keeps the eligible alliances; combine it freely."""
    return and_(col(Alliance.status) != AllianceStatus.dissolved, ~holds_seal_condition())


def eligible_alliances_query() -> SelectOfScalar[Alliance]:
    """``select(Alliance)`` restricted to eligible alliances (add order and limits yourself)."""
    return select(Alliance).where(eligible_condition())


def eligible_alliance_ids_query() -> SelectOfScalar[int | None]:
    return select(col(Alliance.id)).where(eligible_condition())


def is_eligible(session: Session, alliance_id: int) -> bool:
    """False for an unknown alliance as well."""
    found = session.exec(
        select(col(Alliance.id)).where(col(Alliance.id) == alliance_id, eligible_condition())
    ).first()
    return found is not None


def eligible_among(session: Session, alliance_ids: set[int]) -> set[int]:
    """Which of these alliances are eligible (one query)."""
    if not alliance_ids:
        return set()
    rows = session.exec(eligible_alliance_ids_query().where(col(Alliance.id).in_(alliance_ids)))
    return {alliance_id for alliance_id in rows.all() if alliance_id is not None}
