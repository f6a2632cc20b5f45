"""Workgroups, the alliance's side: its own membership. An alliance user asks to join for
their alliance (or accepts an invitation), withdraws a request or leaves, and chooses which of
the alliance's contact persons the other members see (default: nobody).

Refusals: a closed workgroup (409 ``workgroup_closed``), an alliance that is not active or not
eligible by the rule (409 ``not_eligible``, the detail says why), a step not allowed from the
membership's status (409 ``invalid_transition`` with the allowed steps).
"""

from sqlmodel import Session

from app.alliances.models import Alliance, AllianceContact
from app.auth.principal import Principal
from app.core.db import utcnow
from app.core.errors import field_error
from app.workgroups import rules
from app.workgroups.exceptions import (
    InvalidMembershipTransition,
    MemberNotFound,
    NotEligible,
    UnknownContact,
    WorkgroupClosed,
)
from app.workgroups.models import MemberStatus, WorkgroupMember, WorkgroupStatus
from app.workgroups.queries import get_workgroup, membership, shared_contacts
from app.workgroups.schemas import JoinRequest, MembershipRead, MembershipUpdate
from app.workgroups.service import basis_of


def _alliance_id(principal: Principal) -> int:
    assert principal.alliance_id is not None  # the router admits alliance users only
    return principal.alliance_id


def _read(session: Session, workgroup_id: int, alliance_id: int) -> MembershipRead:
    workgroup = get_workgroup(session, workgroup_id)
    alliance = session.get(Alliance, alliance_id)
    assert alliance is not None
    row = membership(session, workgroup_id, alliance_id)
    basis = basis_of(session, workgroup, alliance_id)
    status = row.status if row else None
    refusal = rules.join_refusal(workgroup.status, alliance.status, basis is not None)
    actions = rules.allowed(status, rules.ALLIANCE_ACTIONS)
    if refusal is not None:
        actions = [a for a in actions if a == "leave"]
    contact = shared_contacts(session, [row]).get(row.id) if row and row.id else None
    return MembershipRead(
        workgroup_id=workgroup_id, alliance_id=alliance_id, status=status,
        eligible=basis is not None, eligibility_basis=basis, refusal=refusal,
        request_note=row.request_note if row else None, note=row.note if row else None,
        shared_contact=contact, requested_at=row.requested_at if row else None,
        invited_at=row.invited_at if row else None, decided_at=row.decided_at if row else None,
        joined_at=row.joined_at if row else None, left_at=row.left_at if row else None,
        allowed_actions=[rules.MembershipAction(a) for a in actions])


def read_membership(session: Session, workgroup_id: int, principal: Principal) -> MembershipRead:
    return _read(session, workgroup_id, _alliance_id(principal))


def _refuse(status: MemberStatus | None, action: str) -> InvalidMembershipTransition:
    return InvalidMembershipTransition(
        f"Your alliance's membership is {status or 'absent'}; cannot {action}.",
        allowed=rules.allowed(status, rules.ALLIANCE_ACTIONS))


def request_to_join(session: Session, workgroup_id: int, data: JoinRequest,
                    principal: Principal) -> MembershipRead:
    """Ask to join (the Servicebüro decides), or accept an invitation (joins at once)."""
    alliance_id = _alliance_id(principal)
    workgroup = get_workgroup(session, workgroup_id, for_update=True)
    row = membership(session, workgroup_id, alliance_id, for_update=True)
    status = row.status if row else None
    action = "accept_invitation" if status == MemberStatus.invited else "request"
    target = rules.target_of(action, status)
    if target is None:
        raise _refuse(status, "ask to join")
    if workgroup.status == WorkgroupStatus.closed:
        raise WorkgroupClosed(f"Workgroup {workgroup_id} is closed and takes no new members.")
    alliance = session.get(Alliance, alliance_id)
    assert alliance is not None
    basis = basis_of(session, workgroup, alliance_id)
    refusal = rules.join_refusal(workgroup.status, alliance.status, basis is not None)
    if refusal is not None or basis is None:
        raise NotEligible(refusal)
    now = utcnow()
    if row is None:
        row = WorkgroupMember(workgroup_id=workgroup_id, alliance_id=alliance_id,
                              status=target, basis=basis, created_at=now)
    row.status, row.basis = target, basis
    if target == MemberStatus.requested:
        row.requested_at, row.request_note = now, data.note
        row.decided_at = row.decided_by = row.note = None
    else:
        row.joined_at = now
        if data.note is not None:
            row.request_note = data.note
    row.left_at = None
    row.version += 1
    row.updated_at = now
    session.add(row)
    session.commit()
    return _read(session, workgroup_id, alliance_id)


def leave(session: Session, workgroup_id: int, principal: Principal) -> MembershipRead:
    """Withdraw a request, turn down an invitation, or leave; the alliance may ask again."""
    alliance_id = _alliance_id(principal)
    get_workgroup(session, workgroup_id, for_update=True)
    row = membership(session, workgroup_id, alliance_id, for_update=True)
    status = row.status if row else None
    if row is None or rules.target_of("leave", status) is None:
        raise _refuse(status, "leave")
    now = utcnow()
    row.status, row.left_at, row.updated_at = MemberStatus.left, now, now
    row.version += 1
    session.add(row)
    session.commit()
    return _read(session, workgroup_id, alliance_id)


def update_membership(session: Session, workgroup_id: int, data: MembershipUpdate,
                      principal: Principal) -> MembershipRead:
    """Choose the contact person the other members see (one of the alliance's own, not
    erased), or nobody (null)."""
    alliance_id = _alliance_id(principal)
    get_workgroup(session, workgroup_id, for_update=True)
    row = membership(session, workgroup_id, alliance_id, for_update=True)
    if row is None:
        raise MemberNotFound(f"Your alliance has no membership in workgroup {workgroup_id}.")
    if data.shared_contact_id is not None:
        contact = session.get(AllianceContact, data.shared_contact_id)
        if contact is None or contact.alliance_id != alliance_id or contact.erased_at is not None:
            raise UnknownContact("Choose one of your alliance's contact persons.", errors=[
                field_error(["body", "shared_contact_id"], "not a contact of your alliance",
                            "not_found")])
    if row.shared_contact_id != data.shared_contact_id:
        row.shared_contact_id = data.shared_contact_id
        row.version += 1
        row.updated_at = utcnow()
        session.add(row)
        session.commit()
    return _read(session, workgroup_id, alliance_id)
