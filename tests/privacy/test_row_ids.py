"""Ids beyond the 32-bit serial are invalid input (422 naming the field), not a driver overflow
(500). Found by tests/trust/test_fuzz.py."""

import pytest

from app.core.ids import MAX_ROW_ID
from tests.utils.problems import assert_problem

HUGE = 10**30


@pytest.mark.parametrize(("method", "url", "loc"), [
    ("GET", f"/api/v1/alliances/{HUGE}/personal-data", ["path", "alliance_id"]),
    ("POST", f"/api/v1/people/contact/{HUGE}:erase", ["path", "person_id"]),
    ("POST", f"/api/v1/people/user/{MAX_ROW_ID + 1}:erase", ["path", "person_id"]),
])
def test_out_of_range_id_is_invalid_input(client, admin, method, url, loc):
    problem = assert_problem(client.request(method, url, headers=admin), 422, "validation_error")
    assert loc in [error["loc"] for error in problem["errors"]]


@pytest.mark.parametrize(("method", "url"), [
    ("GET", f"/api/v1/alliances/{MAX_ROW_ID}/personal-data"),
    ("POST", f"/api/v1/people/contact/{MAX_ROW_ID}:erase"),
])
def test_largest_id_is_simply_not_found(client, admin, method, url):
    assert_problem(client.request(method, url, headers=admin), 404)
