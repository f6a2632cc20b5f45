"""``keyset_after``, the condition behind every cursor: on both databases it admits exactly the
rows after the cursor's values in the list's order (ascending and descending, one to three
columns, inclusive), with equal leading values, and refuses a cursor of the wrong length."""

from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.core.pagination import keyset_after, parser_for
from app.evaluation.models import Evaluation
from tests.factories import make_alliance

# (name, municipality): equal names and equal pairs, so that later columns decide.
ROWS = [("Alpha", "Bonn"), ("Alpha", "Bonn"), ("Alpha", "Celle"), ("Beta", "Aachen"),
        ("Beta", "Celle"), ("Gamma", "Aachen"), ("Gamma", "Aachen"), ("Delta", "Bonn")]
ORDERS = [("name",), ("name", "id"), ("name", "municipality", "id"), ("municipality", "name", "id")]


@pytest.fixture
def ids(session: Session) -> list[int]:
    made = [make_alliance(session, name=name, municipality=town) for name, town in ROWS]
    return [alliance.id for alliance in made if alliance.id is not None]


def _rows(session: Session, ids: list[int], *condition: Any) -> list[tuple[Any, ...]]:
    query = (select(Alliance.id, Alliance.name, Alliance.municipality)
             .where(col(Alliance.id).in_(ids), *condition))
    return [tuple(row) for row in session.exec(query).all()]


def _key(row: tuple[Any, ...], order: tuple[str, ...]) -> tuple[Any, ...]:
    record = {"id": row[0], "name": row[1], "municipality": row[2]}
    return tuple(record[name] for name in order)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("inclusive", [False, True])
def test_admits_exactly_the_rows_after_the_cursor(session: Session, ids: list[int],
                                                  order: tuple[str, ...], descending: bool,
                                                  inclusive: bool) -> None:
    every = _rows(session, ids)
    columns = [col(getattr(Alliance, name)) for name in order]
    for cursor_row in every:
        cursor = _key(cursor_row, order)
        got = _rows(session, ids, keyset_after(columns, cursor, descending=descending,
                                               inclusive=inclusive))

        def after(row: tuple[Any, ...], cursor: tuple[Any, ...] = cursor) -> bool:
            key = _key(row, order)
            if inclusive and key == cursor:
                return True
            return key < cursor if descending else key > cursor

        expected = [row for row in every if after(row)]
        assert sorted(got) == sorted(expected), (order, descending, inclusive, cursor)


def test_walking_a_list_by_cursor_visits_every_row_once(session: Session, ids: list[int]) -> None:
    order = ("name", "municipality", "id")
    columns = [col(getattr(Alliance, name)) for name in order]
    for descending in (False, True):
        seen: list[int] = []
        condition: list[Any] = []
        while True:
            query = (select(Alliance.id, Alliance.name, Alliance.municipality)
                     .where(col(Alliance.id).in_(ids), *condition)
                     .order_by(*(c.desc() if descending else c.asc() for c in columns)).limit(3))
            page: list[tuple[Any, ...]] = [tuple(row) for row in session.exec(query).all()]
            if not page:
                break
            seen += [row[0] for row in page]
            condition = [keyset_after(columns, _key(page[-1], order), descending=descending)]
        assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))


@pytest.mark.parametrize(("columns", "values"), [((), ()), (("a", "b"), (1,)), (("a",), (1, 2))])
def test_a_cursor_of_the_wrong_length_is_a_programming_error(columns: tuple[Any, ...],
                                                             values: tuple[Any, ...]) -> None:
    with pytest.raises(ValueError, match="one value per column"):
        keyset_after(columns, values)


def test_the_condition_leads_with_a_bound_an_index_scan_can_start_from() -> None:
    name, alliance_id = col(Alliance.name), col(Alliance.id)
    sql = str(keyset_after((name, alliance_id), ("x", 3)).compile(
        compile_kwargs={"literal_binds": True}))
    assert sql.startswith("alliance.name >= 'x' AND (")
    assert sql.endswith("alliance.name > 'x' OR alliance.name = 'x' AND alliance.id > 3)")


@pytest.mark.parametrize("value", ["19.5", True, None, [1.0], float("inf"), float("nan")])
def test_a_cursor_value_for_a_real_column_must_be_a_finite_number(value: Any) -> None:
    """A string compared with a REAL column is a driver error on PostgreSQL (a 500 before this
    check); a bool or a non-finite number would page from nowhere."""
    parse = parser_for(col(Evaluation.activity_score))
    with pytest.raises((TypeError, ValueError)):
        parse(value)


@pytest.mark.parametrize(("value", "expected"), [(19.5, 19.5), (3, 3.0), (0, 0.0)])
def test_a_real_column_reads_numbers_back_as_floats(value: Any, expected: float) -> None:
    assert parser_for(col(Evaluation.activity_score))(value) == expected
