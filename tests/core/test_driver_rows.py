"""Rows handed to the driver ready-made store what the ORM stores for the same values."""

from datetime import UTC, datetime

from sqlalchemy import text

from app.core.bulk import driver_converter
from app.core.db import table_of
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
