"""Retry schedule of the outbox: a pure rule, table-driven."""

from datetime import UTC, datetime, timedelta

import pytest

from app.mail.outbox import retry_at

NOW = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)
BACKOFF = [60, 300, 1800, 7200]


@pytest.mark.parametrize(
    ("attempts", "max_attempts", "expected"),
    [
        (1, 5, timedelta(minutes=1)),
        (2, 5, timedelta(minutes=5)),
        (3, 5, timedelta(minutes=30)),
        (4, 5, timedelta(hours=2)),
        (5, 5, None),  # the fifth failure gives up
        (6, 5, None),
        (1, 1, None),  # a single attempt allowed
        (6, 8, timedelta(hours=2)),  # beyond the schedule the last step repeats
        (0, 5, timedelta(minutes=1)),  # defensive: no attempt counted yet
    ],
)
def test_retry_schedule(attempts, max_attempts, expected):
    result = retry_at(attempts, NOW, BACKOFF, max_attempts)
    assert result == (None if expected is None else NOW + expected)


def test_a_one_step_schedule_repeats_that_step():
    assert retry_at(3, NOW, [900], 10) == NOW + timedelta(minutes=15)
