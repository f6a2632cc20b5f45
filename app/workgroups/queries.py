"""The read side of workgroups: lookups, who is a member, and shaping rows for each caller.

Every signed-in person sees that a workgroup exists (title, topic, status, member count) and
its published results. The member list, the members' shared contacts and draft results are for
the workgroup's active members and the Servicebüro; anyone else gets 403
``workgroup_members_only`` (the workgroup itself is no secret, so 404 would be a lie), and a
draft result answers 404 to them as if it did not exist. Machine clients see nothing.
"""

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from app.alliances.models import Alliance, AllianceContact
from app.auth.principal import Principal
from app.cycles.models import AwardCycle
from app.events.models import FutureTopic
from app.events.schemas import FutureTopicRead
from app.workgroups.exceptions import MembersOnly, WorkgroupNotFound
from app.workgroups.models import MemberStatus, Workgroup, WorkgroupMember
from app.workgroups.schemas import (
    MemberAlliance,
    MemberRead,
    SharedContact,
    WorkgroupCycle,
    WorkgroupRead,
)

ETAG_RESOURCE = "workgroup"


def get_workgroup(session: Session, workgroup_id: int, *, for_update: bool = False) -> Workgroup:
    query = select(Workgroup).where(Workgroup.id == workgroup_id)
    if for_update:
        query = query.with_for_update()
    workgroup = session.exec(query).first()
    if workgroup is None:
        raise WorkgroupNotFound(f"No workgroup {workgroup_id}.")
    return workgroup


def membership(session: Session, workgroup_id: int, alliance_id: int, *,
               for_update: bool = False) -> WorkgroupMember | None:
    query = select(WorkgroupMember).where(WorkgroupMember.workgroup_id == workgroup_id,
                                          WorkgroupMember.alliance_id == alliance_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def is_active_member(session: Session, workgroup_id: int, alliance_id: int | None) -> bool:
    if alliance_id is None:
        return False
    row = membership(session, workgroup_id, alliance_id)
    return row is not None and row.status == MemberStatus.active


def sees_inside(session: Session, workgroup_id: int, principal: Principal) -> bool:
    """The Servicebüro and the workgroup's active members see members and drafts."""
    return principal.is_admin or is_active_member(session, workgroup_id, principal.alliance_id)


def require_inside(session: Session, workgroup_id: int, principal: Principal) -> None:
    get_workgroup(session, workgroup_id)
    if not sees_inside(session, workgroup_id, principal):
        raise MembersOnly(f"Only the members of workgroup {workgroup_id} see this.")


def topic_read(topic: FutureTopic) -> FutureTopicRead:
    return FutureTopicRead(number=topic.number, slug=topic.slug, title=topic.title)


def topics_by_id(session: Session, ids: set[int]) -> dict[int, FutureTopic]:
    if not ids:
        return {}
    return {t.id: t for t in session.exec(select(FutureTopic).where(col(FutureTopic.id).in_(ids)))
            if t.id is not None}


def to_reads(session: Session, rows: Sequence[Workgroup], principal: Principal) -> list[WorkgroupRead]:
    ids = [w.id for w in rows if w.id is not None]
    if not ids:
        return []
    topics = topics_by_id(session, {w.topic_id for w in rows})
    cycles = {c.id: c for c in session.exec(select(AwardCycle).where(
        col(AwardCycle.id).in_({w.cycle_id for w in rows})))}
    counts = dict(session.exec(
        select(WorkgroupMember.workgroup_id, func.count())
        .where(col(WorkgroupMember.workgroup_id).in_(ids),
               WorkgroupMember.status == MemberStatus.active)
        .group_by(col(WorkgroupMember.workgroup_id))).all())
    mine: dict[int, str] = {}
    if not principal.is_admin and principal.alliance_id is not None:
        mine = dict(session.exec(select(WorkgroupMember.workgroup_id, WorkgroupMember.status).where(
            col(WorkgroupMember.workgroup_id).in_(ids),
            WorkgroupMember.alliance_id == principal.alliance_id)).all())
    reads = []
    for w in rows:
        assert w.id is not None
        cycle = cycles[w.cycle_id]
        assert cycle.id is not None
        reads.append(WorkgroupRead(
            id=w.id, cycle=WorkgroupCycle(id=cycle.id, key=cycle.key, slug=cycle.slug),
            topic=topic_read(topics[w.topic_id]), title=w.title, description=w.description,
            region=w.region, status=w.status, member_count=counts.get(w.id, 0),
            my_status=MemberStatus(mine[w.id]) if w.id in mine else None, version=w.version, created_at=w.created_at,
            updated_at=w.updated_at))
    return reads


def to_read(session: Session, workgroup: Workgroup, principal: Principal) -> WorkgroupRead:
    return to_reads(session, [workgroup], principal)[0]


def shared_contacts(session: Session, rows: Sequence[WorkgroupMember]) -> dict[int, SharedContact]:
    """Shared contacts by membership id; an erased contact or one that moved to another
    alliance is shared no more."""
    wanted = {r.shared_contact_id: r for r in rows if r.shared_contact_id is not None}
    if not wanted:
        return {}
    out: dict[int, SharedContact] = {}
    for contact in session.exec(select(AllianceContact).where(
            col(AllianceContact.id).in_(wanted), col(AllianceContact.erased_at).is_(None))):
        assert contact.id is not None
        row = wanted[contact.id]
        if contact.alliance_id == row.alliance_id and row.id is not None:
            out[row.id] = SharedContact(id=contact.id, name=contact.name,
                                        function=contact.function, email=contact.email,
                                        phone=contact.phone)
    return out


def member_reads(session: Session, rows: Sequence[WorkgroupMember],
                 full: bool, internal: bool | None = None) -> list[MemberRead]:
    """``full``: the membership's course (the Servicebüro, or the alliance itself);
    ``internal`` (default: ``full``): also why the Servicebüro admitted it and who decided."""
    internal = full if internal is None else internal
    alliances = {a.id: a for a in session.exec(select(Alliance).where(
        col(Alliance.id).in_({r.alliance_id for r in rows})))} if rows else {}
    contacts = shared_contacts(session, rows)
    reads = []
    for row in rows:
        alliance = alliances[row.alliance_id]
        assert alliance.id is not None and row.id is not None
        reads.append(MemberRead(
            alliance=MemberAlliance(id=alliance.id, name=alliance.name, slug=alliance.slug,
                                    state=alliance.state),
            status=row.status, shared_contact=contacts.get(row.id), joined_at=row.joined_at,
            basis=row.basis if full else None, reason=row.reason if internal else None,
            request_note=row.request_note if full else None, note=row.note if full else None,
            decided_by=row.decided_by if internal else None,
            requested_at=row.requested_at if full else None,
            invited_at=row.invited_at if full else None,
            decided_at=row.decided_at if full else None, left_at=row.left_at if full else None))
    return reads
