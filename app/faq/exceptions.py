"""Errors of the FAQ domain, each with its own stable ``code``."""

from app.core.errors import Conflict, NotFound, RuleViolation

__all__ = ["FaqAlreadyPublished", "FaqEntryNotFound", "FaqNotPublished", "InvalidFaqEntry"]


class FaqEntryNotFound(NotFound):
    code, title = "faq_entry_not_found", "FAQ entry not found"


class FaqAlreadyPublished(Conflict):
    code, title = "faq_already_published", "The FAQ entry is published already"


class FaqNotPublished(Conflict):
    code, title = "faq_not_published", "The FAQ entry is not published"


class InvalidFaqEntry(RuleViolation):
    code, title = "invalid_faq_entry", "The FAQ entry is not valid"
