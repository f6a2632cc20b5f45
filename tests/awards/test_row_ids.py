"""Award and alliance ids beyond the 32-bit serial are invalid input (422 naming the field), not
a driver overflow (500). Found by tests/trust/test_fuzz.py."""

import pytest

from app.core.ids import MAX_ROW_ID
from tests.awards.helpers import cycle_url
from tests.utils.problems import assert_problem

HUGE = 10**30


@pytest.mark.parametrize(("method", "url", "body", "loc"), [
    ("GET", f"/api/v1/awards/{HUGE}", None, ["path", "award_id"]),
    ("GET", f"/api/v1/awards/{MAX_ROW_ID + 1}/certificate.pdf", None, ["path", "award_id"]),
    ("POST", f"/api/v1/awards/{HUGE}/withdraw", {"reason": "Das Bündnis hat sich aufgelöst."},
     ["path", "award_id"]),
])
def test_out_of_range_award_id_is_invalid_input(client, admin, method, url, body, loc):
    problem = assert_problem(client.request(method, url, headers=admin, json=body), 422, "validation_error")
    assert loc in [error["loc"] for error in problem["errors"]]


@pytest.mark.parametrize(("tail", "body", "loc"), [
    ("awards", {"alliance_id": HUGE, "reason": "Nachträglich anerkannt"}, ["body", "alliance_id"]),
    ("awards:confirm", {"alliance_ids": [1, HUGE]}, ["body", "alliance_ids", 1]),
])
def test_out_of_range_alliance_id_is_invalid_input(client, admin, cycle, tail, body, loc):
    response = client.post(cycle_url(cycle, tail), headers=admin, json=body)
    problem = assert_problem(response, 422, "validation_error")
    assert loc in [error["loc"] for error in problem["errors"]]


def test_largest_award_id_is_simply_not_found(client, admin):
    assert_problem(client.get(f"/api/v1/awards/{MAX_ROW_ID}", headers=admin), 404)
