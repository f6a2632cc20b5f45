"""Errors of the cycles domain, each with its own stable ``code``."""

from app.core.errors import Conflict, NotFound

__all__ = [
    "CycleKeyTaken", "CycleLocked", "CycleNotFound", "CycleNotReady", "InvalidTransition",
]


class CycleNotFound(NotFound):
    code, title = "cycle_not_found", "Award cycle not found"


class CycleKeyTaken(Conflict):
    code, title = "cycle_key_taken", "Another cycle has this key"


class InvalidTransition(Conflict):
    code, title = "invalid_transition", "This step is not allowed from the cycle's status"


class CycleNotReady(Conflict):
    code, title = "cycle_not_ready", "The cycle is not ready for this step"


class CycleLocked(Conflict):
    code, title = "cycle_locked", "This field can no longer change in the cycle's status"


class QuestionnaireFrozen(Conflict):
    code, title = "questionnaire_frozen", "The questionnaire is frozen once the survey opens"
