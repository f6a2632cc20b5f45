from app.core.errors import Conflict, Forbidden, NotFound, RuleViolation


class InvalidCriteria(RuleViolation):
    code, title = "invalid_criteria", "The criteria do not fit the cycle's questionnaire"


class CriteriaLocked(Conflict):
    code, title = "criteria_locked", "The criteria of this cycle can no longer be changed"


class EvaluationNotAllowed(Conflict):
    code, title = "evaluation_not_allowed", "The cycle cannot be evaluated in its current status"


class CriteriaMissing(Conflict):
    code, title = "criteria_missing", "The cycle has no seal criteria yet"


class CriteriaOutdated(Conflict):
    code, title = "criteria_outdated", "The criteria refer to questions the cycle no longer has"


class NoOwnAlliance(Forbidden):
    code, title = "no_own_alliance", "The caller does not act for an alliance"


class EvaluationNotFound(NotFound):
    code, title = "evaluation_not_found", "No evaluation found"


class RunNotFound(NotFound):
    code, title = "evaluation_run_not_found", "Evaluation run not found"


class CriteriaNotEmpty(Conflict):
    code, title = "criteria_not_empty", "The cycle has seal criteria already"
