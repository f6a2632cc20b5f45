"""The join order hint for SQLite (app/core/planner.py) and the plans of the pages built on it.

The plans are SQLite's: PostgreSQL gets a plain JOIN and its own planner (checked here by the
SQL it is sent, and by running the registry's query on the lane's database).
"""

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (every table on the metadata, for create_all)
from app.awards.registry import PublicSealCursor, PublicSealFilter, public_seals_page_query
from app.core.planner import outer_first_join
from app.events.models import Event

_meta = MetaData()
_left = Table("lefty", _meta, Column("id", Integer, primary_key=True))
_right = Table("righty", _meta, Column("id", Integer, primary_key=True),
               Column("left_id", Integer))


def _sql(dialect) -> str:
    statement = select(_right.c.id).select_from(
        outer_first_join(_left, _right, _left.c.id == _right.c.left_id))
    return str(statement.compile(dialect=dialect))


def test_sqlite_reads_the_left_table_first():
    assert "FROM lefty CROSS JOIN righty ON lefty.id = righty.left_id" in _sql(sqlite.dialect())


def test_postgresql_gets_a_plain_join():
    sql = _sql(postgresql.dialect())
    assert "FROM lefty JOIN righty ON lefty.id = righty.left_id" in sql and "CROSS" not in sql


def _plan(session, statement) -> str:
    compiled = statement.compile(dialect=session.get_bind().dialect,
                                 compile_kwargs={"literal_binds": True})
    return "\n".join(row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


def _plan_as_executed(session, statement, values) -> str:
    """The plan of the statement as the app sends it: bound values stay parameters (a bound
    LIMIT hides the subquery's size from SQLite's planner, a literal one does not)."""
    compiled = statement.compile(dialect=session.get_bind().dialect)
    expanded = compiled.construct_expanded_state(values)
    params = tuple(expanded.parameters[name] for name in expanded.positiontup or ())
    rows = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {expanded.statement}", params)
    return "\n".join(row[-1] for row in rows)


@pytest.mark.parametrize("after", [None, PublicSealCursor("Bündnis M", 7, 9)])
def test_seal_registry_page_picks_its_alliances_first(session, after):
    statement, values = public_seals_page_query(PublicSealFilter(), 51, after)
    if session.get_bind().dialect.name != "sqlite":
        session.execute(statement, values).all()  # the same statement runs on PostgreSQL
        return
    plan = _plan_as_executed(session, statement, values)
    # The page's alliances in name order from the index, each checked for a seal by the
    # composite index; then only their awards: no Bloom filter over every award, no sort of
    # every confirmed award (the final sort is of the page's rows only).
    assert "CO-ROUTINE page_alliance" in plan, plan  # read as the join's outer loop
    assert "alliance USING INDEX ix_alliance_name" in plan, plan  # SCAN, or SEARCH after a cursor
    assert plan.count("USING INDEX ix_award_alliance_id_status") >= 2, plan
    assert "BLOOM FILTER" not in plan, plan
    assert "SCAN award" not in plan, plan


# sqlite_stat1 of the x100 benchmark database (bench/generate.py runs ANALYZE; so may an operator,
# or PRAGMA optimize): with these statistics SQLite's planner weighs a Bloom filter on award.
_X100_STATISTICS = [
    ("alliance", "ix_alliance_name", "65000 1"), ("alliance", "ix_alliance_state_name", "65000 4063 2"),
    ("alliance", "ix_alliance_status", "65000 21667"),
    ("award", "ix_award_alliance_id_status", "9860 1 1"), ("award", "ix_award_status", "9860 4930"),
    ("award", "ix_award_alliance_id", "9860 1"), ("award", "sqlite_autoindex_award_1", "9860 9860 1"),
    ("award", "ix_award_cycle_id", "9860 9860"), ("award_cycle", "sqlite_autoindex_award_cycle_1", "2 1"),
]


@pytest.mark.parametrize("after", [None, PublicSealCursor("Bündnis M", 7, 9)])
def test_seal_registry_page_builds_no_bloom_filter_under_table_statistics(after):
    """A LIMIT sent as a parameter hides the subquery's size from the planner: with statistics
    it then builds a Bloom filter from every award row on each request (1.3 ms at x100, the
    growth this form removes). The page's LIMIT is written into the statement."""
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
        for row in _X100_STATISTICS:
            conn.exec_driver_sql("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", row)
        conn.exec_driver_sql("ANALYZE sqlite_schema")  # load them
        session = Session(bind=conn)
        statement, values = public_seals_page_query(PublicSealFilter(), 51, after)
        plan = _plan_as_executed(session, statement, values)
    engine.dispose()
    assert "CO-ROUTINE page_alliance" in plan, plan
    assert "BLOOM FILTER" not in plan, plan


@pytest.mark.parametrize("chosen", [PublicSealFilter(state="DE-SN"),
                                    PublicSealFilter(cycle_id=1, state="DE-SN")])
def test_seal_registry_page_of_one_land_walks_that_lands_alliances(session, chosen):
    statement, values = public_seals_page_query(chosen, 51, PublicSealCursor("Bündnis M", 7, 9))
    if session.get_bind().dialect.name != "sqlite":
        session.execute(statement, values).all()
        return
    plan = _plan_as_executed(session, statement, values)
    # Only that Land's index entries, already in name order: not every alliance by name.
    assert "SEARCH alliance USING INDEX ix_alliance_state_name (state=? AND name>?)" in plan, plan
    assert "ix_alliance_name" not in plan, plan


@pytest.mark.parametrize("after", [None, PublicSealCursor("Bündnis M", 7, 9)])
def test_seal_registry_page_of_a_cycle_with_few_seals_reads_those_seals(session, after):
    statement, values = public_seals_page_query(PublicSealFilter(cycle_id=1), 51, after,
                                                few_seals=True)
    if session.get_bind().dialect.name != "sqlite":
        session.execute(statement, values).all()
        return
    plan = _plan_as_executed(session, statement, values)
    # The cycle's awards by an index, each alliance by its key, then the few rows sorted: no
    # walk over the alliances.
    assert any(line.startswith("SEARCH award USING") and "(cycle_id=?" in line
               for line in plan.splitlines()), plan
    assert "SEARCH alliance USING INTEGER PRIMARY KEY" in plan, plan
    assert "SCAN alliance" not in plan, plan


def test_seal_registry_join_keeps_the_cross_join_for_a_subquery():
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    statement, _ = public_seals_page_query(PublicSealFilter(), 51)
    sql = str(statement.compile(dialect=sqlite_dialect.dialect()))
    assert ") AS page_alliance CROSS JOIN award ON" in sql, sql
    assert sql.count("CROSS JOIN") == 1, sql


def test_event_list_walks_the_starts_at_index(session):
    page = select(Event.id).order_by(Event.starts_at, Event.id).limit(21)  # type: ignore[arg-type]
    if session.get_bind().dialect.name != "sqlite":
        session.execute(page).all()
        return
    plan = _plan(session, page)
    assert "ix_event_starts_at_id" in plan and "TEMP B-TREE" not in plan, plan
