"""The demo seed has a workgroup per Zukunftsthema with members and one
published result each (Projekt Zukunft of the previous cycle, "2023/24"), and a second run
adds nothing."""

from sqlmodel import select

from app.auth.models import User
from app.cycles.models import AwardCycle
from app.demo.seed import seed_demo
from app.events.demo import LOGIN_SLUGS
from app.workgroups import demo
from app.workgroups.models import Workgroup, WorkgroupMember, WorkgroupResult
from tests.factories import user_headers


def test_demo_workgroups_per_topic_with_members_and_a_published_result(client, session):
    first = seed_demo(session)
    assert first.created["workgroups"] == 4
    groups = session.exec(select(Workgroup).where(
        Workgroup.title.in_([e[0] for e in demo.DEMO_WORKGROUPS.values()]))).all()  # type: ignore[attr-defined]
    assert len(groups) == 4 and len({g.topic_id for g in groups}) == 4
    for group in groups:
        members = session.exec(select(WorkgroupMember).where(
            WorkgroupMember.workgroup_id == group.id)).all()
        # Projekt Zukunft 2023/24: no evaluation run on record, so admitted by hand.
        assert group.cycle_id == session.exec(select(AwardCycle.id).where(
            AwardCycle.key == "2023/24")).one()
        assert {m.basis for m in members} == {"manual"} and all(m.reason for m in members)
        assert all(m.status == "active" and m.joined_at for m in members)
        results = session.exec(select(WorkgroupResult).where(
            WorkgroupResult.workgroup_id == group.id)).all()
        assert [r.status for r in results] == ["published"]
        assert results[0].published_at > members[0].joined_at
    again = seed_demo(session)
    assert "workgroups" not in again.created
    # a demo coordinator is a member and sees the member list; the public sees the results
    login = session.exec(select(User).where(
        User.email == f"koordination@{LOGIN_SLUGS[0]}.example.org")).one()
    listed = client.get(f"/api/v1/workgroups/{groups[0].id}/members", headers=user_headers(login))
    assert listed.status_code == 200 and len(listed.json()["items"]) >= 2
    public = client.get("/api/v1/public/workgroup-results", params={"cycle": "2023-24"})
    assert len(public.json()["items"]) == 4
