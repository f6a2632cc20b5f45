"""The public seal registry: every standing seal „Ausgezeichnetes Bündnis“, by alliance name,
with no personal data (anonymous callers)."""

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    exists,
    func,
    or_,
)
from sqlalchemy import select as sa_select
from sqlmodel import col

from app.alliances.models import Alliance
from app.awards.models import Award, AwardStatus
from app.awards.schemas import PublicSeal
from app.core.db import Reader, read_rows, table_of
from app.core.errors import RuleViolation, field_error
from app.core.pagination import (
    PageParams,
    decode_cursor,
    encode_cursor,
    keyset_after,
    parser_for,
)
from app.core.planner import outer_first_join
from app.cycles.models import AwardCycle
from app.cycles.service import CycleNotFound, cycle_id


@dataclass(frozen=True)
class PublicSealFilter:
    """Which confirmed seals the registry shows: of one cycle, of one Land, or all."""

    cycle_id: int | None = None
    state: str | None = None

    def values(self) -> dict[str, Any]:
        chosen = {"cycle_id": self.cycle_id, "state": self.state}
        return {name: value for name, value in chosen.items() if value is not None}


@dataclass(frozen=True)
class PublicSealCursor:
    """Where the last page ended: its last seal's alliance name, alliance id and award id (the
    registry's order)."""

    name: str
    alliance_id: int
    award_id: int

    @classmethod
    def parse(cls, cursor: str) -> "PublicSealCursor":
        name, alliance_id, award_id = decode_cursor(
            cursor, parser_for(col(Alliance.name)), parser_for(col(Alliance.id)),
            parser_for(col(Award.id)))
        return cls(name, alliance_id, award_id)

    def encode(self) -> str:
        return encode_cursor([self.name, self.alliance_id, self.award_id])


_AWARD = table_of(Award)
_ALLIANCE = table_of(Alliance)


def _seal_columns(alliance: Any) -> tuple[Any, ...]:
    """A registry row: the seal, its alliance's public fields (from ``alliance``, the table's or
    the page subquery's columns) and the cycle key; the ids feed the cursor."""
    return (col(Award.id).label("award_id"), col(Award.title), col(Award.awarded_on),
            alliance.name, alliance.slug, alliance.municipality, alliance.state,
            col(AwardCycle.key), alliance.id.label("alliance_id"))


# The statements are built once per shape (which filters, a cursor or not), their values bound
# per request: building the page's statement per request cost ~0.3 ms, more than running it.
def _award_terms(by_cycle: bool) -> list[ColumnElement[bool]]:
    terms = [col(Award.status) == AwardStatus.confirmed]
    if by_cycle:
        terms.append(col(Award.cycle_id) == bindparam("cycle_id"))
    return terms


def _alliance_terms(by_state: bool) -> list[ColumnElement[bool]]:
    return [col(Alliance.state) == bindparam("state")] if by_state else []


@cache
def _page_statement(by_cycle: bool, by_state: bool, after_cursor: bool) -> Select[Any]:
    """The registry's page, in order of alliance name, alliance id, award id.

    The page's alliances are picked first, in a subquery that walks the alliance name index and
    stops after enough alliances with a seal; only their awards are joined. Joining awards to
    the whole alliance table instead made SQLite build a Bloom filter from every award row on
    each request (1.7 ms at 65,000 alliances against 0.2 ms at 650; docs/PERFORMANCE.md). The
    subquery's LIMIT is written into the SQL (``literal_execute``): sent as a parameter, it
    hides the subquery's size from SQLite's planner, which then builds that filter again.
    The rows are Core columns, not ``Alliance`` objects: those would load every partner and
    contact of the page (eager relationships), personal data this anonymous page never shows.
    """
    has_seal = exists().where(col(Award.alliance_id) == col(Alliance.id), *_award_terms(by_cycle))
    alliances = (
        sa_select(col(Alliance.id), col(Alliance.name), col(Alliance.slug),
                  col(Alliance.municipality), col(Alliance.state))
        .where(has_seal, *_alliance_terms(by_state))
    )
    if after_cursor:
        # inclusive: the cursor's own alliance may still hold seals after the cursor's award.
        alliances = alliances.where(keyset_after(
            (col(Alliance.name), col(Alliance.id)),
            (bindparam("after_name"), bindparam("after_alliance_id")), inclusive=True))
    page_alliance = (
        alliances.order_by(col(Alliance.name), col(Alliance.id))
        .limit(bindparam("alliance_limit", type_=Integer, literal_execute=True)).subquery("page_alliance")
    )
    query: Select[Any] = (
        sa_select(*_seal_columns(page_alliance.c))
        .select_from(outer_first_join(page_alliance, _AWARD,
                                      page_alliance.c.id == col(Award.alliance_id)))
        .join(AwardCycle, col(AwardCycle.id) == col(Award.cycle_id))
        .where(*_award_terms(by_cycle))
    )
    if after_cursor:
        query = query.where(or_(page_alliance.c.id != bindparam("after_alliance_id"),
                                col(Award.id) > bindparam("after_award_id")))
    return query.order_by(page_alliance.c.name, page_alliance.c.id, col(Award.id)).limit(
        bindparam("row_limit", type_=Integer))


