"""The pure rules of the notices, table-driven."""

from datetime import UTC, datetime, timedelta

import pytest

from app.alliances.models import AllianceStatus
from app.core.text import unique_addresses
from app.cycles.models import CycleStatus
from app.mail.models import OutboxStatus
from app.notices.rules import (
    may_send_notices,
    overall_state,
    retry_after_seconds,
)
from app.notices.schemas import NoticeState
from app.surveys.eligibility import is_eligible_alliance

NOW = datetime(2024, 10, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "holds_seal", "eligible"),
    [
        (AllianceStatus.active, False, True),
        (AllianceStatus.dormant, False, True),
        (AllianceStatus.dissolved, False, False),
        (AllianceStatus.active, True, False),
        (AllianceStatus.dormant, True, False),
        ("active", False, True),
    ],
)
def test_who_is_eligible(status, holds_seal, eligible):
    assert is_eligible_alliance(status, holds_seal) is eligible


@pytest.mark.parametrize(
    ("status", "closes_at", "allowed"),
    [
        (CycleStatus.draft, None, True),
        (CycleStatus.survey_open, NOW + timedelta(days=3), True),
        (CycleStatus.survey_open, None, True),
        (CycleStatus.survey_open, NOW, False),  # the window closed this very moment
        (CycleStatus.survey_open, NOW - timedelta(seconds=1), False),
        (CycleStatus.survey_closed, NOW + timedelta(days=3), False),
        (CycleStatus.evaluated, None, False),
        (CycleStatus.awarded, None, False),
        (CycleStatus.archived, None, False),
    ],
)
def test_notices_only_for_a_draft_or_open_survey(status, closes_at, allowed):
    assert may_send_notices(status, closes_at, NOW) is allowed


@pytest.mark.parametrize(
    ("statuses", "state"),
    [
        ([], NoticeState.none),
        ([OutboxStatus.failed], NoticeState.failed),
        ([OutboxStatus.failed, OutboxStatus.queued], NoticeState.queued),
        ([OutboxStatus.queued, OutboxStatus.sent, OutboxStatus.failed], NoticeState.sent),
        (["sent"], NoticeState.sent),
    ],
)
def test_an_alliance_is_reached_once_any_notice_was_sent(statuses, state):
    assert overall_state(statuses) is state


@pytest.mark.parametrize(
    ("addresses", "expected"),
    [
        ([], []),
        ([None, "", "  "], []),
        (["a@example.org", "A@Example.org", " b@example.org "], ["a@example.org", "b@example.org"]),
        (["Erika.Muster@example.org", "erika.muster@EXAMPLE.org"], ["Erika.Muster@example.org"]),
    ],
)
def test_recipients_are_unique_ignoring_case(addresses, expected):
    assert unique_addresses(addresses) == expected


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (None, 0),
        (NOW - timedelta(hours=25), 0),
        (NOW - timedelta(hours=24), 0),
        (NOW - timedelta(hours=23), 3600),
        (NOW - timedelta(seconds=1), 24 * 3600 - 1),
        (NOW - timedelta(hours=23, minutes=59, seconds=59, milliseconds=500), 1),
    ],
)
def test_resend_once_per_24_hours(last, expected):
    assert retry_after_seconds(last, NOW) == expected
