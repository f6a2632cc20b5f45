"""Errors of the events domain, each with its own stable ``code``."""

from app.core.errors import Conflict, NotFound, RuleViolation
from app.core.errors import UnknownReference as UnknownReference  # one type for every domain

__all__ = [
    "AlreadyRegistered", "CapacityBelowRegistered", "DelegateErased", "DelegateNotFound",
    "DelegateNotRegistered", "EventCancelled", "EventFull", "EventHasDelegates", "EventNotFound",
    "EventNotPublished", "EventOver", "EventStarted", "EventWithoutCycle", "InvalidEvent",
    "InvalidEventTransition", "InvitationInUse", "InvitationNotFound", "NoEvaluationRun",
    "NotInvited", "RegistrationClosed", "UninvitedDelegates", "UnknownReference",
]


class EventNotFound(NotFound):
    code, title = "event_not_found", "Event not found"


class DelegateNotFound(NotFound):
    code, title = "delegate_not_found", "Delegate not found"


class InvitationNotFound(NotFound):
    code, title = "invitation_not_found", "The alliance is not invited to this event"


class InvalidEventTransition(Conflict):
    code, title = "invalid_transition", "This step is not allowed from the event's status"


class EventCancelled(Conflict):
    code, title = "event_cancelled", "The event has been cancelled"


class EventHasDelegates(Conflict):
    code, title = "event_has_delegates", "Delegates have registered for the event"


class EventNotPublished(Conflict):
    code, title = "event_not_published", "The event is not open for registration"


class RegistrationClosed(Conflict):
    code, title = "registration_closed", "Registration for the event has closed"


class EventFull(Conflict):
    code, title = "event_full", "The event is fully booked"


class AlreadyRegistered(Conflict):
    code, title = "already_registered", "This person is registered for the event already"


class DelegateNotRegistered(Conflict):
    code, title = "delegate_not_registered", "The delegate is no longer registered"


class NotInvited(Conflict):
    code, title = "not_invited", "The alliance is not invited to this event"


class UninvitedDelegates(Conflict):
    code, title = ("uninvited_delegates",
                   "Alliances without an invitation have delegates registered for the event")


class EventStarted(Conflict):
    code, title = "event_started", "The event has begun"


class EventOver(Conflict):
    code, title = "event_over", "The event has ended"


class InvitationInUse(Conflict):
    code, title = "invitation_in_use", "The alliance has registered delegates for the event"


class EventWithoutCycle(Conflict):
    code, title = "event_without_cycle", "The event belongs to no award cycle"


class NoEvaluationRun(Conflict):
    code, title = "no_evaluation_run", "The event's cycle has not been evaluated yet"


class DelegateErased(Conflict):
    code, title = "delegate_erased", "The delegate's personal data has been erased"


class CapacityBelowRegistered(Conflict):
    code, title = "capacity_below_registered", "More delegates are registered than the capacity"


class InvalidEvent(RuleViolation):
    code, title = "invalid_event", "The event's dates or topics do not fit together"


# --- waiting list and attendance ----------------------------------------------------------------

class DelegateNotWaitlisted(Conflict):
    code, title = "delegate_not_waitlisted", "The delegate is not on the waiting list"


class EventNotStarted(Conflict):
    code, title = "event_not_started", "The event has not begun yet"


class InvalidAttendance(RuleViolation):
    code, title = "invalid_attendance", "Attendance cannot be recorded for these delegates"


__all__ += ["DelegateNotWaitlisted", "EventNotStarted", "InvalidAttendance"]
