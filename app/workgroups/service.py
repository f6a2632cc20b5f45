"""Workgroups, the Servicebüro's side: create, change and list workgroups, and manage their
members (admit with or without the rule, accept or decline requests, remove, invite by rule).

Who may join (DOMAIN step 5, app/events/invitations.project_invitees, shared with events): the
alliances the cycle's latest evaluation run invited to Projekt Zukunft, and the previous
cycle's seal alliances that are still active. The Servicebüro may admit any other active
alliance with a reason, which is written to the audit trail. Every write commits once.
"""

from typing import Any

from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.audit import recorder
from app.auth.principal import Principal
from app.core import links
from app.core.db import utcnow
from app.core.errors import RuleViolation, field_error
from app.core.etags import check_if_match
from app.core.pagination import PageParams, SortKey, paginate
from app.cycles.models import AwardCycle
from app.events import invitations as project_rule
from app.events import queries as events
from app.events.models import FutureTopic
from app.mail import outbox
from app.notices.queries import contact_emails
from app.workgroups import rules, texts
from app.workgroups.exceptions import (
    AllianceNotActive,
    InvalidMembershipTransition,
    MemberNotFound,
    NoEvaluationRun,
    ReasonRequired,
    UnknownReference,
    WorkgroupClosed,
)
from app.workgroups.models import (
    MemberBasis,
    MemberStatus,
    Workgroup,
    WorkgroupMember,
    WorkgroupStatus,
)
from app.workgroups.queries import (
    ETAG_RESOURCE,
    get_workgroup,
    member_reads,
    membership,
    require_inside,
    sees_inside,
    to_read,
    to_reads,
)
from app.workgroups.schemas import (
    InviteReport,
    MemberAdd,
    MemberBasisCounts,
    MemberDecision,
    MemberRead,
    WorkgroupCreate,
    WorkgroupRead,
    WorkgroupUpdate,
)

_PLAIN = ("title", "description", "region", "status")


def _cycle(session: Session, workgroup: Workgroup) -> AwardCycle:
    cycle = session.get(AwardCycle, workgroup.cycle_id)
    assert cycle is not None
    return cycle


def _topic_id(session: Session, number: int, loc: list[str | int]) -> int:
    ids = events.topic_ids(session, [number])
    if not ids:
        raise UnknownReference(f"No Zukunftsthema {number}.",
                               errors=[field_error(loc, f"no topic {number}", "not_found")])
    return ids[0]


def basis_of(session: Session, workgroup: Workgroup, alliance_id: int) -> MemberBasis | None:
    """Why the rule lets the alliance join the workgroup; None: it does not."""
    basis = project_rule.project_invitees(session, _cycle(session, workgroup)).basis_of(alliance_id)
    return MemberBasis(basis.value) if basis is not None else None


# --- workgroups ---------------------------------------------------------------------------------

def list_workgroups(session: Session, params: PageParams, principal: Principal, *,
                    cycle: str | None = None, topic: int | None = None,
                    status: WorkgroupStatus | None = None,
                    ) -> tuple[list[WorkgroupRead], str | None, int | None]:
    query = select(Workgroup)
    if cycle is not None:
        query = query.where(Workgroup.cycle_id == events.cycle_id_of(session, cycle,
                                                                     ["query", "cycle"]))
    if topic is not None:
        query = query.where(col(Workgroup.topic_id).in_(
            select(FutureTopic.id).where(FutureTopic.number == topic)))
    if status is not None:
        query = query.where(Workgroup.status == status)
    rows, cursor, total = paginate(session, query, SortKey(col(Workgroup.id), col(Workgroup.id)),
                                   params, value_of=lambda w: w.id, id_of=lambda w: w.id)
    return to_reads(session, rows, principal), cursor, total


def read_workgroup(session: Session, workgroup_id: int, principal: Principal) -> WorkgroupRead:
    return to_read(session, get_workgroup(session, workgroup_id), principal)


def create_workgroup(session: Session, data: WorkgroupCreate,
                     principal: Principal) -> WorkgroupRead:
    cycle_id = events.cycle_id_of(session, data.cycle, ["body", "cycle"])
    now = utcnow()
    workgroup = Workgroup(cycle_id=cycle_id, topic_id=_topic_id(session, data.topic,
                                                                ["body", "topic"]),
                          title=data.title, description=data.description, region=data.region,
                          status=WorkgroupStatus(data.status), created_at=now, updated_at=now)
    session.add(workgroup)
    session.commit()
    return to_read(session, workgroup, principal)


