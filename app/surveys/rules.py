"""The pure rules of survey responses: when answers may be written, who may answer, what a
draft and a submission must contain. No database; unit-tested table by table."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from app.alliances.models import AllianceStatus
from app.core.errors import field_error
from app.core.i18n import N_
from app.cycles import rules as cycle_rules
from app.cycles.models import CycleStatus
from app.questionnaire.rules import check_answers

Loc = tuple[str | int, ...]
# Admins may still enter and correct answers after the window, until the cycle is evaluated.
ADMIN_WRITABLE = frozenset({CycleStatus.survey_open, CycleStatus.survey_closed})
CONTENT_FIELDS = ("answers", "wants_future_project", "wants_seal", "reported_status",
                  "wants_finder_listing")


def closed_reason(status: str, opens_at: datetime | None, closes_at: datetime | None,
                  now: datetime, *, admin: bool) -> str | None:
    """Why answers may not be written now (None: they may). Alliance users and partner
    systems need the survey window (``cycles.cycle_rules.accepts_answers``); admins may write
    outside it until the cycle is evaluated."""
    if admin:
        if status in ADMIN_WRITABLE:
            return None
        return N_(f"The cycle is {status}; responses can no longer be changed.")
    if cycle_rules.accepts_answers(status, opens_at, closes_at, now):
        return None
    if status != CycleStatus.survey_open:
        return N_(f"The survey is not open (cycle status {status}).")
    if opens_at is None or now < opens_at:
        return N_("The survey has not opened yet.")
    return N_(f"The survey closed at {closes_at.isoformat() if closes_at else 'its end'}.")


def content_errors(questions: Iterable[Any], content: Mapping[str, Any], *, submit: bool,
                   loc: Loc, answers_loc: Loc) -> list[dict[str, Any]]:
    """Field errors for a response's content. Drafts: types only. Submission: required answers
    (waived when the alliance reports itself dissolved) and both interest declarations."""
    waive = content.get("reported_status") == AllianceStatus.dissolved
    errors = check_answers(questions, content.get("answers") or {},
                           complete=submit and not waive, loc_prefix=answers_loc)
    if submit:
        for name in ("wants_future_project", "wants_seal"):
            if content.get(name) is None:
                errors.append(field_error([*loc, name], "required to submit", "missing"))
    return errors


def normalised(content: Mapping[str, Any]) -> dict[str, Any]:
    """Content as stored: unanswered (null) answers are dropped."""
    result = {name: content.get(name) for name in CONTENT_FIELDS}
    result["answers"] = {k: v for k, v in (content.get("answers") or {}).items() if v is not None}
    return result
