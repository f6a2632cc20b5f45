"""Events are queued by the services, in the transaction of the change: a change that rolls
back queues nothing. Payloads carry ids, the alliance, the cycle key and timestamps, never a
person's name or address. A client's endpoint gets only events about alliances it may see."""

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from app.core.db import utcnow
from app.cycles.models import CycleStatus
from app.events import waitlist
from app.events.models import DelegateStatus, EventDelegate
from app.webhooks import service
from app.webhooks.events import AwardEventData, EventEventData
from tests import factories
from tests.events.helpers import delegate_body, delegate_url
from tests.events.helpers import url as event_url
from tests.surveys.helpers import draft_body, response_url, responses_url
from tests.webhooks.helpers import ALL_TYPES, ENDPOINTS, deliveries, payload_of

PUBLIC_URL = "https://93.184.215.14/hooks"
PERSONAL = ("Erika", "Muster", "@", "example", "+49")


@pytest.fixture
def endpoint(client, admin) -> dict[str, Any]:
    created = client.post(ENDPOINTS, headers=admin, json={"url": PUBLIC_URL,
                                                         "event_types": ALL_TYPES})
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def events_of(session: Session) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for row in deliveries(session):
        payload = payload_of(row)
        assert payload["type"] == row.event_type
        assert not any(word in row.payload for word in PERSONAL), row.payload
        found.append((row.event_type, payload["data"]))
    return found


def test_response_submitted_and_reopened(client, session, alliance, alliance_user, admin,
                                         endpoint):
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    coordinator = alliance_user(alliance)
    client.put(response_url(cycle, alliance), headers=coordinator, json=draft_body())
    assert events_of(session) == [], "a saved draft is no event"
    submitted = client.post(f"{response_url(cycle, alliance)}/submit", headers=coordinator)
    assert submitted.status_code == 200, submitted.text
    reopened = client.post(f"{response_url(cycle, alliance)}/reopen", headers=admin,
                           json={"reason": "Zahlendreher"})
    assert reopened.status_code == 200, reopened.text
    response_id = submitted.json()["id"]
    assert [(t, d["response_id"], d["alliance_id"], d["cycle_key"]) for t, d in events_of(session)
            ] == [("response.submitted", response_id, alliance.id, cycle.key),
                  ("response.reopened", response_id, alliance.id, cycle.key)]


def test_a_partner_batch_emits_one_event_per_submitted_response(client, session, alliance,
                                                                 other_alliance, endpoint):
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    partner = factories.client_headers(factories.make_client(session, alliances=[alliance,
                                                                              other_alliance]))
    answers = dict(factories.GOOD_ANSWERS)
    pushed = client.post(f"{responses_url(cycle)}:batch", headers=partner, json={"items": [
        {"alliance": alliance.id, "answers": answers, "wants_seal": True,
         "wants_future_project": True, "submit": True},
        {"alliance": other_alliance.id, "answers": answers, "wants_seal": True}]})
    assert pushed.status_code == 200, pushed.text
    submitted_items = [r for r in pushed.json()["items"] if r["response_status"] == "submitted"]
    assert len(submitted_items) == 1, pushed.text
    [submitted] = submitted_items
    assert [(t, d["response_id"], d["alliance_id"], d["cycle_key"]) for t, d in events_of(session)
            ] == [("response.submitted", submitted["response_id"], alliance.id, cycle.key)]


