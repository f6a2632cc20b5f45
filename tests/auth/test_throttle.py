"""Failed sign-ins are throttled per account and address pair and per address; an account tried
from everywhere only backs off, so nobody can lock its owner out; nothing is said about
whether an account exists."""

import pytest
from fastapi.testclient import TestClient

from app.core import ratelimit
from app.core.config import get_settings
from tests.auth.helpers import assert_unauthorized, client_login, comparable, login, password_login
from tests.factories import PASSWORD
from tests.utils.problems import assert_problem

WRONG = "definitely not the password"


def memory_store() -> ratelimit.MemoryCounterStore:
    """The per-test counter store (the suite runs without Redis)."""
    store = ratelimit.get_counter_store()
    assert isinstance(store, ratelimit.MemoryCounterStore)
    return store


def pair_limit() -> int:
    return get_settings().limits.login_failures_per_pair


def account_ceiling() -> int:
    return get_settings().limits.login_failures_per_account


def address_limit() -> int:
    return get_settings().limits.login_failures_per_address


def fail(client, email: str, times: int) -> None:
    for _ in range(times):
        assert_unauthorized(password_login(client, email, WRONG), "invalid_credentials")


def assert_throttled(response) -> dict[str, object]:
    body = assert_problem(response, 429, "too_many_requests")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= get_settings().limits.login_window_seconds
    return body


def test_defaults_match_the_documented_limits():
    limits = get_settings().limits
    assert (limits.login_failures_per_pair, limits.login_failures_per_address,
            limits.login_failures_per_account, limits.login_account_backoff_seconds,
            limits.login_window_seconds) == (5, 20, 20, 30, 900)


def test_account_is_throttled_from_the_address_that_failed(client, person):
    fail(client, person.email, pair_limit())

    wrong = password_login(client, person.email, WRONG)
    right = password_login(client, person.email, PASSWORD)

    assert_throttled(wrong)
    assert_throttled(right)
    assert "access_token" not in right.text


def test_throttle_counts_the_account_whatever_the_case(client, person):
    fail(client, person.email.upper(), pair_limit())

    assert_throttled(password_login(client, person.email, PASSWORD))


def test_unknown_account_is_throttled_exactly_like_a_known_one(client, person, monkeypatch):
    store = memory_store()
    frozen = store.clock()
    monkeypatch.setattr(store, "clock", lambda: frozen)  # both windows start at the same instant
    fail(client, person.email, pair_limit())
    fail(client, "nobody-here@example.org", pair_limit())

    known = password_login(client, person.email, WRONG)
    unknown = password_login(client, "nobody-here@example.org", WRONG)

    assert_throttled(known)
    assert_throttled(unknown)
    assert comparable(known.json()) == comparable(unknown.json())
    assert known.headers["retry-after"] == unknown.headers["retry-after"]


def test_throttling_one_account_leaves_others_alone(client, person, make_person):
    neighbour = make_person()
    fail(client, person.email, pair_limit())

    assert_throttled(password_login(client, person.email, PASSWORD))
    login(client, neighbour.email)


def test_success_resets_the_account_counter(client, person):
    fail(client, person.email, pair_limit() - 1)
    login(client, person.email)

    fail(client, person.email, pair_limit() - 1)

    login(client, person.email)


def test_address_is_throttled_across_accounts(client, person, monkeypatch):
    monkeypatch.setattr(get_settings().limits, "login_failures_per_address", 6)
    for n in range(6):
        fail(client, f"guess{n}@example.org", 1)

    assert_throttled(password_login(client, person.email, PASSWORD))


def test_address_limit_defaults_to_twenty_failures(client, person):
    for n in range(address_limit()):
        fail(client, f"spray{n}@example.org", 1)

    assert_throttled(password_login(client, person.email, PASSWORD))


def test_throttle_lifts_when_the_window_has_passed(client, person, monkeypatch):
    fail(client, person.email, pair_limit())
    assert_throttled(password_login(client, person.email, PASSWORD))
    store = memory_store()
    real_clock = store.clock
    later = get_settings().limits.login_window_seconds + 1

    monkeypatch.setattr(store, "clock", lambda: real_clock() + later)

    login(client, person.email)


