"""The partner-system batch: per-item results, matching, reach, atomicity, idempotency."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.alliances.models import AllianceStatus
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.idempotency_models import IdempotencyRecord
from app.cycles.models import CycleStatus
from app.surveys.ingest import alliance_lookup
from app.surveys.models import ResponseRevision, ResponseStatus
from tests import factories
from tests.surveys.helpers import (
    batch_url,
    item,
    response_count,
    revision_count,
    stored,
)
from tests.utils.problems import assert_problem, error_locs
from tests.utils.racing import race


@pytest.fixture
def pusher(session, alliance, other_alliance) -> dict[str, str]:
    """A partner system allowed to write for ``alliance`` and ``other_alliance``."""
    client = factories.make_client(session, alliances=[alliance, other_alliance])
    return factories.client_headers(client)


@pytest.mark.parametrize(("ref", "expected"), [
    (12, ("id", 12)),
    ("12", ("id", 12)),
    ("05915000", ("ags", "05915000")),
    ("5915000", ("ags", "05915000")),  # a spreadsheet dropped the leading zero
    ("buendnis-fuer-familie-hamm", ("slug", "buendnis-fuer-familie-hamm")),
    (" Familie-Hamm ", ("slug", "familie-hamm")),
])
def test_alliance_lookup(ref, expected):
    assert alliance_lookup(ref) == expected


def test_partner_pushes_by_id_slug_and_ags(client, session, cycle, alliance, other_alliance):
    third = factories.make_alliance(session, ags="05915000", state="DE-NW")
    partner = factories.client_headers(factories.make_client(session))
    r = client.post(batch_url(cycle), headers=partner, json={"items": [
        item(alliance.id, ref="a-1"),
        item(other_alliance.slug, submit=True),
        item("05915000", answers={"partner_meetings": 2}, wants_seal=None),
    ]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["updated"], body["unchanged"], body["rejected"]) == (3, 0, 0, 0)
    assert [i["index"] for i in body["items"]] == [0, 1, 2]
    assert [i["alliance_id"] for i in body["items"]] == [alliance.id, other_alliance.id, third.id]
    assert body["items"][0]["ref"] == "a-1" and body["items"][0]["response_status"] == "draft"
    assert body["items"][1]["response_status"] == "submitted"
    submitted = stored(session, cycle, other_alliance)
    assert submitted is not None and submitted.mode == "partner_import"
    assert submitted.entered_by.startswith("client:") and submitted.activity_score == 19.0
    assert submitted.submitted_by == submitted.entered_by
    draft = stored(session, cycle, third)
    assert draft is not None and draft.answers == {"partner_meetings": 2}
    assert revision_count(session, submitted.id) == 2  # import + submit


def test_repush_is_unchanged_then_updated(client, session, cycle, alliance, pusher):
    first = client.post(batch_url(cycle), headers=pusher, json={"items": [item(alliance.id)]})
    again = client.post(batch_url(cycle), headers=pusher, json={"items": [item(alliance.id)]})
    assert again.json()["items"][0]["status"] == "unchanged"
    assert again.json()["items"][0]["response_id"] == first.json()["items"][0]["response_id"]
    changed = client.post(batch_url(cycle), headers=pusher,
                          json={"items": [item(alliance.id, wants_seal=False)]})
    assert changed.json()["items"][0]["status"] == "updated"
    row = stored(session, cycle, alliance)
    assert row is not None and row.wants_seal is False and row.version == 2
    assert revision_count(session, row.id) == 2


def test_submitted_response_is_not_overwritten(client, session, cycle, alliance, pusher):
    factories.make_response(session, cycle, alliance)
    r = client.post(batch_url(cycle), headers=pusher,
                    json={"items": [item(alliance.id, wants_seal=False)]})
    result = r.json()["items"][0]
    assert result["status"] == "rejected" and result["problem"]["code"] == "response_submitted"
    assert result["problem"]["errors"][0]["loc"] == ["body", "items", 0]
    row = stored(session, cycle, alliance)
    assert row is not None and row.wants_seal is True
    # Retrying the very submission that froze it is harmless.
    retry = client.post(batch_url(cycle), headers=pusher,
                        json={"items": [item(alliance.id, submit=True)]})
    assert retry.json()["items"][0]["status"] == "unchanged"


def test_every_bad_item_is_rejected_on_its_own(client, session, cycle, alliance, other_alliance):
    dissolved = factories.make_alliance(session, status=AllianceStatus.dissolved)
    restricted = factories.client_headers(factories.make_client(session,
                                                                alliances=[alliance, dissolved]))
    items = [
        item(alliance.id, ref="good"),
        item(alliance.id, wants_seal=False),                       # same alliance again
        item(other_alliance.id),                                   # outside the allowance
        item("no-such-alliance"),
        {"alliance": alliance.slug, "wants_seal": "vielleicht", "ref": "r4"},  # malformed
        item(dissolved.id),
        {"answers": {}},                                           # no alliance at all
    ]
    r = client.post(batch_url(cycle), headers=restricted, json={"items": items})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["rejected"]) == (1, 6)
    codes = [i["problem"]["code"] if i["problem"] else i["status"] for i in body["items"]]
    assert codes == ["created", "duplicate_alliance", "alliance_not_allowed", "alliance_not_found",
                     "invalid_item", "not_eligible", "invalid_item"]
    locs = [e["loc"] for i in body["items"] if i["problem"] for e in i["problem"]["errors"]]
    assert ["body", "items", 1, "alliance"] in locs
    assert ["body", "items", 2, "alliance"] in locs
    assert ["body", "items", 3, "alliance"] in locs
    assert ["body", "items", 4, "wants_seal"] in locs
    assert ["body", "items", 6, "alliance"] in locs
    assert body["items"][2]["alliance_id"] is None, "nothing about a foreign alliance leaks"
    assert body["items"][4]["ref"] == "r4", "a malformed item still echoes its reference"
    assert stored(session, cycle, other_alliance) is None
    assert response_count(session, cycle) == 1


def test_answers_are_checked_per_item(client, cycle, alliance, other_alliance, pusher):
    r = client.post(batch_url(cycle), headers=pusher, json={"items": [
        item(alliance.id, answers={"partner_meetings": -1, "nope": True}),
        item(other_alliance.id, answers={"partner_meetings": 3}, submit=True, wants_seal=None),
    ]})
    first, second = r.json()["items"]
    assert first["problem"]["code"] == "invalid_answers"
    assert {tuple(e["loc"]) for e in first["problem"]["errors"]} == {
        ("body", "items", 0, "answers", "partner_meetings"), ("body", "items", 0, "answers", "nope")}
    assert second["problem"]["code"] == "invalid_answers"
    assert {tuple(e["loc"]) for e in second["problem"]["errors"]} == {
        ("body", "items", 1, "answers", "press_coverage"),
        ("body", "items", 1, "answers", "offer_frequency"), ("body", "items", 1, "wants_seal")}


def test_sealed_alliance_item_is_not_eligible(client, session, cycle, alliance, pusher):
    from datetime import date

    from app.awards.models import Award

    old = factories.make_cycle(session, status=CycleStatus.archived)
    session.add(Award(cycle_id=old.id, alliance_id=alliance.id, title="Siegel", awarded_on=date(2023, 11, 24),
                      verification_code="SEAL-BATCH-1", confirmed_by="user:1"))
    session.commit()
    result = client.post(batch_url(cycle), headers=pusher,
                         json={"items": [item(alliance.id)]}).json()["items"][0]
    assert result["problem"]["code"] == "not_eligible"


def test_ambiguous_ags_is_rejected(client, session, cycle, admin):
    for district in ("Mitte", "Pankow"):
        factories.make_alliance(session, ags="11000000", state="DE-BE", district=district)
    result = client.post(batch_url(cycle), headers=admin,
                         json={"items": [item("11000000")]}).json()["items"][0]
    assert result["problem"]["code"] == "alliance_ambiguous"


def test_atomic_batch_writes_all_or_nothing(client, session, cycle, alliance, other_alliance,
                                            pusher):
    items = [item(alliance.id), item(other_alliance.id, answers={"offer_frequency": "weekly"})]
    r = client.post(batch_url(cycle), headers=pusher, json={"atomic": True, "items": items})
    body = assert_problem(r, 422, "batch_rejected")
    assert error_locs(body) == [["body", "items", 1, "answers", "offer_frequency"]]
    assert [i["status"] for i in body["items"]] == ["rejected", "rejected"]
    assert body["items"][0]["problem"]["code"] == "not_applied"
    assert response_count(session, cycle) == 0
    items[1]["answers"] = dict(factories.GOOD_ANSWERS)
    ok = client.post(batch_url(cycle), headers=pusher, json={"atomic": True, "items": items})
    assert ok.json()["created"] == 2 and ok.json()["atomic"] is True


def test_atomic_batch_rolls_back_when_a_frozen_response_is_hit(client, session, cycle, alliance,
                                                               other_alliance, pusher):
    factories.make_response(session, cycle, other_alliance)
    body = assert_problem(client.post(batch_url(cycle), headers=pusher, json={
        "atomic": True, "items": [item(alliance.id), item(other_alliance.id, wants_seal=False)]}),
        422, "batch_rejected")
    assert error_locs(body) == [["body", "items", 1]]
    assert stored(session, cycle, alliance) is None


def test_idempotency_key_replays_without_writing(client, session, cycle, alliance, pusher):
    headers = {**pusher, "Idempotency-Key": "push-2024-06-01-0001"}
    payload = {"items": [item(alliance.id, submit=True)]}
    first = client.post(batch_url(cycle), headers=headers, json=payload)
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    revisions = revision_count(session)
    # Same body with another key order: the same request.
    replay = client.post(batch_url(cycle), headers=headers,
                         json={"items": [dict(reversed(list(payload["items"][0].items())))]})
    assert replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert revision_count(session) == revisions
    # The same key through the cycle's id instead of its slug is still the same request.
    by_id = client.post(f"/api/v1/cycles/{cycle.id}/responses:batch", headers=headers, json=payload)
    assert by_id.headers["idempotent-replayed"] == "true"


def test_idempotency_key_reused_with_another_body(client, session, cycle, alliance, pusher):
    headers = {**pusher, "Idempotency-Key": "push-0002"}
    client.post(batch_url(cycle), headers=headers, json={"items": [item(alliance.id)]})
    body = assert_problem(client.post(batch_url(cycle), headers=headers,
                                      json={"items": [item(alliance.id, wants_seal=False)]}),
                          422, "idempotency_key_reused")
    assert ["header", "Idempotency-Key"] in error_locs(body)
    row = stored(session, cycle, alliance)
    assert row is not None and row.wants_seal is True


def test_idempotency_keys_are_per_caller(client, session, cycle, alliance, other_alliance, admin):
    one = factories.client_headers(factories.make_client(session, alliances=[alliance]))
    two = factories.client_headers(factories.make_client(session, alliances=[other_alliance]))
    key = {"Idempotency-Key": "shared-key"}
    a = client.post(batch_url(cycle), headers={**one, **key}, json={"items": [item(alliance.id)]})
    b = client.post(batch_url(cycle), headers={**two, **key},
                    json={"items": [item(other_alliance.id)]})
    assert a.json()["created"] == b.json()["created"] == 1
    assert "idempotent-replayed" not in b.headers
    assert len(session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "shared-key")).all()) == 2


def test_expired_idempotency_key_is_processed_again(client, session, cycle, alliance, pusher):
    headers = {**pusher, "Idempotency-Key": "old-key"}
    client.post(batch_url(cycle), headers=headers, json={"items": [item(alliance.id)]})
    record = session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "old-key")).one()
    record.created_at = utcnow() - timedelta(days=2)
    session.add(record)
    session.commit()
    r = client.post(batch_url(cycle), headers=headers,
                    json={"items": [item(alliance.id, wants_seal=False)]})
    assert r.status_code == 200 and "idempotent-replayed" not in r.headers
    assert r.json()["items"][0]["status"] == "updated"


def test_failed_atomic_batch_is_not_remembered(client, session, cycle, alliance, pusher):
    headers = {**pusher, "Idempotency-Key": "atomic-1"}
    payload = {"atomic": True, "items": [item(alliance.id, answers={"partner_meetings": "x"})]}
    assert_problem(client.post(batch_url(cycle), headers=headers, json=payload), 422)
    assert session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "atomic-1")).first() is None


@pytest.mark.parametrize("key", ["", "x" * 201, "mit leerzeichen"])
def test_malformed_idempotency_key(client, cycle, alliance, pusher, key):
    body = assert_problem(client.post(batch_url(cycle), headers={**pusher, "Idempotency-Key": key},
                                      json={"items": [item(alliance.id)]}), 422)
    assert ["header", "Idempotency-Key"] in error_locs(body)


def test_batch_size_limit(client, cycle, alliance, pusher):
    limit = get_settings().limits.max_batch_items
    body = assert_problem(client.post(batch_url(cycle), headers=pusher,
                                      json={"items": [item(alliance.id)] * (limit + 1)}), 422)
    assert ["body", "items"] in error_locs(body)
    assert str(limit) in body["errors"][0]["msg"]
    assert ["body", "items"] in error_locs(assert_problem(
        client.post(batch_url(cycle), headers=pusher, json={"items": []}), 422))


@pytest.mark.parametrize(("payload", "loc"), [
    ({}, ["body", "items"]),
    ({"items": [item(1)], "dry_run": True}, ["body", "dry_run"]),
    ({"items": "alles", "atomic": False}, ["body", "items"]),
    ({"items": [5]}, ["body", "items", 0]),
])
def test_malformed_batch_bodies(client, cycle, pusher, payload, loc):
    body = assert_problem(client.post(batch_url(cycle), headers=pusher, json=payload), 422)
    assert loc in error_locs(body)


def test_batch_wrong_callers(client, session, cycle, alliance, coordinator):
    payload = {"items": [item(alliance.id)]}
    assert_problem(client.post(batch_url(cycle), json=payload), 401)
    reader = factories.client_headers(factories.make_client(session, scopes=("surveys:read",)))
    assert_problem(client.post(batch_url(cycle), headers=reader, json=payload), 403,
                   "insufficient_scope")
    assert_problem(client.post(batch_url(cycle), headers=coordinator, json=payload), 403)
    assert response_count(session, cycle) == 0


def test_batch_outside_the_window(client, session, cycle_in, alliance, pusher, admin):
    now = utcnow()
    closed = cycle_in(status=CycleStatus.survey_closed, opens_at=now - timedelta(days=40),
                      closes_at=now - timedelta(days=1))
    assert_problem(client.post(batch_url(closed), headers=pusher,
                               json={"items": [item(alliance.id)]}), 409, "survey_closed")
    r = client.post(batch_url(closed), headers=admin, json={"items": [item(alliance.id, submit=True)]})
    assert r.status_code == 200 and r.json()["created"] == 1
    row = stored(session, closed, alliance)
    assert row is not None and row.mode == "admin_entry" and row.status == ResponseStatus.submitted


def test_batch_unknown_cycle(client, pusher, alliance):
    assert_problem(client.post("/api/v1/cycles/1899-00/responses:batch", headers=pusher,
                               json={"items": [item(alliance.id)]}), 404, "cycle_not_found")


def test_same_key_at_the_same_moment_writes_once(engine, committed, racing_client):
    """Two identical keyed pushes on separate connections: one writes, the other returns the
    same result (as a replay, or after waiting for the winner), and there is one revision."""
    headers = {**committed.partner_headers, "Idempotency-Key": "race-key-1"}
    payload = {"items": [item(committed.alliance.id, wants_seal=False)]}
    replies = race(2, lambda: racing_client.post(batch_url(committed.cycle), headers=headers,
                                                 json=payload))
    assert [r.status_code for r in replies] == [200, 200], [r.text for r in replies]
    assert replies[0].json() == replies[1].json()
    assert replies[0].json()["items"][0]["status"] == "updated"
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in replies) == 1
    with Session(engine) as check:
        revisions = check.exec(select(ResponseRevision.action).where(
            ResponseRevision.response_id == committed.draft.id)).all()
        assert list(revisions) == ["import"]


def test_batch_killed_halfway_leaves_nothing(app, session, cycle, alliance, other_alliance, pusher,
                                             monkeypatch):
    """A crash while writing (the process dies, the database drops the connection …) after the
    responses and their revisions were inserted, before their audit events: the batch is one
    transaction, so nothing of it stays."""
    from fastapi.testclient import TestClient

    from app.audit import recorder

    calls = {"rows": 0}

    def crash(session_, table, rows):
        calls["rows"] = len(rows)
        raise RuntimeError("process killed")

    monkeypatch.setattr(recorder, "record_created", crash)
    before = (response_count(session, cycle), revision_count(session))
    with TestClient(app, raise_server_exceptions=False) as crashing:
        r = crashing.post(batch_url(cycle), headers=pusher,
                          json={"items": [item(alliance.id), item(other_alliance.id)]})
    assert_problem(r, 500, "internal_error")
    assert calls["rows"] == 2, "both responses were inserted before the crash"
    session.expire_all()
    assert (response_count(session, cycle), revision_count(session)) == before


@pytest.mark.parametrize("ref", [True, False])
def test_a_boolean_is_not_an_alliance_reference(client, session, cycle, alliance, pusher, ref):
    # The reference is an id or a slug/AGS; lax validation read true as the id 1.
    r = client.post(batch_url(cycle), headers=pusher, json={"items": [item(alliance.id),
                                                                     {**item(1), "alliance": ref}]})
    assert r.status_code == 200, r.text
    rejected = r.json()["items"][1]
    assert rejected["status"] == "rejected"
    assert rejected["problem"]["code"] == "invalid_item"
    assert [e["loc"] for e in rejected["problem"]["errors"]] == [["body", "items", 1, "alliance"]]
    assert response_count(session, cycle) == 1
