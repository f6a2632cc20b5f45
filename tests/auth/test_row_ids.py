"""Ids beyond the 32-bit serials behind them are invalid input (422 naming the field), not a
driver overflow (500). Found by tests/trust/test_fuzz.py; the largest valid id is just missing."""

import pytest

from app.core.ids import MAX_ROW_ID
from tests.utils.problems import assert_problem

HUGE = 10**30


@pytest.mark.parametrize(("method", "url", "body", "loc"), [
    ("GET", f"/api/v1/users/{HUGE}", None, ["path", "user_id"]),
    ("GET", f"/api/v1/users/{MAX_ROW_ID + 1}", None, ["path", "user_id"]),
    ("GET", "/api/v1/users/0", None, ["path", "user_id"]),
    ("GET", f"/api/v1/users?alliance_id={HUGE}", None, ["query", "alliance_id"]),
    ("PATCH", "/api/v1/users/1", {"alliance_id": -(HUGE)}, ["body", "alliance_id"]),
    ("POST", "/api/v1/users", {"email": "neu@example.org", "full_name": "Neue Person",
                               "role": "alliance_user", "alliance_id": HUGE}, ["body", "alliance_id"]),
    ("POST", f"/api/v1/users/{HUGE}/invitation", None, ["path", "user_id"]),
    ("GET", f"/api/v1/clients/{HUGE}", None, ["path", "client_pk"]),
    ("POST", f"/api/v1/clients/{HUGE}/secret", None, ["path", "client_pk"]),
    ("POST", "/api/v1/clients", {"name": "Landesportal", "scopes": ["alliances:read"],
                                 "allowed_alliance_ids": [HUGE]}, ["body", "allowed_alliance_ids", 0]),
    ("PATCH", "/api/v1/clients/1", {"allowed_alliance_ids": [1, HUGE]}, ["body", "allowed_alliance_ids", 1]),
    ("DELETE", f"/api/v1/me/tokens/{HUGE}", None, ["path", "token_id"]),
])
def test_out_of_range_id_is_invalid_input(client, admin, method, url, body, loc):
    response = client.request(method, url, headers=admin, json=body)
    problem = assert_problem(response, 422, "validation_error")
    assert loc in [error["loc"] for error in problem["errors"]]


@pytest.mark.parametrize("url", [
    f"/api/v1/users/{MAX_ROW_ID}", f"/api/v1/clients/{MAX_ROW_ID}",
])
def test_largest_id_is_simply_not_found(client, admin, url):
    assert_problem(client.get(url, headers=admin), 404)


def test_largest_id_in_a_body_is_an_unknown_alliance(client, admin):
    response = client.post("/api/v1/users", headers=admin, json={
        "email": "neu@example.org", "full_name": "Neue Person", "role": "alliance_user",
        "alliance_id": MAX_ROW_ID,
    })
    problem = assert_problem(response, 422)
    assert ["body", "alliance_id"] in [error["loc"] for error in problem["errors"]]
