"""Workgroups: create, change (If-Match), list with filters, who sees what, bad input."""

import pytest

from tests import factories
from tests.utils.problems import assert_problem
from tests.workgroups.helpers import url


def body(**overrides):
    data = {"cycle": "2024-25", "topic": 1, "title": "Arbeitsrunde Pflege und Beruf",
            "description": "Pflegende Angehörige im Beruf", "region": "Metropolregion Nürnberg",
            "status": "active"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_creates_and_everyone_signed_in_sees_it(client, admin, cycles, alliance,
                                                      alliance_user):
    r = client.post(url(), json=body(), headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["topic"]["number"] == 1 and created["cycle"]["key"] == "2024/25"
    assert created["region"] == "Metropolregion Nürnberg" and created["member_count"] == 0
    assert r.headers["Location"] == f"/api/v1/workgroups/{created['id']}"
    seen = client.get(url(created["id"]), headers=alliance_user(alliance))
    assert seen.status_code == 200 and seen.json()["my_status"] is None
    assert client.get(url(created["id"])).status_code == 401


@pytest.mark.parametrize(("field", "value", "code"), [
    ("topic", 5, "validation_error"), ("topic", 0, "validation_error"),
    ("cycle", "1999-00", "unknown_reference"), ("title", "x" * 301, "validation_error"),
    ("title", "Pflege\u202eBeruf", "validation_error"), ("region", "y" * 201, "validation_error"),
    ("status", "archived", "validation_error"), ("extra", 1, "validation_error"),
    ("description", "Ergebnis\u202eumgedreht", "validation_error"),
])
def test_bad_input_is_refused(client, admin, cycles, field, value, code):
    r = client.post(url(), json=body(**{field: value}), headers=admin)
    assert_problem(r, 422, code)
    assert field in str(r.json()["errors"])


def test_only_admins_create(client, alliance, alliance_user, partner, cycles):
    assert_problem(client.post(url(), json=body(), headers=alliance_user(alliance)), 403)
    assert_problem(client.post(url(), json=body(), headers=partner), 403)


def test_update_with_if_match(client, admin, workgroup):
    r = client.get(url(workgroup.id), headers=admin)
    etag = r.headers["ETag"]
    stale = client.patch(url(workgroup.id), json={"status": "closed"},
                         headers={**admin, "If-Match": '"workgroup-1-v999"'})
    assert_problem(stale, 412, "precondition_failed")
    ok = client.patch(url(workgroup.id), json={"status": "closed", "topic": 3},
                      headers={**admin, "If-Match": etag})
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "closed" and ok.json()["topic"]["number"] == 3
    assert ok.json()["version"] == 2 and ok.headers["ETag"] != etag
    assert_problem(client.patch(url(workgroup.id), json={"title": None}, headers=admin), 422)
    assert_problem(client.patch(url(workgroup.id), json={"cycle": "2023-24"}, headers=admin), 422)
    assert_problem(client.patch(url(999999), json={"title": "Neu und gut"}, headers=admin), 404,
                   "workgroup_not_found")


def test_list_filters(client, admin, session, cycles, alliance, alliance_user):
    a = factories.make_workgroup(session, cycles["current"], topic=1)
    b = factories.make_workgroup(session, cycles["current"], topic=2, status="closed")
    c = factories.make_workgroup(session, cycles["previous"], topic=2)

    def ids(**params):
        r = client.get(url(), params=params, headers=admin)
        assert r.status_code == 200, r.text
        return {w["id"] for w in r.json()["items"]}

    assert ids(cycle="2024-25") == {a.id, b.id}
    assert ids(topic=2) == {b.id, c.id}
    assert ids(status="closed") == {b.id}
    assert_problem(client.get(url(), params={"cycle": "nope"}, headers=admin), 422,
                   "unknown_reference")
    assert_problem(client.get(url(), params={"topic": 9}, headers=admin), 422)
    everyone = client.get(url(), headers=alliance_user(alliance)).json()["items"]
    assert {w["id"] for w in everyone} >= {a.id, b.id, c.id}
