"""Rows handed to the driver ready-made store what the ORM stores for the same values."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, Table, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.alliances.models import Alliance
from app.core.bulk import driver_converter, insert_rows, json_text, one_of
from app.core.db import UTCDateTime, table_of
from app.surveys.models import SurveyResponse
from tests import factories


def test_a_timestamp_converted_for_the_driver_is_stored_as_the_orm_stores_it(session):
    instant = datetime(2026, 12, 7, 21, 30, 0, tzinfo=UTC)  # a whole second: no fraction given
    cycle = factories.make_cycle(session)
    via_orm = factories.make_response(session, cycle, factories.make_alliance(session),
                                      updated_at=instant)
    via_driver = factories.make_response(session, cycle, factories.make_alliance(session))
    connection = session.connection()
    convert = driver_converter(table_of(SurveyResponse).c.updated_at, connection.dialect)
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    connection.exec_driver_sql(f"UPDATE survey_response SET updated_at = {mark} WHERE id = {mark}",
                               (convert(instant), via_driver.id))
    stored = dict(connection.execute(text(
        "SELECT id, CAST(updated_at AS TEXT) FROM survey_response WHERE id IN (:a, :b)"),
        {"a": via_orm.id, "b": via_driver.id}).all())
    assert stored[via_driver.id] == stored[via_orm.id]


def test_one_of_finds_the_rows_of_many_values_with_one_parameter(session, statements):
    alliances = [factories.make_alliance(session) for _ in range(3)]
    connection = session.connection()
    table = table_of(Alliance)
    wanted_ids = [a.id for a in alliances[:2]] + [10**9]
    wanted_slugs = {alliances[2].slug, "no-such-slug"}
    statements.clear()
    by_id = connection.execute(select(table.c.id).where(
        one_of(table.c.id, wanted_ids, connection.dialect))).scalars().all()
    by_slug = connection.execute(select(table.c.id).where(
        one_of(col(Alliance.slug), wanted_slugs, connection.dialect))).scalars().all()
    nothing = connection.execute(select(table.c.id).where(
        one_of(table.c.id, [], connection.dialect))).scalars().all()
    assert sorted(by_id) == sorted(a.id for a in alliances[:2])
    assert by_slug == [alliances[2].id] and nothing == []
    if connection.dialect.name == "postgresql":  # the same text whatever the number of values
        assert "ANY" in statements[0] and statements[0].count("%(") == 1


def test_a_duplicate_in_ready_made_rows_is_sqlalchemys_integrity_error(session):
    """``retrying`` runs a write again on IntegrityError (a concurrent insert of the same
    alliance): the rows handed to the driver (PostgreSQL: COPY) must raise it too."""
    cycle = factories.make_cycle(session)
    taken = factories.make_response(session, cycle, factories.make_alliance(session))
    connection = session.connection()
    table = table_of(SurveyResponse)
    stamp = driver_converter(table.c.created_at, connection.dialect)(taken.created_at)
    columns = ("cycle_id", "alliance_id", "status", "answers", "wants_future_project", "mode",
               "entered_by", "score_breakdown", "version", "created_at", "updated_at")
    row = (cycle.id, taken.alliance_id, "draft", "{}", True, "online", "user:0", "[]", 1,
           stamp, stamp)
    with pytest.raises(IntegrityError):
        insert_rows(connection, table, columns, [row])


@pytest.mark.parametrize("value", [
    {"remarks": "Grüße \U0001F600", "n": 3, "x": 2.675, "list": ["a", None, True]},
    [{"question": "q", "points": 0.1 + 0.2, "max": None}],
    {"big": 10**30},  # beyond orjson's 64 bits: json.dumps writes it
    {1: "a key that is not a string"},  # orjson refuses it; json.dumps writes "1"
])
def test_json_text_reads_back_as_json_dumps_writes_it(value):
    assert json.loads(json_text(value)) == json.loads(json.dumps(value))


def test_rows_on_a_connection_without_a_transaction_are_committed_with_it(engine):
    """``exec_driver_sql`` begins a transaction; COPY (PostgreSQL) must as well, or the caller's
    commit finds nothing to commit and the pool's reset rolls the rows back."""
    probe = Table(f"bulk_probe_{uuid.uuid4().hex[:8]}", MetaData(),
                  Column("id", Integer, primary_key=True), Column("doc", JSON),
                  Column("at", UTCDateTime))
    probe.create(engine)
    try:
        instant = datetime(2026, 12, 7, 22, 0, 0, 250000, tzinfo=UTC)
        with engine.connect() as connection:
            at = driver_converter(probe.c.at, connection.dialect)(instant)
            insert_rows(connection, probe, ("id", "doc", "at"),
                        [(1, json_text({"a": "Tab\\tund\\\\N"}), at), (2, json_text([1, None]), at)])
            connection.commit()
        with engine.connect() as connection:
            stored = connection.execute(select(probe).order_by(probe.c.id)).all()
        assert [tuple(row) for row in stored] == [(1, {"a": "Tab\\tund\\\\N"}, instant),
                                                  (2, [1, None], instant)]
    finally:
        probe.drop(engine)