def test_evaluation_run_and_awards(client, session, alliance, admin, endpoint):
    cycle = factories.make_cycle(session, status=CycleStatus.survey_closed,
                                 ceremony_on=date(2024, 11, 22))
    factories.make_questions(session, cycle)
    factories.make_criteria(session, cycle)
    factories.make_scored_response(session, cycle, alliance)
    run = client.post(f"/api/v1/cycles/{cycle.slug}/evaluation", headers=admin,
                      json={"reason": "Auswertung"})
    assert run.status_code == 201, run.text
    assert client.post(f"/api/v1/cycles/{cycle.slug}/mark-evaluated", headers=admin).status_code == 200
    confirmed = client.post(f"/api/v1/cycles/{cycle.slug}/awards:confirm", headers=admin, json={})
    assert confirmed.status_code == 200, confirmed.text
    [award] = confirmed.json()["awards"]
    again = client.post(f"/api/v1/cycles/{cycle.slug}/awards:confirm", headers=admin, json={})
    assert again.json()["unchanged"] == 1, "nothing new confirmed: no second event"
    withdrawn = client.post(f"/api/v1/awards/{award['id']}/withdraw", headers=admin,
                            json={"reason": "Auf Wunsch des Bündnisses"})
    assert withdrawn.status_code == 200, withdrawn.text

    found = events_of(session)
    assert [t for t, _ in found] == ["evaluation_run.recorded", "award.confirmed",
                                     "award.withdrawn"]
    assert found[0][1]["run_id"] == run.json()["id"] and found[0][1]["cycle_key"] == cycle.key
    for _, data in found[1:]:
        assert (data["award_id"], data["alliance_id"], data["cycle_key"]) == (
            award["id"], alliance.id, cycle.key)


def test_events_and_delegates(client, session, alliance, alliance_user, admin, endpoint):
    event = factories.make_event(session, status="draft", invitation_only=False, capacity=1)
    published = client.post(event_url(event.id, "/publish"), headers=admin)
    assert published.status_code == 200, published.text
    coordinator = alliance_user(alliance)
    first = client.post(delegate_url(event.id), headers=coordinator, json=delegate_body())
    second = client.post(delegate_url(event.id), headers=coordinator,
                         json=delegate_body(email="zweite@example.org"))
    assert first.status_code == second.status_code == 201, second.text
    withdrawn = client.post(delegate_url(event.id, first.json()["id"], "/withdraw"),
                            headers=coordinator)
    assert withdrawn.status_code == 200, withdrawn.text
    cancelled = client.post(event_url(event.id, "/cancel"), headers=admin)
    assert cancelled.status_code == 200, cancelled.text

    found = events_of(session)
    assert [(t, d.get("delegate_id"), d.get("status")) for t, d in found] == [
        ("event.published", None, None),
        ("delegate.registered", first.json()["id"], "registered"),
        ("delegate.waitlisted", second.json()["id"], "waitlisted"),
        ("delegate.withdrawn", first.json()["id"], "withdrawn"),
        ("delegate.promoted", second.json()["id"], "registered"),
        ("event.cancelled", None, None)]
    assert all(d["event_id"] == event.id for _, d in found)
    assert all(d["alliance_id"] == alliance.id for t, d in found if t.startswith("delegate."))


def test_a_partner_subscribed_to_registrations_only_never_counts_a_waiting_person(
        client, session, alliance, alliance_user, admin):
    """delegate.registered means a place is taken; the waiting list has its own type, and the
    place a waiting delegate gets later comes as delegate.promoted."""
    hook = client.post(ENDPOINTS, headers=admin, json={
        "url": PUBLIC_URL, "event_types": ["delegate.registered", "delegate.promoted"]})
    assert hook.status_code == 201, hook.text
    event = factories.make_event(session, invitation_only=False, capacity=1)
    coordinator = alliance_user(alliance)
    first = client.post(delegate_url(event.id), headers=coordinator, json=delegate_body())
    waiting = client.post(delegate_url(event.id), headers=coordinator,
                          json=delegate_body(email="zweite@example.org"))
    assert waiting.json()["status"] == "waitlisted"
    assert [(t, d["delegate_id"]) for t, d in events_of(session)] == [
        ("delegate.registered", first.json()["id"])]
    client.post(delegate_url(event.id, first.json()["id"], "/withdraw"), headers=coordinator)
    assert [(t, d["delegate_id"], d["status"]) for t, d in events_of(session)][1:] == [
        ("delegate.promoted", waiting.json()["id"], "registered")]


