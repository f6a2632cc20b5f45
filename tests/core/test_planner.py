"""The join order hint for SQLite (app/core/planner.py) and the plans of the pages built on it.

The plans are SQLite's: PostgreSQL gets a plain JOIN and its own planner (checked here by the
SQL it is sent, and by running the registry's query on the lane's database).
"""

from sqlalchemy import Column, Integer, MetaData, Table, select, text
from sqlalchemy.dialects import postgresql, sqlite

from app.awards.service import PUBLIC_SEAL_ORDER, public_seals_query
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


def test_seal_registry_page_walks_the_alliance_name_index(session):
    page = public_seals_query().order_by(*PUBLIC_SEAL_ORDER.order_by()).limit(51)
    if session.get_bind().dialect.name != "sqlite":
        session.execute(page).all()  # the same statement runs on PostgreSQL
        return
    plan = _plan(session, page)
    # In name order from the index, each alliance's confirmed awards by the composite index,
    # ties by award id sorted per name: no sort of every confirmed award.
    assert "SCAN alliance USING INDEX ix_alliance_name" in plan, plan
    assert "SEARCH award USING INDEX ix_award_alliance_id_status" in plan, plan
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_event_list_walks_the_starts_at_index(session):
    page = select(Event.id).order_by(Event.starts_at, Event.id).limit(21)  # type: ignore[arg-type]
    if session.get_bind().dialect.name != "sqlite":
        session.execute(page).all()
        return
    plan = _plan(session, page)
    assert "ix_event_starts_at_id" in plan and "TEMP B-TREE" not in plan, plan
