"""The one check that a response is an RFC 9457 problem document (every test package uses it)."""

from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is a problem document with this status (and code); returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "code", "instance"} <= body.keys(), body
    for field in ("type", "title", "detail", "code"):
        assert body[field], f"{field} empty in {body}"
    assert body["type"].startswith("https://")
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


def error_locs(body: dict[str, Any]) -> list[list[str | int]]:
    """The ``loc`` of every field error of a problem document."""
    return [error["loc"] for error in body.get("errors") or []]


def error_loc_tuples(body: dict[str, Any]) -> list[tuple[str | int, ...]]:
    """The same locations as tuples, for comparing as sets."""
    return [tuple(loc) for loc in error_locs(body)]
