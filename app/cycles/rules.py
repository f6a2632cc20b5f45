"""The cycle's pure rules: its life (which action leads from which status to which), when
the questionnaire is frozen and when alliances can answer. No database.

The life:

    draft ──open-survey──▶ survey_open ──close-survey──▶ survey_closed ──mark-evaluated──▶
    evaluated ──mark-awarded──▶ awarded ──archive──▶ archived

``open-survey`` also reopens a closed survey (survey_closed → survey_open), e.g. when the
Servicebüro extends the deadline after closing; the evaluation is then simply run again.
Every other step is refused with 409 and the actions allowed from the current status.
"""

from datetime import datetime
from enum import StrEnum

from app.core.transitions import StateMachine, Transition
from app.cycles.models import CycleStatus


class CycleAction(StrEnum):
    """The names of the steps below, as ``CycleRead.allowed_actions`` lists them (an enum in the
    spec, so generated clients know every value)."""

    open_survey = "open-survey"
    close_survey = "close-survey"
    mark_evaluated = "mark-evaluated"
    mark_awarded = "mark-awarded"
    archive = "archive"


CYCLE_STEPS = StateMachine(
    Transition("open-survey", frozenset({CycleStatus.draft, CycleStatus.survey_closed}),
               CycleStatus.survey_open),
    Transition("close-survey", frozenset({CycleStatus.survey_open}), CycleStatus.survey_closed),
    Transition("mark-evaluated", frozenset({CycleStatus.survey_closed}), CycleStatus.evaluated),
    Transition("mark-awarded", frozenset({CycleStatus.evaluated}), CycleStatus.awarded),
    Transition("archive", frozenset({CycleStatus.awarded}), CycleStatus.archived),
)
target_of = CYCLE_STEPS.target_of


def allowed_actions(status: CycleStatus | str) -> list[CycleAction]:
    """The steps possible from ``status``, in the order they are declared."""
    return [CycleAction(a) for a in CYCLE_STEPS.allowed_actions(status)]


# Statuses a cycle may be created in: a new round starts as a draft; past rounds (e.g. 2023
# with its 56 seal alliances) are recorded as awarded or archived history.
CREATABLE_STATUSES = frozenset({CycleStatus.draft, CycleStatus.awarded, CycleStatus.archived})


def questionnaire_frozen(status: CycleStatus | str) -> bool:
    """The questionnaire can change only while the cycle is a draft."""
    return status != CycleStatus.draft


def accepts_answers(status: CycleStatus | str, opens_at: datetime | None,
                    closes_at: datetime | None, now: datetime) -> bool:
    """Whether alliances can answer right now: the survey is open and ``now`` is in the window
    (opens_at inclusive, closes_at exclusive)."""
    if status != CycleStatus.survey_open or opens_at is None or closes_at is None:
        return False
    return opens_at <= now < closes_at
