"""Alliance ids beyond the 32-bit serial are invalid input, not a driver overflow (500): in the
response path (422) and in a batch item (that item rejected, the others written). Found by
tests/trust/test_fuzz.py."""

import pytest

from app.core.ids import MAX_ROW_ID
from tests import factories
from tests.surveys.helpers import response_count, responses_url
from tests.utils.problems import assert_problem, error_locs

HUGE = 10**30


@pytest.mark.parametrize(("method", "tail"), [
    ("GET", ""), ("PUT", ""), ("POST", "/submit"), ("GET", "/history"),
])
def test_out_of_range_alliance_in_the_path_is_invalid_input(client, admin, cycle, method, tail):
    body = {"answers": {}, "mode": "admin_entry"} if method == "PUT" else None
    response = client.request(method, f"{responses_url(cycle)}/{HUGE}{tail}", headers=admin, json=body)
    problem = assert_problem(response, 422, "validation_error")
    assert ["path", "alliance_id"] in error_locs(problem)


def test_largest_alliance_id_is_simply_not_found(client, admin, cycle):
    assert_problem(client.get(f"{responses_url(cycle)}/{MAX_ROW_ID}", headers=admin), 404)


def test_out_of_range_alliance_in_a_batch_rejects_that_item_only(client, session, cycle, alliance):
    pusher = factories.client_headers(factories.make_client(session, alliances=[alliance]))
    items = [
        {"alliance": alliance.id, "answers": dict(factories.GOOD_ANSWERS), "ref": "good"},
        {"alliance": HUGE, "answers": dict(factories.GOOD_ANSWERS), "ref": "huge"},
        {"alliance": MAX_ROW_ID + 1, "answers": {}, "ref": "just-beyond"},
    ]
    response = client.post(f"{responses_url(cycle)}:batch", headers=pusher, json={"items": items})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["rejected"]) == (1, 2)
    rejected = [item for item in result["items"] if item["status"] == "rejected"]
    assert [item["ref"] for item in rejected] == ["huge", "just-beyond"]
    assert all(item["problem"]["code"] == "invalid_item" for item in rejected)
    assert all(e["loc"][:4] == ["body", "items", 1, "alliance"] for e in rejected[0]["problem"]["errors"])
    assert response_count(session, cycle) == 1
