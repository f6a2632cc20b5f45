"""Results: drafts for members and admins, published ones for every signed-in alliance and
(title, summary, topic) the public list; members write drafts, the Servicebüro publishes."""

import pytest

from tests import factories
from tests.utils.problems import assert_problem
from tests.workgroups.helpers import url

PUBLIC = "/api/v1/public/workgroup-results"


@pytest.fixture
def group(session, cycles, people):
    return factories.make_workgroup(session, cycles["current"], topic=2,
                                    members=[people["a"], people["c"]])


def result_body(**overrides):
    data = {"title": "Leitfaden Kinderbetreuung", "summary": "Zehn Schritte",
            "body": "## Ausgangslage\n\nText", "links": [
                {"label": "PDF", "url": "https://www.example.org/leitfaden.pdf"}]}
    data.update(overrides)
    return data


def test_member_drafts_admin_publishes_everyone_reads(client, admin, group, people, users):
    r = client.post(url(group.id, "/results"), json=result_body(), headers=users["a"])
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["topic"]["number"] == 2
    assert [a["id"] for a in draft["authors"]] == [people["a"].id]
    rid = draft["id"]
    # drafts: member and admin yes, non-member alliance no (404), public list no
    assert client.get(url(group.id, f"/results/{rid}"), headers=users["c"]).status_code == 200
    assert client.get(url(group.id, f"/results/{rid}"), headers=admin).status_code == 200
    assert_problem(client.get(url(group.id, f"/results/{rid}"), headers=users["d"]), 404,
                   "workgroup_result_not_found")
    assert client.get(url(group.id, "/results"), headers=users["d"]).json()["items"] == []
    assert client.get(PUBLIC).json()["items"] == []
    # members change drafts with If-Match; only admins publish
    etag = client.get(url(group.id, f"/results/{rid}"), headers=users["a"]).headers["ETag"]
    changed = client.patch(url(group.id, f"/results/{rid}"),
                           json={"authors": [people["a"].id, people["c"].id]},
                           headers={**users["c"], "If-Match": etag})
    assert changed.status_code == 200 and len(changed.json()["authors"]) == 2
    assert_problem(client.patch(url(group.id, f"/results/{rid}"), json={"title": "Neuer Titel"},
                                headers={**users["a"], "If-Match": etag}), 412)
    assert_problem(client.post(url(group.id, f"/results/{rid}/publish"), headers=users["a"]), 403)
    published = client.post(url(group.id, f"/results/{rid}/publish"), headers=admin)
    assert published.status_code == 200 and published.json()["published_at"]
    assert_problem(client.post(url(group.id, f"/results/{rid}/publish"), headers=admin), 409,
                   "invalid_transition")
    # published: every signed-in alliance, and the public list without the body
    seen = client.get(url(group.id, f"/results/{rid}"), headers=users["d"])
    assert seen.status_code == 200 and seen.json()["body"].startswith("## Ausgangslage")
    public = client.get(PUBLIC).json()["items"]
    assert [(p["id"], p["topic"]["number"], p["cycle_key"]) for p in public] == [
        (rid, 2, "2024/25")]
    assert "body" not in public[0] and "authors" not in public[0]
    assert [p["id"] for p in client.get(PUBLIC, params={"topic": 2}).json()["items"]] == [rid]
    assert client.get(PUBLIC, params={"topic": 1}).json()["items"] == []
    assert client.get(PUBLIC, params={"cycle": "2023-24"}).json()["items"] == []
    assert_problem(client.get(PUBLIC, params={"cycle": "zz"}), 422, "unknown_reference")
    # a published result is the Servicebüro's to change
    assert_problem(client.patch(url(group.id, f"/results/{rid}"), json={"title": "Anders gut"},
                                headers=users["a"]), 409, "result_published")
    unpublished = client.post(url(group.id, f"/results/{rid}/unpublish"), headers=admin)
    assert unpublished.json()["status"] == "draft" and client.get(PUBLIC).json()["items"] == []


def test_non_members_cannot_write(client, group, people, users, partner):
    assert_problem(client.post(url(group.id, "/results"), json=result_body(), headers=users["d"]),
                   403, "workgroup_members_only")
    assert_problem(client.post(url(group.id, "/results"), json=result_body(), headers=partner),
                   403)
    assert_problem(client.post(url(group.id, "/results"), json=result_body()), 401)


@pytest.mark.parametrize(("change", "code"), [
    ({"title": "x" * 301}, "validation_error"), ({"summary": ""}, "validation_error"),
    ({"body": "y" * 50_001}, "validation_error"), ({"links": [{"label": "a", "url": "ftp://x"}]},
                                                   "validation_error"),
    ({"links": [{"label": "a", "url": "https://x.org"}] * 21}, "validation_error"),
    ({"authors": [999999]}, "invalid_authors"), ({"extra": True}, "validation_error"),
])
def test_bad_result_input(client, admin, group, people, change, code):
    assert_problem(client.post(url(group.id, "/results"), json=result_body(**change),
                               headers=admin), 422, code)


def test_authors_must_be_active_members(client, admin, group, people):
    r = client.post(url(group.id, "/results"), json=result_body(authors=[people["d"].id]),
                    headers=admin)
    assert_problem(r, 422, "invalid_authors")
    ok = client.post(url(group.id, "/results"), json=result_body(authors=[]), headers=admin)
    assert ok.status_code == 201 and ok.json()["authors"] == []


def test_draft_of_another_workgroup_is_404(client, admin, session, cycles, group, users):
    other = factories.make_workgroup(session, cycles["current"])
    draft = factories.make_workgroup_result(session, other)
    assert_problem(client.get(url(group.id, f"/results/{draft.id}"), headers=admin), 404)
    assert_problem(client.patch(url(other.id, f"/results/{draft.id}"), json={"bad": 1},
                                headers=users["d"]), 403)
