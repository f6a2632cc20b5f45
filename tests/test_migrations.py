"""Migrations on an empty database of the current lane: up, down, and no drift."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel, col, select

import app.models  # noqa: F401  (all tables on the metadata)
from app.core.db import make_engine
from app.surveys.models import ResponseRevision, SurveyResponse
from tests import dbsetup, factories


def _drift(url: str) -> list:
    engine = make_engine(url, null_pool=True)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    return diff


def _tables(url: str) -> set[str]:
    engine = make_engine(url, null_pool=True)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrade_downgrade_and_no_drift():
    with dbsetup.fresh_database() as url:
        dbsetup.upgrade(url)
        assert _drift(url) == [], "models and migrations differ: write a migration"
        assert {"alliance", "user_account"} <= _tables(url)
        dbsetup.downgrade(url, "base")
        assert _tables(url) <= {"alembic_version"}
        dbsetup.upgrade(url)
        assert _drift(url) == []


@contextmanager
def _database_at(revision: str) -> Iterator[tuple[str, Engine]]:
    """The URL of a fresh database migrated up to ``revision``, and an engine on it."""
    with dbsetup.fresh_database() as url:
        dbsetup.upgrade(url, revision)
        engine = make_engine(url, null_pool=True)
        try:
            yield url, engine
        finally:
            engine.dispose()


def test_0019_writes_bulk_timestamps_as_the_orm_does():
    """Rows the bulk writers stored before 0019 (SQLite: an offset the ORM never writes, and no
    fraction for a whole second) read and sort like every other row afterwards; PostgreSQL's
    timestamptz values are left as they are."""
    precise = datetime(2026, 12, 5, 9, 30, 1, 123456, tzinfo=UTC)
    whole = datetime(2026, 12, 5, 9, 30, 2, tzinfo=UTC)
    with _database_at("0018") as (url, engine):
        with Session(engine, expire_on_commit=False) as session:
            cycle = factories.make_cycle(session)
            response = factories.make_response(session, cycle, factories.make_alliance(session))
            session.add(ResponseRevision(response_id=response.id, revision=1, action="import",
                                         answers={}, mode=response.mode, actor="client:1"))
            session.commit()
        with engine.begin() as connection:  # what the old bulk writer left behind
            connection.execute(text(
                "UPDATE survey_response SET created_at = :precise, updated_at = :whole, "
                "submitted_at = :precise WHERE id = :id"),
                {"precise": precise.isoformat(" "), "whole": whole.isoformat(" "), "id": response.id})
            connection.execute(text("UPDATE response_revision SET created_at = :whole"),
                               {"whole": whole.isoformat(" ")})
        dbsetup.upgrade(url)
        with engine.connect() as connection:
            stored = connection.execute(text(
                "SELECT created_at, updated_at, submitted_at FROM survey_response")).one()
            revision = connection.execute(text("SELECT created_at FROM response_revision")).scalar()
        with Session(engine) as session:
            row = session.get(SurveyResponse, response.id)
            assert row is not None
            assert (row.created_at, row.updated_at, row.submitted_at) == (precise, whole, precise)
            later = session.exec(select(SurveyResponse.id).where(
                col(SurveyResponse.submitted_at) > precise)).all()
            assert later == [], "the repaired value sorts after the instant it is"
    if dbsetup.lane() == "sqlite":
        assert tuple(stored) == ("2026-12-05 09:30:01.123456", "2026-12-05 09:30:02.000000",
                                 "2026-12-05 09:30:01.123456")
        assert revision == "2026-12-05 09:30:02.000000"


def test_0020_replaces_unpaired_surrogates_in_stored_json_and_leaves_pairs():
    """Documents stored before the input refused unpaired surrogates could not be encoded in any
    reply; after 0020 each lone one is U+FFFD, and a valid pair (an escaped emoji) is kept."""
    with _database_at("0019") as (url, engine):
        with Session(engine, expire_on_commit=False) as session:
            cycle = factories.make_cycle(session)
            poisoned = factories.make_response(session, cycle, factories.make_alliance(session))
            emoji = factories.make_response(session, cycle, factories.make_alliance(session))
            session.commit()
        cast = "::json" if engine.dialect.name == "postgresql" else ""
        with engine.begin() as connection:  # the text json.dumps wrote for such answers
            for response, text_ in (
                    (poisoned, '{"remarks": "a\\ud800b", "k\\udc00": ["\\udfff"], "n": 3, "k\\ud800": 4}'),
                    (emoji, '{"remarks": "gut \\ud83d\\ude00"}')):
                connection.execute(text(
                    f"UPDATE survey_response SET answers = CAST(:doc AS TEXT){cast} WHERE id = :id"),
                    {"doc": text_, "id": response.id})
        dbsetup.upgrade(url)
        with Session(engine) as session:
            repaired = session.get(SurveyResponse, poisoned.id)
            kept = session.get(SurveyResponse, emoji.id)
            assert repaired is not None and kept is not None
            # two keys told apart only by their surrogates both stay, the second one escaped
            assert repaired.answers == {"remarks": "a\ufffdb", "k\ufffd": ["\ufffd"], "n": 3,
                                        "k\\ud800": 4}
            assert kept.answers == {"remarks": "gut \U0001F600"}
            json.dumps(repaired.answers, ensure_ascii=False).encode()  # encodable now
