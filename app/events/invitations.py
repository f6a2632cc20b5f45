"""Who is invited to an event (Servicebüro only): the list, manual additions, the DOMAIN rule
(step 5, see rules.choose_invitations) and removal.

Exchanges, workshops and dialogues: the alliances the latest evaluation run of the event's
cycle invited to Projekt Zukunft, and the seal alliances of the previous cycle (the cycle whose
key sorts right before the event's: "2023/24" before "2024/25"). A ceremony: the seal
alliances of the event's cycle. An event held for a workgroup (``workgroup_id``): exactly the
workgroup's active members. Generating twice adds nothing the second time.

``project_invitees`` is the one place the rule of Projekt Zukunft lives; app/workgroups uses
it for who may join a workgroup.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from app.alliances.models import Alliance, AllianceStatus
from app.auth.principal import Principal
from app.awards.models import Award, AwardStatus
from app.core.db import utcnow
from app.core.errors import field_error
from app.core.pagination import PageParams, SortKey, paginate
from app.cycles.models import AwardCycle
from app.evaluation import queries as evaluation
from app.evaluation.models import Evaluation
from app.events import invitation_mail, rules
from app.events.exceptions import (
    EventCancelled,
    EventOver,
    EventWithoutCycle,
    InvitationInUse,
    InvitationNotFound,
    NoEvaluationRun,
    UnknownReference,
)
from app.events.models import (
    DelegateStatus,
    Event,
    EventDelegate,
    EventInvitation,
    EventKind,
    EventStatus,
    InvitationBasis,
)
from app.events.queries import get_event
from app.events.schemas import (
    InvitationAlliance,
    InvitationBasisCounts,
    InvitationRead,
    InvitationsAdd,
    InvitationsAddReport,
    InvitationsGenerateReport,
)
from app.workgroups.models import MemberStatus, WorkgroupMember


def _open_event(session: Session, event_id: int) -> Event:
    """The event, locked, that may still take invitations: not cancelled, not over (an event
    that has ended took place; nobody can come to it any more)."""
    event = get_event(session, event_id, for_update=True)
    if event.status == EventStatus.cancelled:
        raise EventCancelled(f"Event {event_id} is cancelled; its invitations stay as they are.")
    if utcnow() >= event.ends_at:
        raise EventOver(f"Event {event_id} ended at {event.ends_at.isoformat()}; it takes no "
                        "invitations any more.")
    return event


def _invited_ids(session: Session, event_id: int) -> set[int]:
    return set(session.exec(select(EventInvitation.alliance_id)
                            .where(EventInvitation.event_id == event_id)).all())


def list_invitations(
    session: Session, event_id: int, params: PageParams, *, basis: InvitationBasis | None = None,
) -> tuple[list[InvitationRead], str | None, int | None]:
    get_event(session, event_id)
    query = select(EventInvitation).where(EventInvitation.event_id == event_id)
    if basis is not None:
        query = query.where(EventInvitation.basis == basis)
    rows, cursor, total = paginate(session, query, SortKey(col(EventInvitation.id),
                                                           col(EventInvitation.id)),
                                   params, value_of=lambda i: i.id, id_of=lambda i: i.id)
    alliance_ids = [i.alliance_id for i in rows]
    alliances = {a.id: a for a in session.exec(
        select(Alliance).where(col(Alliance.id).in_(alliance_ids)))} if rows else {}
    counts = dict(session.exec(
        select(EventDelegate.alliance_id, func.count())
        .where(EventDelegate.event_id == event_id, EventDelegate.status == DelegateStatus.registered,
               col(EventDelegate.alliance_id).in_(alliance_ids))
        .group_by(col(EventDelegate.alliance_id))).all()) if rows else {}
    items = []
    for invitation in rows:
        alliance = alliances[invitation.alliance_id]
        assert invitation.id is not None and alliance.id is not None
        items.append(InvitationRead(
            id=invitation.id, event_id=event_id, basis=invitation.basis,
            alliance=InvitationAlliance(id=alliance.id, name=alliance.name, slug=alliance.slug,
                                        state=alliance.state),
            invited_by=invitation.invited_by, created_at=invitation.created_at,
            registered_delegates=counts.get(invitation.alliance_id, 0),
        ))
    return items, cursor, total


def add_invitations(session: Session, event_id: int, data: InvitationsAdd,
                    principal: Principal) -> InvitationsAddReport:
    """Invite alliances by hand (basis ``manual``); already invited ones are kept as they are."""
    event = _open_event(session, event_id)
    wanted = list(dict.fromkeys(data.alliance_ids))
    known = set(session.exec(select(Alliance.id).where(col(Alliance.id).in_(wanted))).all())
    unknown = [(i, a) for i, a in enumerate(data.alliance_ids) if a not in known]
    if unknown:
        raise UnknownReference("Some alliances do not exist.", errors=[
            field_error(["body", "alliance_ids", i], f"no alliance {a}", "not_found")
            for i, a in unknown])
    already = _invited_ids(session, event_id)
    added = [a for a in wanted if a not in already]
    created = [EventInvitation(event_id=event_id, alliance_id=alliance_id,
                               basis=InvitationBasis.manual, invited_by=principal.actor)
               for alliance_id in added]
    session.add_all(created)
    # Only this call's invitations: an older unmailed one is not this call's to send.
    mails = invitation_mail.mail_pending(session, event, created)
    session.commit()
    return InvitationsAddReport(added=sorted(added),
                                already_invited=sorted(a for a in wanted if a in already),
                                emails_queued=mails)


def _seal_holders(session: Session, cycle_id: int) -> list[int]:
    """Alliances with a confirmed seal of the cycle that are still active (a dissolved or
    dormant alliance sends nobody)."""
    return list(session.exec(select(Award.alliance_id).join(
        Alliance, col(Alliance.id) == col(Award.alliance_id)).where(
        Award.cycle_id == cycle_id, Award.status == AwardStatus.confirmed,
        Alliance.status == AllianceStatus.active)).all())


def previous_cycle(session: Session, cycle: AwardCycle) -> AwardCycle | None:
    """The cycle before ``cycle``: the one whose key sorts right before its key."""
    return session.exec(select(AwardCycle).where(col(AwardCycle.key) < cycle.key)
                        .order_by(col(AwardCycle.key).desc()).limit(1)).first()


@dataclass(frozen=True)
class ProjectInvitees:
    """Who Projekt Zukunft invites in a cycle (DOMAIN step 5): the alliances the cycle's latest
    evaluation run invited (criteria met and interest declared), and the previous cycle's seal
    alliances that are still active. Events and workgroups share this one rule."""

    evaluation_run_id: int | None
    previous_cycle_key: str | None
    future_project: frozenset[int]
    previous_seal: frozenset[int]

    def basis_of(self, alliance_id: int) -> InvitationBasis | None:
        """Why the alliance is invited (Projekt Zukunft first); None: it is not."""
        if alliance_id in self.future_project:
            return InvitationBasis.future_project
        if alliance_id in self.previous_seal:
            return InvitationBasis.previous_seal
        return None


def project_invitees(session: Session, cycle: AwardCycle) -> ProjectInvitees:
    """The rule for ``cycle``; without an evaluation run only the previous seal alliances."""
    assert cycle.id is not None
    run = evaluation.latest_run(session, cycle.id)
    future_project = session.exec(select(Evaluation.alliance_id).where(
        Evaluation.run_id == run.id, col(Evaluation.invited_to_future_project).is_(True),
    )).all() if run is not None else []
    previous = previous_cycle(session, cycle)
    previous_seal = _seal_holders(session, previous.id) if previous and previous.id else []
    return ProjectInvitees(evaluation_run_id=run.id if run else None,
                           previous_cycle_key=previous.key if previous else None,
                           future_project=frozenset(future_project),
                           previous_seal=frozenset(previous_seal))


def _workgroup_members(session: Session, workgroup_id: int) -> list[int]:
    return list(session.exec(select(WorkgroupMember.alliance_id).where(
        WorkgroupMember.workgroup_id == workgroup_id,
        WorkgroupMember.status == MemberStatus.active)).all())


def generate_invitations(session: Session, event_id: int,
                         principal: Principal) -> InvitationsGenerateReport:
    """An event held for a workgroup invites exactly the workgroup's active members (basis
    ``workgroup``), whatever its kind and cycle; otherwise the rule of Projekt Zukunft (or,
    for a ceremony, the cycle's seal alliances)."""
    event = _open_event(session, event_id)
    already = _invited_ids(session, event_id)
    run_id: int | None = None
    previous_key: str | None = None
    if event.workgroup_id is not None:
        chosen = rules.choose_invitations(
            event.kind, workgroup=_workgroup_members(session, event.workgroup_id), already=already)
    else:
        cycle = session.get(AwardCycle, event.cycle_id) if event.cycle_id is not None else None
        if cycle is None or cycle.id is None:
            raise EventWithoutCycle(f"Event {event_id} belongs to no award cycle; set its cycle "
                                    "or invite alliances by hand.")
        if event.kind == EventKind.ceremony:
            chosen = rules.choose_invitations(event.kind, seal=_seal_holders(session, cycle.id),
                                              already=already)
        else:
            invitees = project_invitees(session, cycle)
            if invitees.evaluation_run_id is None:
                raise NoEvaluationRun(f"Cycle {cycle.key} has no evaluation run yet.")
            run_id, previous_key = invitees.evaluation_run_id, invitees.previous_cycle_key
            chosen = rules.choose_invitations(event.kind, future_project=invitees.future_project,
                                              previous_seal=invitees.previous_seal,
                                              already=already)
    counts = InvitationBasisCounts()
    created = []
    for choice in chosen:
        created.append(EventInvitation(event_id=event_id, alliance_id=choice.alliance_id,
                                       basis=choice.basis, invited_by=principal.actor))
        setattr(counts, choice.basis.value, getattr(counts, choice.basis.value) + 1)
    session.add_all(created)
    mails = invitation_mail.mail_pending(session, event, created)
    session.commit()
    return InvitationsGenerateReport(
        added=[c.alliance_id for c in chosen], counts=counts, already_invited=len(already),
        evaluation_run_id=run_id, previous_cycle_key=previous_key, emails_queued=mails)


def remove_invitation(session: Session, event_id: int, alliance_id: int) -> None:
    get_event(session, event_id, for_update=True)
    invitation = session.exec(select(EventInvitation).where(
        EventInvitation.event_id == event_id, EventInvitation.alliance_id == alliance_id)).first()
    if invitation is None:
        raise InvitationNotFound(f"Alliance {alliance_id} is not invited to event {event_id}.")
    if session.exec(select(EventDelegate.id).where(
            EventDelegate.event_id == event_id, EventDelegate.alliance_id == alliance_id,
            col(EventDelegate.status).in_([DelegateStatus.registered,
                                           DelegateStatus.waitlisted]))).first() is not None:
        raise InvitationInUse(f"Alliance {alliance_id} has registered or waiting delegates for "
                              f"event {event_id}; withdraw them first.")
    session.delete(invitation)
    session.commit()
