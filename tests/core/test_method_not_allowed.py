"""A 405 lists every method the resource supports in ``Allow`` (RFC 9110 §15.5.6), not only those
of the first route whose pattern matched: several routes share a path (found by the API fuzzer's
allow-header check)."""

import pytest

from tests.utils.problems import assert_problem


@pytest.mark.parametrize(("method", "url", "allow"), [
    ("PUT", "/api/v1/users/1", "GET, HEAD, PATCH"),
    ("OPTIONS", "/api/v1/clients/1", "GET, HEAD, PATCH, DELETE"),
    ("DELETE", "/api/v1/me/tokens", "GET, HEAD, POST"),
    ("PATCH", "/api/v1/cycles/2024-25/questions", "GET, HEAD, POST, PUT"),
    ("POST", "/healthz", "GET, HEAD"),
])
def test_405_allows_every_method_of_the_path(client, admin, method, url, allow):
    response = client.request(method, url, headers=admin)
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allow


def test_allowed_methods_really_are_allowed(client, admin):
    allowed = client.request("PUT", "/api/v1/users/1", headers=admin).headers["allow"].split(", ")
    for method in allowed:
        assert client.request(method, "/api/v1/users/1", headers=admin, json={}).status_code != 405
