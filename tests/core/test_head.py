"""HEAD on every GET address (uptime monitors, link checkers): the GET's status and headers,
Content-Length included, and no body; If-None-Match gives 304 as for GET."""

import pytest

from tests import factories
from tests.utils.problems import assert_problem


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/api/v1/public/events",
                                  "/api/v1/public/seals"])
def test_head_answers_like_get_without_a_body(client, path):
    got = client.get(path)
    head = client.head(path)
    assert got.status_code == 200, got.text
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.content))
    assert head.headers["content-type"] == got.headers["content-type"]


def test_head_of_a_public_calendar_file(client, session):
    event = factories.make_event(session, is_public=True)
    path = f"/api/v1/public/events/{event.id}/calendar.ics"
    head = client.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/calendar")
    assert int(head.headers["content-length"]) == len(client.get(path).content)


def test_head_keeps_authorization_and_conditional_requests(client, admin, alliance):
    path = f"/api/v1/alliances/{alliance.id}"
    assert client.head(path).status_code == 401
    got = client.get(path, headers=admin)
    head = client.head(path, headers=admin)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    again = client.head(path, headers={**admin, "If-None-Match": got.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_a_405_lists_head_beside_get(client, admin):
    body = client.put("/api/v1/public/events", headers=admin)
    assert_problem(body, 405, "method_not_allowed")
    assert body.headers["allow"] == "GET, HEAD"


def test_head_is_not_taken_where_there_is_no_get(client, admin):
    assert client.head("/api/v1/auth/token").status_code == 405
