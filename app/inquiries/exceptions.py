"""Errors of the inquiries domain, each with its own stable ``code``."""

from app.core.errors import Conflict, NotFound, RuleViolation
from app.core.errors import UnknownReference as UnknownReference  # one type for every domain


class InquiryNotFound(NotFound):
    code, title = "inquiry_not_found", "Inquiry not found"


class InquiryClosed(Conflict):
    code, title = "inquiry_closed", "The inquiry is closed"


class InquiryNotClosed(Conflict):
    code, title = "inquiry_not_closed", "Only a closed inquiry can be reopened"


class InquiryErased(Conflict):
    code, title = "inquiry_erased", "The inquiry's personal data has been erased"


class InvalidInquiry(RuleViolation):
    code, title = "invalid_inquiry", "The inquiry breaks a rule"
