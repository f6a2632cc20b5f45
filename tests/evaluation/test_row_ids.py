"""Run and alliance ids beyond the 32-bit serial are invalid input (422 naming the field), not a
driver overflow (500). Found by tests/trust/test_fuzz.py."""

import pytest

from app.core.ids import MAX_ROW_ID
from tests.evaluation.helpers import cycle_url
from tests.utils.problems import assert_problem

HUGE = 10**30


@pytest.mark.parametrize(("tail", "loc"), [
    (f"evaluation/runs/{HUGE}", ["path", "run_id"]),
    (f"evaluation/runs/{MAX_ROW_ID + 1}", ["path", "run_id"]),
    (f"evaluations?run_id={HUGE}", ["query", "run_id"]),
    (f"evaluations/{HUGE}", ["path", "alliance_id"]),
])
def test_out_of_range_id_is_invalid_input(client, admin, cycle, tail, loc):
    problem = assert_problem(client.get(cycle_url(cycle, tail), headers=admin), 422, "validation_error")
    assert loc in [error["loc"] for error in problem["errors"]]


@pytest.mark.parametrize("tail", [f"evaluation/runs/{MAX_ROW_ID}", f"evaluations/{MAX_ROW_ID}"])
def test_largest_id_is_simply_not_found(client, admin, cycle, tail):
    assert_problem(client.get(cycle_url(cycle, tail), headers=admin), 404)
