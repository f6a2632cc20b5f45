"""The ``{cycle}`` path segment takes an id, a slug or a key. Digits that are no row id (beyond
the 32-bit serial, or not ASCII: "²" is a digit to str.isdigit but not to int) name no cycle:
404, never a 500 (found by tests/trust/test_fuzz.py)."""

import pytest

from app.core.ids import MAX_ROW_ID
from tests import factories
from tests.utils.problems import assert_problem


@pytest.mark.parametrize("ref", ["99999999999999999999", str(MAX_ROW_ID + 1), "²", "٣", "0"])
def test_digits_that_name_no_row_are_not_found(client, admin, ref):
    assert_problem(client.get(f"/api/v1/cycles/{ref}", headers=admin), 404, "cycle_not_found")


def test_id_slug_and_key_still_resolve(client, admin, session):
    cycle = factories.make_cycle(session)
    for ref in (str(cycle.id), cycle.slug, f"{cycle.id:0>8}"):
        response = client.get(f"/api/v1/cycles/{ref}", headers=admin)
        assert response.status_code == 200, ref
        assert response.json()["id"] == cycle.id
