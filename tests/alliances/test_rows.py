"""Pure rules of the import and the listing cursor: table-driven and property tests, no database."""

import base64
import json
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.alliances import importer, service
from app.core.errors import RuleViolation


@pytest.mark.parametrize(("raw", "partners"), [
    ("", []),
    ("Stadt Fürth:municipality", [{"name": "Stadt Fürth", "sector": "municipality"}]),
    (" Caritas : Welfare | Kita e.V.:education ", [
        {"name": "Caritas", "sector": "welfare"}, {"name": "Kita e.V.", "sector": "education"}]),
    ("Bäckerei Beck", [{"name": "Bäckerei Beck", "sector": "other"}]),
    ("Firma: Sitz Fürth:business", [{"name": "Firma: Sitz Fürth", "sector": "business"}]),
    ("A:business||", [{"name": "A", "sector": "business"}]),
])
def test_partners_cell(raw: str, partners: list[dict[str, str]]) -> None:
    assert importer._parse_partners(raw) == partners


@pytest.mark.parametrize(("values", "payload"), [
    ({"name": " Bündnis ", "level": "City", "state": "de-by"},
     {"name": "Bündnis", "level": "city", "state": "DE-BY"}),
    ({"name": "B", "founded_on": "1.3.2005"}, {"name": "B", "founded_on": "2005-03-01"}),
    ({"name": "B", "founded_on": "2005-03-01"}, {"name": "B", "founded_on": "2005-03-01"}),
    ({"name": "B", "founded_on": "31.02.2005"}, {"name": "B", "founded_on": "2005-02-31"}),
    ({"name": "B", "listed_in_finder": "Ja"}, {"name": "B", "listed_in_finder": True}),
    ({"name": "B", "listed_in_finder": "x"}, {"name": "B", "listed_in_finder": True}),
    ({"name": "B", "listed_in_finder": "nein"}, {"name": "B", "listed_in_finder": False}),
    ({"name": "B", "listed_in_finder": "?"}, {"name": "B", "listed_in_finder": "?"}),
    ({"name": "B", "listed_in_finder": "", "ags": " ", "partners": ""}, {"name": "B"}),
    ({"name": "B", "unknown": "ignored"}, {"name": "B"}),
])
def test_row_to_payload(values: dict[str, str], payload: dict[str, Any]) -> None:
    assert importer._row_to_payload(values) == payload


@pytest.mark.parametrize(("column", "value", "text"), [
    ("name", None, ""),
    ("listed_in_finder", True, "true"),
    ("listed_in_finder", False, "false"),
    ("founded_on", datetime(2005, 3, 1, 0, 0), "2005-03-01"),
    ("founded_on", date(2005, 3, 1), "2005-03-01"),
    ("description", time(9, 30), "09:30:00"),
    ("ags", 9563000, "09563000"),
    ("ags", 9563000.0, "09563000"),
    ("ags", 11000000, "11000000"),
    ("ags", 123456789, "123456789"),
    ("name", 2005.0, "2005"),
    ("name", 2.5, "2.5"),
    ("name", "Fürth", "Fürth"),
])
def test_xlsx_cell_text(column: str, value: object, text: str) -> None:
    assert importer._cell_text(column, value) == text


def _encoded(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("sort", ["name", "-name", "created_at", "-created_at", "id", "-id"])
def test_cursor_round_trip(sort: service.SortField) -> None:
    value = {"name": "Bündnis Fürth", "created_at": datetime(2024, 5, 1, 12, 0, 0, 5, tzinfo=UTC),
             "id": 42}[sort.lstrip("-")]
    cursor = _encoded([value.isoformat() if isinstance(value, datetime) else value, 7])
    clause = service._sort_key(sort).after(cursor)
    params = clause.compile().params
    assert value in params.values() and 7 in params.values()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children,
                                                                        max_size=3),
    max_leaves=6,
)


@given(sort=st.sampled_from(["name", "-name", "created_at", "-created_at", "id", "-id"]),
       values=st.lists(json_values, min_size=0, max_size=3))
def test_any_tampered_cursor_is_a_rule_violation_or_typed(sort: service.SortField,
                                                           values: list[Any]) -> None:
    """Whatever a client puts in a cursor, the server answers 422 or binds well-typed values."""
    try:
        clause = service._sort_key(sort).after(_encoded(values))
    except RuleViolation as exc:
        assert exc.errors == [{"loc": ["query", "cursor"], "msg": "invalid cursor",
                               "type": "cursor_invalid"}]
        return
    value, row_id = values
    assert isinstance(row_id, int) and not isinstance(row_id, bool)
    expected = {"name": str, "created_at": str, "id": int}[sort.lstrip("-")]
    assert isinstance(value, expected) and not isinstance(value, bool)
    assert clause is not None


@given(st.text(max_size=40))
def test_any_cursor_string_is_a_rule_violation_or_a_clause(cursor: str) -> None:
    try:
        clause = service._sort_key("created_at").after(cursor)
    except RuleViolation as exc:
        assert exc.status == 422
        return
    assert clause is not None
