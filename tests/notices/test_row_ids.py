"""Alliance ids beyond the 32-bit serial are invalid input (422 naming the item), not a driver
overflow (500). Found by tests/trust/test_fuzz.py."""

from app.core.ids import MAX_ROW_ID
from tests.utils.problems import assert_problem


def test_out_of_range_alliance_ids_are_invalid_input(client, admin, cycle, alliance):
    response = client.post(f"/api/v1/cycles/{cycle.slug}/notices", headers=admin,
                           json={"alliance_ids": [alliance.id, 10**30, MAX_ROW_ID + 1]})
    problem = assert_problem(response, 422, "validation_error")
    locs = [error["loc"] for error in problem["errors"]]
    assert ["body", "alliance_ids", 1] in locs and ["body", "alliance_ids", 2] in locs
    assert ["body", "alliance_ids", 0] not in locs


def test_largest_alliance_id_is_just_unknown(client, admin, cycle):
    response = client.post(f"/api/v1/cycles/{cycle.slug}/notices", headers=admin,
                           json={"alliance_ids": [MAX_ROW_ID]})
    problem = assert_problem(response, 422, "not_eligible")
    assert problem["errors"] == [{"loc": ["body", "alliance_ids", 0],
                                  "msg": f"no alliance {MAX_ROW_ID}", "type": "not_found"}]