def test_retry_after_counts_down(client, person, monkeypatch):
    fail(client, person.email, pair_limit())
    first = int(password_login(client, person.email).headers["retry-after"])
    store = memory_store()
    real_clock = store.clock

    monkeypatch.setattr(store, "clock", lambda: real_clock() + 300)

    second = int(password_login(client, person.email).headers["retry-after"])
    assert second <= first - 299


def test_client_credentials_are_throttled_too(client, partner_client):
    for _ in range(pair_limit()):
        assert_unauthorized(client_login(client, partner_client.client_id, "wrong-secret"),
                            "invalid_client")

    assert_throttled(client_login(client, partner_client.client_id, "client-secret-for-tests"))


def test_client_throttle_does_not_spill_onto_people(client, partner_client, person):
    for _ in range(pair_limit()):
        client_login(client, partner_client.client_id, "wrong-secret")

    login(client, person.email)


@pytest.mark.parametrize("attempts", [1, 4])
def test_below_the_limit_failures_are_plain_refusals_not_throttled(client, person, attempts):
    fail(client, person.email, attempts)

    assert_unauthorized(password_login(client, person.email, WRONG), "invalid_credentials")


def test_failures_from_elsewhere_do_not_lock_the_owner_out(client, app, person):
    """Finding 4: five wrong passwords from a stranger's address locked the account for
    fifteen minutes for everyone, its owner included."""
    with TestClient(app, client=("203.0.113.66", 40000)) as stranger:
        fail(stranger, person.email, pair_limit())
        assert_throttled(password_login(stranger, person.email, PASSWORD))

    login(client, person.email)


def test_an_account_tried_from_many_addresses_backs_off_but_is_not_locked(client, app, person):
    store = memory_store()
    real_clock = store.clock
    for n in range(account_ceiling()):
        with TestClient(app, client=(f"203.0.113.{n + 1}", 40000)) as stranger:
            fail(stranger, person.email, 1)

    throttled = password_login(client, person.email, PASSWORD)
    body = assert_throttled(throttled)
    assert int(throttled.headers["retry-after"]) <= get_settings().limits.login_account_backoff_seconds
    assert "access_token" not in body

    backoff = get_settings().limits.login_account_backoff_seconds
    store.clock = lambda: real_clock() + backoff + 1  # type: ignore[method-assign]
    login(client, person.email)  # long before the 15-minute window has passed


def test_the_back_off_allows_one_attempt_per_interval(client, app, person, monkeypatch):
    store = memory_store()
    now = store.clock()
    monkeypatch.setattr(store, "clock", lambda: now)
    for n in range(account_ceiling()):
        with TestClient(app, client=(f"198.51.100.{n + 1}", 40000)) as stranger:
            fail(stranger, person.email, 1)
    backoff = get_settings().limits.login_account_backoff_seconds

    monkeypatch.setattr(store, "clock", lambda: now + backoff + 1)
    fail(client, person.email, 1)  # one more guess is allowed, and starts the next pause
    assert_throttled(password_login(client, person.email, WRONG))


# --- the counter store on its own -------------------------------------------------------------

class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_counter_store_counts_within_a_window_and_starts_over_after_it():
    clock = FakeClock()
    store = ratelimit.MemoryCounterStore(clock=clock)

    assert store.hit("k", 60) == (1, 60)
    clock.now += 10.5
    assert store.hit("k", 60) == (2, 50)
    assert store.peek("k") == (2, 50)
    clock.now += 50
    assert store.peek("k") == (0, 0)
    assert store.hit("k", 60) == (1, 60)


def test_counter_store_peek_does_not_count_and_reset_forgets():
    store = ratelimit.MemoryCounterStore(clock=FakeClock())

    assert store.peek("k") == (0, 0)
    store.hit("k", 60)
    store.hit("other", 60)
    assert store.peek("k") == (1, 60)
    store.reset("k")
    assert store.peek("k") == (0, 0)
    assert store.peek("other") == (1, 60)


def test_counter_store_retry_after_is_never_zero_inside_a_window():
    clock = FakeClock()
    store = ratelimit.MemoryCounterStore(clock=clock)
    store.hit("k", 60)

    clock.now += 59.9

    assert store.peek("k") == (1, 1)