@cache
def _few_seals_page_statement(by_cycle: bool, by_state: bool, after_cursor: bool) -> Select[Any]:
    """The same page read from the other side: the chosen seals first, then sorted. For a cycle
    with few standing seals among many alliances the walk by name would test most alliances for
    a seal (43 ms at 65,000 alliances for a cycle of 10 seals); sorting a few hundred seals
    costs less. Awards are SQLite's outer loop, the order and the cursor are the walk's."""
    query: Select[*tuple[Any, ...]] = (
        sa_select(*_seal_columns(_ALLIANCE.c))
        .select_from(outer_first_join(_AWARD, _ALLIANCE,
                                      col(Alliance.id) == col(Award.alliance_id)))
        .join(AwardCycle, col(AwardCycle.id) == col(Award.cycle_id))
        .where(*_award_terms(by_cycle), *_alliance_terms(by_state))
    )
    if after_cursor:
        query = query.where(keyset_after(
            (col(Alliance.name), col(Alliance.id), col(Award.id)),
            (bindparam("after_name"), bindparam("after_alliance_id"), bindparam("after_award_id"))))
    return query.order_by(col(Alliance.name), col(Alliance.id), col(Award.id)).limit(
        bindparam("row_limit", type_=Integer))


# Below this many standing seals in the chosen cycle, the page sorts that cycle's seals instead
# of walking alliances by name: at 65,000 alliances both forms cost ~1 ms at about this count
# (sorting costs ~2 µs per seal, the walk ~0.2 µs per alliance tested; docs/PERFORMANCE.md).
FEW_SEALS = 500


def public_seals_page_query(
    chosen: PublicSealFilter, limit: int, after: PublicSealCursor | None = None, *,
    few_seals: bool = False,
) -> tuple[Select[Any], dict[str, Any]]:
    """The statement for ``limit`` rows of the registry after ``after``, and its values; with
    ``few_seals``, the form that reads the chosen seals first.

    Each alliance the walk picks holds at least one seal of the page except, after a cursor,
    the cursor's own alliance (its remaining seals may all lie before the cursor): so ``limit``
    alliances, plus that one, always give ``limit`` rows when there are that many.
    """
    shape = (chosen.cycle_id is not None, chosen.state is not None, after is not None)
    values = chosen.values() | {"row_limit": limit}
    if after is not None:
        values |= {"after_name": after.name, "after_alliance_id": after.alliance_id,
                   "after_award_id": after.award_id}
    if few_seals:
        return _few_seals_page_statement(*shape), values
    values["alliance_limit"] = limit + (1 if after is not None else 0)
    return _page_statement(*shape), values


@cache
def _count_statement(by_cycle: bool, by_state: bool) -> Select[Any]:
    return (sa_select(func.count()).select_from(Award)
            .join(Alliance, col(Alliance.id) == col(Award.alliance_id))
            .where(*_award_terms(by_cycle), *_alliance_terms(by_state)))


# How many standing seals the cycle has, counted up to FEW_SEALS: a bounded read of the award
# index, whatever the cycle's size.
_CYCLE_SEALS_UP_TO = sa_select(func.count()).select_from(
    sa_select(col(Award.id)).where(
        col(Award.cycle_id) == bindparam("cycle_id"), col(Award.status) == AwardStatus.confirmed,
    ).limit(bindparam("up_to", type_=Integer, literal_execute=True)).subquery())


def list_public_seals(
    reader: Reader, params: PageParams, cycle_ref: str | None = None, state: str | None = None,
) -> tuple[list[PublicSeal], str | None, int | None]:
    """The public registry: confirmed awards only, by alliance name; no personal data."""
    chosen_cycle = None
    if cycle_ref:
        try:
            chosen_cycle = cycle_id(reader, cycle_ref)
        except CycleNotFound as exc:
            raise RuleViolation(f"No award cycle {cycle_ref!r}.", errors=[
                field_error(["query", "cycle"], "no such cycle", "not_found")]) from exc
    chosen = PublicSealFilter(cycle_id=chosen_cycle, state=state)
    after = PublicSealCursor.parse(params.cursor) if params.cursor else None
    total = None
    if params.include_total:
        count = _count_statement(chosen_cycle is not None, state is not None)
        total = int(read_rows(reader, count, chosen.values()).scalar_one())
    few_seals = False
    if chosen_cycle is not None:
        seals = read_rows(reader, _CYCLE_SEALS_UP_TO,
                          {"cycle_id": chosen_cycle, "up_to": max(FEW_SEALS, 1)}).scalar_one()
        if seals == 0:  # none confirmed yet, or all withdrawn: nothing to walk or sort
            return [], None, total
        few_seals = seals < FEW_SEALS
    statement, values = public_seals_page_query(chosen, params.limit + 1, after,
                                                few_seals=few_seals)
    rows = read_rows(reader, statement, values).all()
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        next_cursor = PublicSealCursor(last.name, last.alliance_id, last.award_id).encode()
    return [
        PublicSeal(title=title, awarded_on=awarded_on, alliance_name=name, alliance_slug=slug,
                   municipality=municipality, state=alliance_state, cycle_key=cycle_key)
        for _, title, awarded_on, name, slug, municipality, alliance_state, cycle_key, _ in rows
    ], next_cursor, total
