"""The workgroups' pure rules: who may join, and the membership's steps. No database;
unit-tested directly.

Membership (one row per workgroup and alliance, kept for its history)::

    (none) ──request──▶ requested ──accept──▶ active ──leave/remove──▶ left
    (none) ──invite───▶ invited ──request (accepts)──▶ active
    requested ──decline──▶ declined;  declined/left ──request──▶ requested (ask again)
    any but active ──add (Servicebüro)──▶ active
"""

from enum import StrEnum

from app.alliances.models import AllianceStatus
from app.core.i18n import N_
from app.core.transitions import StateMachine, Transition
from app.workgroups.models import MemberStatus, WorkgroupStatus

NONE = "none"  # no membership row yet


MEMBER_STEPS: StateMachine[MemberStatus] = StateMachine(
    # The alliance asks to join; an invited alliance accepting its invitation joins at once.
    Transition("request", frozenset({NONE, MemberStatus.declined, MemberStatus.left}),
               MemberStatus.requested),
    Transition("accept_invitation", frozenset({MemberStatus.invited}), MemberStatus.active),
    Transition("accept", frozenset({MemberStatus.requested}), MemberStatus.active),
    Transition("decline", frozenset({MemberStatus.requested}), MemberStatus.declined),
    Transition("leave", frozenset({MemberStatus.requested, MemberStatus.invited,
                                   MemberStatus.active}), MemberStatus.left),
    Transition("remove", frozenset({MemberStatus.requested, MemberStatus.invited,
                                    MemberStatus.active}), MemberStatus.left),
    Transition("add", frozenset({NONE, MemberStatus.requested, MemberStatus.invited,
                                 MemberStatus.declined, MemberStatus.left}), MemberStatus.active),
    Transition("invite", frozenset({NONE}), MemberStatus.invited),
)

class MembershipAction(StrEnum):
    """What the alliance can do with its own membership (``MembershipRead.allowed_actions``)."""

    request = "request"
    accept_invitation = "accept_invitation"
    leave = "leave"


ALLIANCE_ACTIONS = tuple(a.value for a in MembershipAction)
ADMIN_ACTIONS = ("accept", "decline", "remove", "add")


def target_of(action: str, status: MemberStatus | str | None) -> MemberStatus | None:
    """Where ``action`` leads from ``status`` (None: no membership yet); None if not allowed."""
    return MEMBER_STEPS.target_of(action, NONE if status is None else str(status))


def allowed(status: MemberStatus | str | None, actions: tuple[str, ...]) -> list[str]:
    return [a for a in actions if target_of(a, status) is not None]


def join_refusal(workgroup_status: WorkgroupStatus | str, alliance_status: AllianceStatus | str,
                 eligible: bool) -> str | None:
    """Why an alliance may not ask to join (None: it may). German readers get the detail
    through the frontend; the text here is for the problem's ``detail``."""
    if WorkgroupStatus(workgroup_status) == WorkgroupStatus.closed:
        return N_("The workgroup is closed and takes no new members.")
    if AllianceStatus(alliance_status) != AllianceStatus.active:
        return N_("Only active alliances take part in workgroups.")
    if not eligible:
        return N_("Your alliance was neither invited to Projekt Zukunft by the cycle's latest "
                  "evaluation run (criteria met and interest declared) nor received the previous "
                  "cycle's seal; ask the Servicebüro, which may admit alliances with a reason.")
    return None


def admission_problem(workgroup_status: WorkgroupStatus | str,
                      alliance_status: AllianceStatus | str, eligible: bool,
                      reason: str | None) -> str | None:
    """What keeps the Servicebüro from admitting an alliance (None: nothing). Outside the rule
    it needs a reason; a closed workgroup and an inactive alliance are refused either way."""
    if WorkgroupStatus(workgroup_status) == WorkgroupStatus.closed:
        return "closed"
    if AllianceStatus(alliance_status) != AllianceStatus.active:
        return "inactive"
    if not eligible and not (reason and reason.strip()):
        return "reason"
    return None
