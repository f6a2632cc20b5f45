"""The events' pure rules, table-driven: status steps, the registration window, capacity, the
schedule and whom the DOMAIN rule invites."""

from datetime import UTC, datetime, timedelta

import pytest

from app.events import rules
from app.events.models import EventKind, EventStatus, InvitationBasis

T0 = datetime(2024, 9, 12, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("status", "actions"), [
    (EventStatus.draft, ["publish", "cancel"]),
    (EventStatus.published, ["cancel"]),
    (EventStatus.cancelled, []),
])
def test_allowed_actions(status, actions):
    assert rules.allowed_actions(status) == actions


@pytest.mark.parametrize(("capacity", "registered", "waiting", "full"), [
    (None, 500, 0, False),  # no limit: never full
    (None, 0, 3, False),
    (2, 1, 0, False),
    (2, 2, 0, True),
    (2, 3, 0, True),  # above the capacity (a promotion by hand)
    (2, 1, 1, True),  # a place is free, but someone waits: a newcomer waits too
])
def test_is_full(capacity, registered, waiting, full):
    assert rules.is_full(capacity, registered, waiting) is full


@pytest.mark.parametrize(("open_", "may", "full", "actions"), [
    (True, True, False, ["register"]),
    (True, True, True, ["join_waitlist"]),
    (False, True, False, []),
    (False, True, True, []),
    (True, False, False, []),
    (True, False, True, []),
])
def test_participation_actions(open_, may, full, actions):
    assert rules.participation_actions(open_, may, full) == actions


@pytest.mark.parametrize(("action", "status", "target"), [
    ("publish", EventStatus.draft, EventStatus.published),
    ("publish", EventStatus.published, None),
    ("publish", EventStatus.cancelled, None),
    ("cancel", EventStatus.draft, EventStatus.cancelled),
    ("cancel", EventStatus.published, EventStatus.cancelled),
    ("cancel", EventStatus.cancelled, None),
    ("unknown", EventStatus.draft, None),
])
def test_target_of(action, status, target):
    assert rules.target_of(action, status) == target


@pytest.mark.parametrize(("status", "closes", "now", "open_"), [
    (EventStatus.published, None, T0 - timedelta(seconds=1), True),
    (EventStatus.published, None, T0, False),  # the deadline itself is closed
    (EventStatus.published, T0 - timedelta(days=3), T0 - timedelta(days=4), True),
    (EventStatus.published, T0 - timedelta(days=3), T0 - timedelta(days=3), False),
    (EventStatus.published, T0 - timedelta(days=3), T0 - timedelta(days=1), False),
    (EventStatus.draft, None, T0 - timedelta(days=10), False),
    (EventStatus.cancelled, None, T0 - timedelta(days=10), False),
])
def test_registration_open(status, closes, now, open_):
    assert rules.registration_open(status, T0, closes, now) is open_


def test_the_deadline_is_the_start_without_an_explicit_close():
    assert rules.registration_deadline(T0, None) == T0
    assert rules.registration_deadline(T0, T0 - timedelta(days=1)) == T0 - timedelta(days=1)


@pytest.mark.parametrize(("capacity", "registered", "remaining", "room"), [
    (None, 500, None, True),
    (3, 0, 3, True),
    (3, 2, 1, True),
    (3, 3, 0, False),
    (3, 5, 0, False),  # never below zero
])
def test_capacity(capacity, registered, remaining, room):
    assert rules.remaining_capacity(capacity, registered) == remaining
    assert rules.has_room(capacity, registered) is room


@pytest.mark.parametrize(("kind", "ends", "closes", "topics", "fields"), [
    (EventKind.workshop, T0 + timedelta(hours=6), None, [2], []),
    (EventKind.workshop, T0, None, [2], ["ends_at"]),
    (EventKind.workshop, T0 - timedelta(hours=1), None, [2], ["ends_at"]),
    (EventKind.workshop, T0 + timedelta(hours=1), T0 + timedelta(minutes=1), [2],
     ["registration_closes_at"]),
    (EventKind.workshop, T0 + timedelta(hours=1), T0, [2], []),
    (EventKind.workshop, T0 + timedelta(hours=1), None, [], ["topics"]),
    (EventKind.exchange, T0 + timedelta(hours=1), None, [], []),
    (EventKind.ceremony, T0 - timedelta(hours=1), T0 + timedelta(days=1), [],
     ["ends_at", "registration_closes_at"]),
])
def test_schedule_problems(kind, ends, closes, topics, fields):
    assert [p.field for p in rules.schedule_problems(kind, T0, ends, closes, topics)] == fields


def _chosen(choices):
    return [(c.alliance_id, c.basis) for c in choices]


def test_exchanges_invite_future_project_first_then_previous_seal():
    chosen = rules.choose_invitations(EventKind.exchange, future_project=[3, 1],
                                      previous_seal=[1, 2], seal=[9])
    assert _chosen(chosen) == [(1, InvitationBasis.future_project), (2, InvitationBasis.previous_seal),
                               (3, InvitationBasis.future_project)]


@pytest.mark.parametrize("kind", [EventKind.workshop, EventKind.dialogue])
def test_workshops_and_dialogues_follow_the_same_rule(kind):
    chosen = rules.choose_invitations(kind, future_project=[5], previous_seal=[6], seal=[7])
    assert _chosen(chosen) == [(5, InvitationBasis.future_project), (6, InvitationBasis.previous_seal)]


def test_a_ceremony_invites_the_cycles_seal_alliances_only():
    chosen = rules.choose_invitations(EventKind.ceremony, future_project=[1], previous_seal=[2],
                                      seal=[4, 3])
    assert _chosen(chosen) == [(3, InvitationBasis.seal), (4, InvitationBasis.seal)]


def test_existing_invitations_are_left_alone():
    chosen = rules.choose_invitations(EventKind.workshop, future_project=[1, 2],
                                      previous_seal=[3], already=[1, 3])
    assert _chosen(chosen) == [(2, InvitationBasis.future_project)]
    assert rules.choose_invitations(EventKind.workshop, future_project=[1], already=[1]) == []