def update_workgroup(session: Session, workgroup_id: int, data: WorkgroupUpdate,
                     if_match: str | None, principal: Principal) -> WorkgroupRead:
    workgroup = get_workgroup(session, workgroup_id, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, workgroup_id, workgroup.version)
    given = data.model_fields_set
    nulls = [n for n in ("title", "status", "topic") if n in given and getattr(data, n) is None]
    if nulls:
        raise RuleViolation("These fields cannot be emptied.", code="not_null", errors=[
            field_error(["body", n], "may not be null", "not_null") for n in nulls])
    changes: dict[str, Any] = {n: getattr(data, n) for n in _PLAIN if n in given}
    if "topic" in given and data.topic is not None:
        changes["topic_id"] = _topic_id(session, data.topic, ["body", "topic"])
    changed = {k: v for k, v in changes.items() if getattr(workgroup, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(workgroup, key, value)
        workgroup.version += 1
        workgroup.updated_at = utcnow()
        session.add(workgroup)
        session.commit()
    return to_read(session, workgroup, principal)


# --- members (Servicebüro, and the member list for members) ----------------------------------

def list_members(session: Session, workgroup_id: int, params: PageParams, principal: Principal,
                 *, status: MemberStatus | None = None,
                 ) -> tuple[list[MemberRead], str | None, int | None]:
    """Admins: every membership, any status. Active members: the active members only."""
    require_inside(session, workgroup_id, principal)
    query = select(WorkgroupMember).where(WorkgroupMember.workgroup_id == workgroup_id)
    if not principal.is_admin:
        query = query.where(WorkgroupMember.status == MemberStatus.active)
    elif status is not None:
        query = query.where(WorkgroupMember.status == status)
    rows, cursor, total = paginate(
        session, query, SortKey(col(WorkgroupMember.id), col(WorkgroupMember.id)), params,
        value_of=lambda m: m.id, id_of=lambda m: m.id)
    return member_reads(session, rows, principal.is_admin), cursor, total


def read_member(session: Session, workgroup_id: int, alliance_id: int,
                principal: Principal) -> MemberRead:
    """Admins: any membership; alliance users: their own alliance's (others: 404)."""
    get_workgroup(session, workgroup_id)
    row = membership(session, workgroup_id, alliance_id)
    own = principal.alliance_id == alliance_id
    if row is None or not (principal.is_admin or own
                           or (row.status == MemberStatus.active
                               and sees_inside(session, workgroup_id, principal))):
        raise MemberNotFound(f"Alliance {alliance_id} has no membership in workgroup "
                             f"{workgroup_id}.")
    return member_reads(session, [row], principal.is_admin or own, internal=principal.is_admin)[0]


def _step(row: WorkgroupMember | None, action: str, alliance_id: int) -> MemberStatus:
    target = rules.target_of(action, row.status if row else None)
    if target is None:
        status = row.status if row else None
        raise InvalidMembershipTransition(
            f"The membership of alliance {alliance_id} is {status or 'absent'}; cannot {action}.",
            allowed=rules.allowed(status, rules.ADMIN_ACTIONS))
    return target


def _touch(row: WorkgroupMember) -> None:
    row.version += 1
    row.updated_at = utcnow()


def add_member(session: Session, workgroup_id: int, data: MemberAdd,
               principal: Principal) -> MemberRead:
    """Admit an alliance at once: by the rule, or outside it with a reason (audited)."""
    workgroup = get_workgroup(session, workgroup_id, for_update=True)
    alliance = session.get(Alliance, data.alliance_id)
    if alliance is None:
        raise UnknownReference(f"No alliance {data.alliance_id}.", errors=[
            field_error(["body", "alliance_id"], f"no alliance {data.alliance_id}", "not_found")])
    basis = basis_of(session, workgroup, data.alliance_id)
    problem = rules.admission_problem(workgroup.status, alliance.status, basis is not None,
                                      data.reason)
    if problem == "closed":
        raise WorkgroupClosed(f"Workgroup {workgroup_id} is closed.")
    if problem == "inactive":
        raise AllianceNotActive(f"Alliance {data.alliance_id} is {alliance.status}.")
    if problem == "reason":
        raise ReasonRequired(
            f"Alliance {data.alliance_id} is not eligible by the rule; give a reason.",
            errors=[field_error(["body", "reason"], "required outside the rule", "missing")])
    row = membership(session, workgroup_id, data.alliance_id, for_update=True)
    _step(row, "add", data.alliance_id)
    now = utcnow()
    if row is None:
        row = WorkgroupMember(workgroup_id=workgroup_id, alliance_id=data.alliance_id,
                              status=MemberStatus.active, basis=MemberBasis.manual,
                              created_at=now)
    row.status = MemberStatus.active
    row.basis = basis or MemberBasis.manual
    row.reason = data.reason if basis is None else row.reason
    row.decided_at, row.decided_by, row.joined_at, row.left_at = now, principal.actor, now, None
    _touch(row)
    session.add(row)
    session.flush()
    if basis is None:
        recorder.record(session, "workgroup_member.admitted_outside_rule", "workgroup_member",
                        row.id, fields={"workgroup_id": workgroup_id,
                                        "alliance_id": data.alliance_id,
                                        "reason": data.reason})
    session.commit()
    return member_reads(session, [row], True)[0]


def decide(session: Session, workgroup_id: int, alliance_id: int, action: str,
           data: MemberDecision, principal: Principal) -> MemberRead:
    """accept, decline or remove, with an optional note the alliance sees."""
    workgroup = get_workgroup(session, workgroup_id, for_update=True)
    row = membership(session, workgroup_id, alliance_id, for_update=True)
    if row is None:
        raise MemberNotFound(f"Alliance {alliance_id} has no membership in workgroup "
                             f"{workgroup_id}.")
    target = _step(row, action, alliance_id)
    if action == "accept" and workgroup.status == WorkgroupStatus.closed:
        raise WorkgroupClosed(f"Workgroup {workgroup_id} is closed.")
    now = utcnow()
    row.status, row.decided_at, row.decided_by = target, now, principal.actor
    if data.note is not None:
        row.note = data.note
    if target == MemberStatus.active:
        row.joined_at, row.left_at = now, None
    if target == MemberStatus.left:
        row.left_at = now
    _touch(row)
    session.add(row)
    session.commit()
    return member_reads(session, [row], True)[0]


def invite_by_rule(session: Session, workgroup_id: int, principal: Principal) -> InviteReport:
    """Invite every eligible active alliance that has no membership yet, and send each the
    German invitation e-mail (to its contacts with an address). Idempotent: a second call
    invites nobody and sends nothing.

    Like the events' ``invitations:generate``, it needs an evaluation run of the cycle (409
    ``no_evaluation_run``): invitations to Projekt Zukunft follow the evaluation (DOMAIN steps
    4 and 5), and a call before it would invite and mail only the previous seal alliances.
    Asking to join (and admitting by hand) is not tied to the run."""
    workgroup = get_workgroup(session, workgroup_id, for_update=True)
    if workgroup.status == WorkgroupStatus.closed:
        raise WorkgroupClosed(f"Workgroup {workgroup_id} is closed.")
    cycle = _cycle(session, workgroup)
    invitees = project_rule.project_invitees(session, cycle)
    if invitees.evaluation_run_id is None:
        raise NoEvaluationRun(f"Cycle {cycle.key} has no evaluation run yet; invite by the rule "
                              "once it has one.")
    eligible = invitees.future_project | invitees.previous_seal
    existing = set(session.exec(select(WorkgroupMember.alliance_id).where(
        WorkgroupMember.workgroup_id == workgroup_id)).all())
    alliances = list(session.exec(select(Alliance).where(
        col(Alliance.id).in_(eligible - existing), Alliance.status == "active")
        .order_by(col(Alliance.id)))) if eligible - existing else []
    topic = session.get(FutureTopic, workgroup.topic_id)
    assert topic is not None
    subject = texts.invitation_subject(workgroup.title)
    body = texts.invitation_body(workgroup.title, topic.title, cycle.key, workgroup.region,
                                 links.workgroup_url(workgroup.id or 0))
    counts, now, mails = MemberBasisCounts(), utcnow(), 0
    for alliance in alliances:
        assert alliance.id is not None
        basis = invitees.basis_of(alliance.id)
        assert basis is not None
        session.add(WorkgroupMember(
            workgroup_id=workgroup_id, alliance_id=alliance.id, status=MemberStatus.invited,
            basis=MemberBasis(basis.value), invited_at=now, decided_by=principal.actor,
            created_at=now, updated_at=now))
        setattr(counts, basis.value, getattr(counts, basis.value) + 1)
        for address in contact_emails(alliance):
            outbox.enqueue(session, address, subject, body)
            mails += 1
    session.commit()
    return InviteReport(added=[a.id for a in alliances if a.id is not None], counts=counts,
                        already=len(eligible & existing), emails_queued=mails,
                        evaluation_run_id=invitees.evaluation_run_id,
                        previous_cycle_key=invitees.previous_cycle_key)