def test_the_spec_declares_delegate_waitlisted_like_the_other_webhooks(client):
    hooks = client.get("/openapi.json").json()["webhooks"]
    assert set(hooks) >= set(ALL_TYPES)
    operation = hooks["delegate.waitlisted"]["post"]
    assert "waiting list" in operation["summary"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/WebhookDelegateWaitlistedEvent")


def test_workgroup_result_published(client, session, admin, endpoint):
    cycle = factories.make_cycle(session)
    workgroup = factories.make_workgroup(session, cycle)
    result = factories.make_workgroup_result(session, workgroup)
    base = f"/api/v1/workgroups/{workgroup.id}/results/{result.id}"
    assert client.post(f"{base}/publish", headers=admin).status_code == 200
    assert client.post(f"{base}/unpublish", headers=admin).status_code == 200
    assert [(t, d["result_id"], d["workgroup_id"], d["cycle_key"]) for t, d in events_of(session)
            ] == [("workgroup_result.published", result.id, workgroup.id, cycle.key)]


def test_a_change_that_rolls_back_queues_nothing(client, session, alliance, alliance_user,
                                                 endpoint, monkeypatch):
    event = factories.make_event(session, invitation_only=False, capacity=1)
    coordinator = alliance_user(alliance)
    delegate = client.post(delegate_url(event.id), headers=coordinator, json=delegate_body())
    assert delegate.status_code == 201
    before = len(deliveries(session))

    def fail(*_args: Any, **_kwargs: Any) -> list[int]:
        raise RuntimeError("after the event was queued, before the commit")

    # The withdrawal queues delegate.withdrawn, then fails on its next step.
    monkeypatch.setattr(waitlist, "promote_waiting", fail)
    failed = client.post(delegate_url(event.id, delegate.json()["id"], "/withdraw"),
                         headers=coordinator)
    assert failed.status_code == 500
    assert len(deliveries(session)) == before
    session.expire_all()
    assert session.get(EventDelegate, delegate.json()["id"]).status == DelegateStatus.registered


def test_emit_flushes_only_and_a_rollback_takes_it_back(session, endpoint):
    data = EventEventData(event_id=1, cycle_key=None, occurred_at=utcnow())
    savepoint = session.begin_nested()
    assert service.emit(session, "event.published", data) == 1
    assert len(deliveries(session)) == 1
    savepoint.rollback()
    assert deliveries(session) == []
    with pytest.raises(TypeError):
        service.emit(session, "award.confirmed", data)


def test_client_endpoints_get_only_their_alliances_events(client, admin, session, alliance,
                                                          other_alliance):
    restricted = factories.make_client(session, alliances=[alliance])
    unrestricted = factories.make_client(session)
    revoked = factories.make_client(session)
    revoked.is_active = False
    session.add(revoked)
    session.commit()
    ids = {}
    for name, client_pk in (("restricted", restricted.id), ("unrestricted", unrestricted.id),
                            ("revoked", revoked.id), ("servicebuero", None)):
        created = client.post(ENDPOINTS, headers=admin, json={
            "url": PUBLIC_URL, "event_types": ALL_TYPES, "client_pk": client_pk})
        assert created.status_code == 201, created.text
        ids[created.json()["id"]] = name

    def award(alliance_id: int) -> int:
        return service.emit(session, "award.confirmed", AwardEventData(
            award_id=1, alliance_id=alliance_id, cycle_key="2024/25",
            occurred_at=utcnow()))

    def receivers() -> set[str]:
        rows = deliveries(session)
        latest = rows[-1].message_id
        return {ids[r.endpoint_id] for r in rows if r.message_id == latest}

    assert award(alliance.id) == 3
    assert receivers() == {"restricted", "unrestricted", "servicebuero"}
    assert award(other_alliance.id) == 2
    assert receivers() == {"unrestricted", "servicebuero"}
    # An event about no alliance (a published event) reaches every active client.
    service.emit(session, "event.published", EventEventData(
        event_id=1, cycle_key=None, occurred_at=utcnow()))
    assert receivers() == {"restricted", "unrestricted", "servicebuero"}
