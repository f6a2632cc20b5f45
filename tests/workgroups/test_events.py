"""Events held for a workgroup: workgroup_id on create/update/read, and generating the
invitations invites exactly the workgroup's active members."""

from sqlmodel import select

from app.events.models import EventInvitation
from tests import factories
from tests.events.helpers import new_event
from tests.utils.problems import assert_problem


def test_event_of_a_workgroup_invites_its_active_members(client, admin, session, cycles, people,
                                                         users):
    workgroup = factories.make_workgroup(session, cycles["current"],
                                         members=[people["a"], people["d"]])
    client.post(f"/api/v1/workgroups/{workgroup.id}/membership", json={}, headers=users["c"])
    created = client.post("/api/v1/events", json=new_event(workgroup_id=workgroup.id),
                          headers=admin)
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["workgroup_id"] == workgroup.id
    first = client.post(f"/api/v1/events/{event['id']}/invitations:generate", headers=admin)
    assert first.status_code == 200, first.text
    assert first.json()["added"] == sorted([people["a"].id, people["d"].id])
    assert first.json()["counts"]["workgroup"] == 2 and first.json()["evaluation_run_id"] is None
    second = client.post(f"/api/v1/events/{event['id']}/invitations:generate", headers=admin)
    assert second.json()["added"] == [] and second.json()["already_invited"] == 2
    bases = {i.basis for i in session.exec(select(EventInvitation).where(
        EventInvitation.event_id == event["id"]))}
    assert bases == {"workgroup"}


def test_workgroup_id_is_checked_and_can_be_cleared(client, admin, session, cycles):
    assert_problem(client.post("/api/v1/events", json=new_event(workgroup_id=999999),
                               headers=admin), 422, "unknown_reference")
    workgroup = factories.make_workgroup(session, cycles["current"])
    event = factories.make_event(session)
    r = client.patch(f"/api/v1/events/{event.id}", json={"workgroup_id": workgroup.id},
                     headers=admin)
    assert r.status_code == 200 and r.json()["workgroup_id"] == workgroup.id
    cleared = client.patch(f"/api/v1/events/{event.id}", json={"workgroup_id": None},
                           headers=admin)
    assert cleared.json()["workgroup_id"] is None
    assert_problem(client.patch(f"/api/v1/events/{event.id}", json={"workgroup_id": 0},
                                headers=admin), 422)
