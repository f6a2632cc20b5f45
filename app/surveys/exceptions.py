"""Errors of the survey response domain (rendered as RFC 9457 problems with these codes)."""

from app.core.errors import Conflict, NotFound, RuleViolation


class ResponseNotFound(NotFound):
    code, title = "response_not_found", "Survey response not found"


class SurveyClosed(Conflict):
    code, title = "survey_closed", "The survey is not open"


class NotEligible(Conflict):
    code, title = "not_eligible", "The alliance may not answer the survey"


class ResponseSubmitted(Conflict):
    code, title = "response_submitted", "The response is submitted and frozen"


class ResponseNotSubmitted(Conflict):
    code, title = "response_not_submitted", "The response is not submitted"


class ResponseBusy(Conflict):
    code, title = "response_changed", "The response changed while this request ran"


class InvalidAnswers(RuleViolation):
    code, title = "invalid_answers", "The answers are incomplete or invalid"
