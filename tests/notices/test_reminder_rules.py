"""The pure parts of reminders and the German CSV: table-driven, no database."""

from datetime import UTC, datetime, timedelta

import pytest

from app.notices.export import german_cell
from app.notices.queries import reminder_count
from app.notices.rules import reminder_skip_reason

NOW = datetime(2025, 5, 20, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


@pytest.mark.parametrize(("last", "reminded", "cap", "expected"), [
    (None, 0, 3, None),
    (NOW - timedelta(days=8), 0, 3, None),
    (NOW - WEEK, 2, 3, None),                       # exactly the interval: due
    (NOW - WEEK + timedelta(seconds=1), 0, 3, "too_soon"),
    (NOW - timedelta(days=1), 1, 3, "too_soon"),
    (NOW - timedelta(days=30), 3, 3, "max_reminders"),
    (NOW - timedelta(days=1), 3, 3, "max_reminders"),  # the cap never lifts: it wins
    (NOW - timedelta(days=30), 0, 0, "max_reminders"),  # cap 0: reminders switched off
])
def test_reminder_skip_reason(last, reminded, cap, expected):
    assert reminder_skip_reason(last, reminded, NOW, min_interval=WEEK, max_count=cap) == expected


def test_one_reminder_per_call_whatever_the_number_of_contacts():
    assert reminder_count([]) == 0
    assert reminder_count([NOW, NOW, NOW - WEEK]) == 2


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (True, "ja"), (False, "nein"), (12, "12"), (12.0, "12"), (12.5, "12,5"),
    (0.25, "0,25"), (-3, "-3"), ("Bündnis", "Bündnis"), ("=SUMME(A1)", "'=SUMME(A1)"),
    ("+49 30", "'+49 30"),
    (datetime(2025, 1, 15, 9, 5, tzinfo=UTC), "15.01.2025 10:05"),   # German winter time
    (datetime(2025, 7, 1, 22, 30, tzinfo=UTC), "02.07.2025 00:30"),  # summer time, next day
])
def test_german_cell(value, text):
    assert german_cell(value) == text
