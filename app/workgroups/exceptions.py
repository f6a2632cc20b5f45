"""Errors of the workgroups domain, each with its own stable ``code``."""

from typing import Any

from app.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.core.errors import UnknownReference as UnknownReference  # one type for every domain

__all__ = [
    "AllianceNotActive", "InvalidAuthors", "InvalidMembershipTransition",
    "InvalidResultTransition", "MemberNotFound", "MembersOnly", "NoEvaluationRun", "NotEligible",
    "ReasonRequired", "ResultNotFound", "ResultPublished",
    "UnknownContact", "UnknownReference", "WorkgroupClosed", "WorkgroupNotFound",
]


class WorkgroupNotFound(NotFound):
    code, title = "workgroup_not_found", "Workgroup not found"


class MemberNotFound(NotFound):
    code, title = "membership_not_found", "The alliance has no membership in this workgroup"


class ResultNotFound(NotFound):
    code, title = "workgroup_result_not_found", "Workgroup result not found"


class MembersOnly(Forbidden):
    code, title = "workgroup_members_only", "Only the workgroup's members may do this"


class WorkgroupClosed(Conflict):
    code, title = "workgroup_closed", "The workgroup is closed and takes no new members"


class NotEligible(Conflict):
    code, title = "not_eligible", "The alliance may not join this workgroup"


class NoEvaluationRun(Conflict):
    """The same code as the events' invitations by the rule: both follow the evaluation."""

    code, title = "no_evaluation_run", "The cycle has not been evaluated yet"


class AllianceNotActive(Conflict):
    code, title = "alliance_not_active", "The alliance is not active"


class InvalidMembershipTransition(Conflict):
    code, title = "invalid_transition", "This step is not allowed from the membership's status"

    def __init__(self, detail: str, *, allowed: list[str], **kw: Any) -> None:
        super().__init__(detail, allowed=allowed, **kw)


class InvalidResultTransition(Conflict):
    code, title = "invalid_transition", "The result is in that state already"

    def __init__(self, detail: str, *, allowed: list[str], **kw: Any) -> None:
        super().__init__(detail, allowed=allowed, **kw)


class ResultPublished(Conflict):
    code, title = "result_published", "The result is published; only the Servicebüro changes it"


class ReasonRequired(RuleViolation):
    code, title = "reason_required", "Admitting an alliance outside the rule needs a reason"


class UnknownContact(RuleViolation):
    code, title = "unknown_contact", "The contact person is not one of the alliance's"


class InvalidAuthors(RuleViolation):
    code, title = "invalid_authors", "Authors must be active members of the workgroup"
