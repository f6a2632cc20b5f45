"""A body the framework cannot parse is invalid input like any other: 422 problem+json with
errors[] naming the body, never an undocumented 400 (found by tests/trust/test_fuzz.py)."""

import pytest

from tests.utils.problems import assert_problem


@pytest.mark.parametrize(("path", "content", "content_type"), [
    ("/api/v1/auth/refresh", b'{"refresh_token": "caf\xe9"}', "application/json"),  # Latin-1, not UTF-8
    ("/api/v1/auth/refresh", b"\x1c\x8f\x91[V\xe9\x04w", "application/json"),   # bytes, not text
    ("/api/v1/auth/token", b"--xx\r\nbroken--xx--\r\n", "multipart/form-data; boundary=xx"),
])
def test_unreadable_body_is_a_422_naming_the_body(client, path, content, content_type):
    response = client.post(path, content=content, headers={"Content-Type": content_type})
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == [{"loc": ["body"], "msg": "unreadable body", "type": "body_unreadable"}]
    assert "caf" not in body["detail"] and "broken" not in body["detail"], "no echo of the input"


def test_broken_multipart_upload_is_a_422(client, admin):
    response = client.post(
        "/api/v1/alliances/import", headers={**admin, "Content-Type": "multipart/form-data; boundary=b1"},
        content=b"--b1\r\nFalse--b1--\r\n",
    )
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["body"]


def test_json_syntax_error_keeps_its_own_422(client):
    response = client.post("/api/v1/auth/refresh", content=b'{"refresh_token": ',
                           headers={"Content-Type": "application/json"})
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["type"] == "json_invalid"


def test_other_framework_errors_keep_their_status(client):
    assert_problem(client.get("/api/v1/no-such-route"), 404, "not_found")
    assert_problem(client.request("PATCH", "/healthz"), 405, "method_not_allowed")
