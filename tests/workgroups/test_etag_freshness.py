"""ETags of workgroups: a 304 only while the reply would be the same. ``member_count`` and the
caller's ``my_status`` change with the members' rows, not with the workgroup's version; If-Match
on a write still compares that version only (core/etags.py)."""

import pytest

from tests import factories
from tests.utils.etags import row_tag
from tests.utils.problems import assert_problem
from tests.workgroups.helpers import url


@pytest.fixture
def staffed(session, cycles, people):
    """Alliances a and b are active members."""
    return factories.make_workgroup(session, cycles["current"], members=[people["a"], people["b"]])


def _revalidate(client, target, headers, etag):
    return client.get(target, headers={**headers, "If-None-Match": etag})


def test_a_member_leaving_changes_the_workgroup_etag(client, admin, staffed, users):
    before = client.get(url(staffed.id), headers=admin)
    assert before.json()["member_count"] == 2
    assert _revalidate(client, url(staffed.id), admin, before.headers["ETag"]).status_code == 304

    client.post(url(staffed.id, "/membership/leave"), headers=users["a"]).raise_for_status()

    after = _revalidate(client, url(staffed.id), admin, before.headers["ETag"])
    assert after.status_code == 200
    assert after.json()["member_count"] == 1
    assert after.json()["version"] == before.json()["version"]
    assert _revalidate(client, url(staffed.id), admin, after.headers["ETag"]).status_code == 304


def test_the_callers_own_status_is_part_of_the_etag(client, staffed, users):
    member = client.get(url(staffed.id), headers=users["a"])
    outsider = client.get(url(staffed.id), headers=users["d"])
    assert member.json()["my_status"] == "active" and outsider.json()["my_status"] is None

    assert member.headers["ETag"] != outsider.headers["ETag"]
    assert _revalidate(client, url(staffed.id), users["d"], member.headers["ETag"]).status_code \
        == 200

    client.post(url(staffed.id, "/membership/leave"), headers=users["a"]).raise_for_status()
    again = _revalidate(client, url(staffed.id), users["a"], member.headers["ETag"])
    assert again.status_code == 200 and again.json()["my_status"] != "active"


def test_read_then_patch_with_the_etag_succeeds_while_only_members_moved(client, admin, staffed,
                                                                         users):
    etag = client.get(url(staffed.id), headers=admin).headers["ETag"]
    client.post(url(staffed.id, "/membership/leave"), headers=users["b"]).raise_for_status()

    ok = client.patch(url(staffed.id), json={"title": "Arbeitsrunde Pflege und Familie"},
                      headers={**admin, "If-Match": etag})

    assert ok.status_code == 200, ok.text
    stale = client.patch(url(staffed.id), json={"title": "Arbeitsrunde Pflege"},
                         headers={**admin, "If-Match": etag})
    assert_problem(stale, 412, "precondition_failed")
    assert stale.json()["current_etag"] == row_tag(ok.headers["ETag"])
