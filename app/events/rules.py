"""The events' pure rules: status steps, the registration window, capacity, the schedule's
consistency, and who is invited by the DOMAIN rule. No database; unit-tested directly.

    draft ──publish──▶ published ──cancel──▶ cancelled
      └──────────────cancel──────────────────▲

Invitations (DOMAIN, step 5): alliances that meet the criteria **and** want Projekt Zukunft
are invited to exchanges, workshops and dialogues, and last cycle's seal alliances may join
them; the ceremony is for the alliances receiving the seal of the event's cycle.
"""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.core.transitions import StateMachine, Transition
from app.events.models import EventKind, EventStatus, InvitationBasis


class EventAction(StrEnum):
    """``EventRead.allowed_actions``: the Servicebüro's status steps, or what the caller's
    alliance can do about taking part."""

    publish = "publish"
    cancel = "cancel"
    register = "register"  # a place is free: the delegate is registered
    join_waitlist = "join_waitlist"  # full: the delegate joins the waiting list


EVENT_STEPS = StateMachine(
    Transition("publish", frozenset({EventStatus.draft}), EventStatus.published),
    Transition("cancel", frozenset({EventStatus.draft, EventStatus.published}),
               EventStatus.cancelled),
)
allowed_actions = EVENT_STEPS.allowed_actions
target_of = EVENT_STEPS.target_of


def status_actions(status: EventStatus | str) -> list[EventAction]:
    return [EventAction(a) for a in EVENT_STEPS.allowed_actions(status)]


def registration_deadline(starts_at: datetime, registration_closes_at: datetime | None) -> datetime:
    """Registration ends at ``registration_closes_at``, or when the event starts."""
    return registration_closes_at if registration_closes_at is not None else starts_at


def registration_open(status: EventStatus | str, starts_at: datetime,
                      registration_closes_at: datetime | None, now: datetime) -> bool:
    """Delegates can register or change their details: the event is published and ``now`` lies
    before the deadline (exclusive)."""
    return status == EventStatus.published and now < registration_deadline(
        starts_at, registration_closes_at)


def remaining_capacity(capacity: int | None, registered: int) -> int | None:
    """Places left (never below 0); None when the event has no limit."""
    if capacity is None:
        return None
    return max(capacity - registered, 0)


def has_room(capacity: int | None, registered: int) -> bool:
    return capacity is None or registered < capacity


def is_full(capacity: int | None, registered: int, waiting: int) -> bool:
    """A registration now joins the waiting list: every place is taken, or someone waits
    already (nobody jumps the line). Never for an event without a capacity."""
    return capacity is not None and (not has_room(capacity, registered) or waiting > 0)


def participation_actions(registration_open: bool, may_register: bool,
                          full: bool) -> list[EventAction]:
    """What an alliance can do about taking part: register a delegate, or put one on the
    waiting list when the event is full; nothing while registration is closed or the
    alliance is not invited to an invitation-only event."""
    if not (registration_open and may_register):
        return []
    return [EventAction.join_waitlist if full else EventAction.register]


@dataclass(frozen=True)
class ScheduleProblem:
    field: str
    msg: str
    type: str


def schedule_problems(kind: EventKind | str, starts_at: datetime, ends_at: datetime,
                      registration_closes_at: datetime | None,
                      topics: Collection[int]) -> list[ScheduleProblem]:
    """What is inconsistent in an event's dates and topics (empty: all fine)."""
    problems = []
    if ends_at <= starts_at:
        problems.append(ScheduleProblem("ends_at", "must be after starts_at", "schedule"))
    if registration_closes_at is not None and registration_closes_at > starts_at:
        problems.append(ScheduleProblem("registration_closes_at",
                                        "must not be after starts_at", "schedule"))
    if kind == EventKind.workshop and not topics:
        problems.append(ScheduleProblem("topics", "a workshop covers at least one "
                                        "Zukunftsthema", "missing"))
    return problems


@dataclass(frozen=True)
class InvitationChoice:
    alliance_id: int
    basis: InvitationBasis


def choose_invitations(
    kind: EventKind | str, *, future_project: Iterable[int] = (),
    previous_seal: Iterable[int] = (), seal: Iterable[int] = (), already: Collection[int] = (),
    workgroup: Iterable[int] | None = None,
) -> list[InvitationChoice]:
    """Whom the DOMAIN rule invites that is not invited yet, with the basis, by alliance id.

    Exchanges, workshops and dialogues: the alliances invited to Projekt Zukunft in the
    cycle's latest evaluation run (``future_project``), then the seal alliances of the previous
    cycle (``previous_seal``); an alliance on both lists is invited as ``future_project``.
    A ceremony: the seal alliances of the event's cycle (``seal``). Existing invitations
    (``already``) are left as they are. An event held for a workgroup: exactly its active
    members (``workgroup``, not None), whatever the kind.
    """
    sources: Sequence[tuple[InvitationBasis, Iterable[int]]]
    if workgroup is not None:
        sources = ((InvitationBasis.workgroup, workgroup),)
    elif kind == EventKind.ceremony:
        sources = ((InvitationBasis.seal, seal),)
    else:
        sources = ((InvitationBasis.future_project, future_project),
                   (InvitationBasis.previous_seal, previous_seal))
    taken = set(already)
    chosen: list[InvitationChoice] = []
    for basis, ids in sources:
        for alliance_id in sorted(set(ids) - taken):
            chosen.append(InvitationChoice(alliance_id, basis))
            taken.add(alliance_id)
    return sorted(chosen, key=lambda c: c.alliance_id)
