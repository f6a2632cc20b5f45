"""The cycle's status steps as a table: every action from every status."""

from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from app.cycles import rules as cycle_rules
from app.cycles.models import CycleStatus as S
from app.cycles.schemas import CycleCreate

ACTIONS = ["open-survey", "close-survey", "mark-evaluated", "mark-awarded", "archive"]
# (status, action) -> target; every pair not listed is refused.
ALLOWED = {
    (S.draft, "open-survey"): S.survey_open,
    (S.survey_open, "close-survey"): S.survey_closed,
    (S.survey_closed, "open-survey"): S.survey_open,
    (S.survey_closed, "mark-evaluated"): S.evaluated,
    (S.evaluated, "mark-awarded"): S.awarded,
    (S.awarded, "archive"): S.archived,
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", ACTIONS)
def test_target_of_every_action_from_every_status(status, action):
    assert cycle_rules.target_of(action, status) == ALLOWED.get((status, action))


@pytest.mark.parametrize(("status", "allowed"), [
    (S.draft, ["open-survey"]),
    (S.survey_open, ["close-survey"]),
    (S.survey_closed, ["open-survey", "mark-evaluated"]),
    (S.evaluated, ["mark-awarded"]),
    (S.awarded, ["archive"]),
    (S.archived, []),
])
def test_allowed_actions_follow_the_table(status, allowed):
    assert cycle_rules.allowed_actions(status) == allowed
    assert cycle_rules.allowed_actions(status.value) == allowed  # as read from the database


def test_unknown_action_leads_nowhere():
    assert cycle_rules.target_of("publish", S.draft) is None


@pytest.mark.parametrize(("status", "frozen"), [(s, s != S.draft) for s in S])
def test_questionnaire_is_frozen_outside_draft(status, frozen):
    assert cycle_rules.questionnaire_frozen(status) is frozen


OPENS = datetime(2025, 5, 1, 8, tzinfo=UTC)
CLOSES = datetime(2025, 7, 31, 22, tzinfo=UTC)


@pytest.mark.parametrize(("status", "opens", "closes", "now", "accepts"), [
    (S.survey_open, OPENS, CLOSES, OPENS, True),                          # opens inclusive
    (S.survey_open, OPENS, CLOSES, CLOSES - timedelta(seconds=1), True),
    (S.survey_open, OPENS, CLOSES, CLOSES, False),                        # closes exclusive
    (S.survey_open, OPENS, CLOSES, OPENS - timedelta(seconds=1), False),  # not yet
    (S.survey_open, None, CLOSES, OPENS, False),                          # no window
    (S.survey_open, OPENS, None, OPENS, False),
    (S.draft, OPENS, CLOSES, OPENS + timedelta(days=1), False),
    (S.survey_closed, OPENS, CLOSES, OPENS + timedelta(days=1), False),
])
def test_answers_are_accepted_only_while_open_and_in_the_window(status, opens, closes, now, accepts):
    assert cycle_rules.accepts_answers(status, opens, closes, now) is accepts


def test_create_schema_offers_exactly_the_creatable_statuses():
    offered = set(get_args(CycleCreate.model_fields["status"].annotation))
    assert offered == {s.value for s in cycle_rules.CREATABLE_STATUSES}
    assert offered == {"draft", "awarded", "archived"}
