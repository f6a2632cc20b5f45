"""GET one response from Core rows, on ``Db.read``'s read-only connection.

The ORM path (``service._readable``, ``store.to_read``) loaded the cycle, the response and its
alliance as three ORM objects inside a session transaction, most of the route's CPU. Here one
statement selects the cycle's key, the response's columns and the alliance's name and slug:
the cycle left-joined to the response, so that a missing cycle (no row) and a missing response
(a row without a response) still answer their own 404s. The column types convert the values as
they did for the ORM (UTC-aware timestamps, JSON), so the JSON is the same byte for byte
(tests/surveys/test_response_reads.py compares it with the ORM path).
"""

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists
from sqlalchemy import select as sa_select
from sqlalchemy.engine import RowMapping

from app.alliances.models import Alliance
from app.core.db import Reader, read_rows, table_of
from app.cycles.models import AwardCycle
from app.cycles.service import CYCLE_MATCH, cycle_lookup, cycle_not_found
from app.surveys.models import ResponseRevision, SurveyResponse

_CYCLE = table_of(AwardCycle)
_RESPONSE = table_of(SurveyResponse)
_REVISION = table_of(ResponseRevision)
_ALLIANCE = table_of(Alliance)

def _response_in_cycle(cycle_match: ColumnElement[bool], pushed_only: bool) -> Select[Any]:
    """The cycle's key with alliance ``:alliance_id``'s response in it (``pushed_only``: only
    if client ``:actor`` pushed it, as ``service._pushed_by``), or with NULLs for none."""
    joined = and_(_RESPONSE.c.cycle_id == _CYCLE.c.id,
                  _RESPONSE.c.alliance_id == bindparam("alliance_id"))
    if pushed_only:
        joined = and_(joined, exists().where(
            _REVISION.c.response_id == _RESPONSE.c.id, _REVISION.c.actor == bindparam("actor"),
        ).correlate(_RESPONSE))
    return (
        sa_select(_CYCLE.c.key.label("cycle_key"), *_RESPONSE.c,
                  _ALLIANCE.c.name.label("alliance_name"), _ALLIANCE.c.slug.label("alliance_slug"))
        .select_from(_CYCLE.outerjoin(_RESPONSE, joined)
                     .outerjoin(_ALLIANCE, _ALLIANCE.c.id == _RESPONSE.c.alliance_id))
        .where(cycle_match)
    )


# Built once (the cycle named by id or by slug/key, for people and for clients).
_CYCLE_KEY = {kind: sa_select(_CYCLE.c.key).where(match) for kind, match in CYCLE_MATCH.items()}
_RESPONSE_IN_CYCLE = {(kind, pushed_only): _response_in_cycle(match, pushed_only)
                      for kind, match in CYCLE_MATCH.items() for pushed_only in (False, True)}


def cycle_key(reader: Reader, cycle_ref: str) -> str:
    """The key of the cycle ``cycle_ref`` names; ``CycleNotFound`` as ``get_cycle`` raises it."""
    kind, value = cycle_lookup(cycle_ref)
    key = read_rows(reader, _CYCLE_KEY[kind], {kind: value}).scalar()
    if key is None:
        raise cycle_not_found(cycle_ref)
    return str(key)


def response_row(reader: Reader, cycle_ref: str, alliance_id: int,
                 pushed_by: str | None) -> tuple[str, RowMapping | None]:
    """The cycle's key and alliance ``alliance_id``'s response in it, with ``cycle_key``,
    ``alliance_name`` and ``alliance_slug`` (``ResponseRead``'s fields), or None for none;
    ``pushed_by``: a client's actor, which sees only responses it pushed. A cycle that does
    not exist raises ``CycleNotFound`` as ``get_cycle`` does."""
    kind, value = cycle_lookup(cycle_ref)
    params: dict[str, Any] = {kind: value, "alliance_id": alliance_id}
    if pushed_by is not None:
        params["actor"] = pushed_by
    row = read_rows(reader, _RESPONSE_IN_CYCLE[kind, pushed_by is not None], params).mappings().first()
    if row is None:
        raise cycle_not_found(cycle_ref)
    return row["cycle_key"], row if row["id"] is not None else None
