"""Delivery to a real HTTP server on 127.0.0.1, signatures checked with the standardwebhooks
package; retries with backoff, giving up, auto-disable, redelivery, the test event, rotation's
grace period, refused redirects and URLs checked again before sending."""

from datetime import timedelta

import pytest
from sqlmodel import col, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.audit.models import AuditEvent
from app.core.config import get_settings
from app.core.db import utcnow
from app.webhooks import service
from app.webhooks.delivery import send_due
from app.webhooks.events import AwardEventData
from app.webhooks.models import DeliveryStatus, WebhookEndpoint
from tests.utils.problems import assert_problem
from tests.webhooks.helpers import ENDPOINTS, create_endpoint, deliveries, verify

pytestmark = pytest.mark.usefixtures("private_addresses_allowed")


def award_event(session, alliance_id: int = 1, award_id: int = 7) -> int:
    count = service.emit(session, "award.confirmed", AwardEventData(
        award_id=award_id, alliance_id=alliance_id, cycle_key="2024/25", occurred_at=utcnow()))
    session.commit()
    return count


def test_a_delivery_reaches_the_server_signed_per_standard_webhooks(client, admin, session,
                                                                    receiver):
    endpoint = create_endpoint(client, admin, receiver.url())
    assert award_event(session) == 1

    report = send_due(session)

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [request] = receiver.requests
    assert request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"].startswith("msg_")
    payload = verify(endpoint["secret"], request)
    assert payload["type"] == "award.confirmed"
    assert payload["data"] == {"award_id": 7, "alliance_id": 1, "cycle_key": "2024/25",
                               "occurred_at": payload["data"]["occurred_at"]}
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUJD" * 8).verify(request.body, request.headers)
    [row] = deliveries(session)
    assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.succeeded, 1, 204)
    assert row.delivered_at is not None

    listed = client.get(f"{ENDPOINTS}/{endpoint['id']}/deliveries", headers=admin).json()
    assert [(d["status"], d["attempts"], d["last_status_code"], d["next_attempt_at"])
            for d in listed["items"]] == [("succeeded", 1, 204, None)]
    assert send_due(session).sent == 0, "sent once, not again"


def test_only_endpoints_that_chose_the_event_get_it(client, admin, session, receiver):
    create_endpoint(client, admin, receiver.url("/awards"), event_types=["award.confirmed"])
    create_endpoint(client, admin, receiver.url("/events"), event_types=["event.published"])
    create_endpoint(client, admin, receiver.url("/off"), is_active=False)
    award_event(session)
    send_due(session)
    assert [r.path for r in receiver.requests] == ["/awards"]


def test_retries_follow_the_backoff_then_the_delivery_is_given_up(client, admin, session,
                                                                  receiver, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "webhook_max_attempts", 4)
    monkeypatch.setattr(settings, "webhook_retry_backoff_seconds", [5, 300, 1800])
    endpoint = create_endpoint(client, admin, receiver.url())
    award_event(session)
    receiver.statuses.extend([500, 503, 400, 404])
    now = utcnow()

    waits = []
    for attempt in range(1, 5):
        report = send_due(session, now)
        [row] = deliveries(session)
        assert row.attempts == attempt
        if attempt < 4:
            assert report.retrying == 1 and row.status == DeliveryStatus.pending
            waits.append(int((row.next_attempt_at - now).total_seconds()))
            assert send_due(session, row.next_attempt_at - timedelta(seconds=1)).retrying == 0
            now = row.next_attempt_at
        else:
            assert report.failed == 1 and row.status == DeliveryStatus.failed
    assert waits == [5, 300, 1800]
    assert [row.last_status_code, row.last_error] == [404, "HTTP 404"]
    assert len(receiver.requests) == 4
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1, "same id every time"
    assert send_due(session, now + timedelta(days=2)).sent == 0
    body = client.get(f"{ENDPOINTS}/{endpoint['id']}", headers=admin).json()
    assert body["consecutive_failures"] == 1 and body["is_active"] is True


def test_an_unreachable_endpoint_is_retried(client, admin, session):
    create_endpoint(client, admin, "http://127.0.0.1:9/nobody-listens")
    award_event(session)
    report = send_due(session)
    [row] = deliveries(session)
    assert report.retrying == 1 and row.status == DeliveryStatus.pending
    assert row.last_status_code is None and row.last_error.startswith("connection failed")


def test_redirects_are_not_followed(client, admin, session, receiver):
    create_endpoint(client, admin, receiver.url())
    receiver.redirect_to = receiver.url("/elsewhere")
    award_event(session)
    send_due(session)
    assert [r.path for r in receiver.requests] == ["/hooks"]
    [row] = deliveries(session)
    assert row.status == DeliveryStatus.pending and row.last_status_code == 307


def test_the_url_is_checked_again_before_each_delivery(client, admin, session, receiver,
                                                       monkeypatch):
    create_endpoint(client, admin, receiver.url())
    award_event(session)
    monkeypatch.setattr(get_settings(), "webhook_allow_private_addresses", False)
    send_due(session)
    assert receiver.requests == []
    [row] = deliveries(session)
    assert row.status == DeliveryStatus.pending
    assert row.last_error.startswith("URL refused: resolves to a loopback")


def test_an_endpoint_is_disabled_after_consecutive_failed_deliveries(client, admin, session,
                                                                     receiver, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "webhook_max_attempts", 1)
    monkeypatch.setattr(settings, "webhook_disable_after_failures", 3)
    endpoint = create_endpoint(client, admin, receiver.url())
    receiver.statuses.extend([500] * 10)
    for n in range(4):
        award_event(session, award_id=n + 1)

    report = send_due(session)

    assert report.failed == 3, "the fourth is not attempted once the endpoint is off"
    body = client.get(f"{ENDPOINTS}/{endpoint['id']}", headers=admin).json()
    assert body["is_active"] is False and body["disabled_at"] is not None
    assert body["consecutive_failures"] == 3
    audit = session.exec(select(AuditEvent).where(
        AuditEvent.action == "webhook_endpoint.disabled").order_by(col(AuditEvent.id))).all()
    assert [(a.resource_id, a.actor) for a in audit] == [(str(endpoint["id"]), "system")]
    assert award_event(session) == 0, "a disabled endpoint gets no new events"
    # Re-enabled by the Servicebüro: the waiting delivery goes out, the count starts afresh.
    enabled = client.patch(f"{ENDPOINTS}/{endpoint['id']}", headers=admin,
                           json={"is_active": True})
    assert enabled.json()["consecutive_failures"] == 0 and enabled.json()["disabled_at"] is None
    receiver.statuses.clear()
    assert send_due(session).sent == 1


def test_a_success_resets_the_failure_count(client, admin, session, receiver, monkeypatch):
    monkeypatch.setattr(get_settings(), "webhook_max_attempts", 1)
    endpoint = create_endpoint(client, admin, receiver.url())
    receiver.statuses.extend([500, 500])
    for n in range(3):
        award_event(session, award_id=n + 1)
    send_due(session)
    body = client.get(f"{ENDPOINTS}/{endpoint['id']}", headers=admin).json()
    assert body["consecutive_failures"] == 0


def test_redeliver_sends_a_failed_delivery_again_with_the_same_id(client, admin, session,
                                                                  receiver, monkeypatch):
    monkeypatch.setattr(get_settings(), "webhook_max_attempts", 1)
    endpoint = create_endpoint(client, admin, receiver.url())
    receiver.statuses.append(500)
    award_event(session)
    send_due(session)
    [row] = deliveries(session)
    assert row.status == DeliveryStatus.failed
    base = f"{ENDPOINTS}/{endpoint['id']}/deliveries"
    failed = client.get(base, headers=admin, params={"status": "failed"}).json()["items"]
    assert [d["id"] for d in failed] == [row.id]

    again = client.post(f"{base}/{row.id}/redeliver", headers=admin)
    assert again.status_code == 202, again.text
    assert again.json()["status"] == "pending" and again.json()["attempts"] == 0
    assert_problem(client.post(f"{base}/{row.id}/redeliver", headers=admin), 409,
                   "webhook_delivery_pending")
    assert send_due(session).sent == 1
    assert [r.headers["webhook-id"] for r in receiver.requests] == [row.message_id] * 2
    verify(endpoint["secret"], receiver.requests[-1])
    assert_problem(client.post(f"{base}/999999/redeliver", headers=admin), 404,
                   "webhook_delivery_not_found")
    other = create_endpoint(client, admin, receiver.url())
    assert_problem(client.post(f"{ENDPOINTS}/{other['id']}/deliveries/{row.id}/redeliver",
                               headers=admin), 404)


def test_the_test_event(client, admin, session, receiver):
    endpoint = create_endpoint(client, admin, receiver.url(), event_types=["event.published"])
    queued = client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=admin)
    assert queued.status_code == 202, queued.text
    assert queued.json()["event_type"] == "webhook.test"
    assert receiver.requests == [], "never sent inside the request"
    send_due(session)
    payload = verify(endpoint["secret"], receiver.requests[0])
    assert payload["type"] == "webhook.test"
    assert payload["data"]["endpoint_id"] == endpoint["id"]
    off = create_endpoint(client, admin, receiver.url(), is_active=False)
    assert_problem(client.post(f"{ENDPOINTS}/{off['id']}/test", headers=admin), 409,
                   "webhook_endpoint_inactive")


def test_both_secrets_sign_during_the_rotation_grace_period(client, admin, session, receiver):
    endpoint = create_endpoint(client, admin, receiver.url())
    rotated = client.post(f"{ENDPOINTS}/{endpoint['id']}/secret", headers=admin).json()
    award_event(session)
    send_due(session)
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    verify(endpoint["secret"], request)  # a receiver not yet updated
    verify(rotated["secret"], request)  # a receiver already updated

    # After the grace period only the new secret signs.
    row = session.get(WebhookEndpoint, endpoint["id"])
    row.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    award_event(session, award_id=8)
    send_due(session)
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    verify(rotated["secret"], request)
    with pytest.raises(WebhookVerificationError):
        verify(endpoint["secret"], request)


def test_deliveries_are_paged_newest_first(client, admin, session, receiver):
    endpoint = create_endpoint(client, admin, receiver.url())
    for n in range(3):
        award_event(session, award_id=n + 1)
    base = f"{ENDPOINTS}/{endpoint['id']}/deliveries"
    first = client.get(base, headers=admin, params={"limit": 2})
    ids = [d["id"] for d in first.json()["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 2
    assert 'rel="next"' in first.headers["Link"]
    rest = client.get(base, headers=admin, params={"limit": 2,
                                                   "cursor": first.json()["next_cursor"]})
    assert len(rest.json()["items"]) == 1 and rest.json()["next_cursor"] is None
    assert_problem(client.get(f"{ENDPOINTS}/999999/deliveries", headers=admin), 404)
    assert_problem(client.get(base, headers=admin, params={"status": "lost"}), 422)


def test_a_slow_endpoint_times_out_and_is_retried(client, admin, session, receiver, monkeypatch):
    monkeypatch.setattr(get_settings(), "webhook_timeout_seconds", 0.2)
    receiver.delay_seconds = 1.0
    create_endpoint(client, admin, receiver.url())
    award_event(session)
    report = send_due(session)
    [row] = deliveries(session)
    assert report.retrying == 1 and row.status == DeliveryStatus.pending
    assert (row.last_status_code, row.last_error) == (None, "timed out")


def test_410_gone_disables_the_endpoint_at_once(client, admin, session, receiver):
    endpoint = create_endpoint(client, admin, receiver.url())
    receiver.statuses.append(410)
    award_event(session, award_id=1)
    award_event(session, award_id=2)
    report = send_due(session)
    assert (report.failed, len(receiver.requests)) == (1, 1), "the second waits"
    body = client.get(f"{ENDPOINTS}/{endpoint['id']}", headers=admin).json()
    assert body["is_active"] is False and body["disabled_at"] is not None
    assert [d.status for d in deliveries(session)] == [DeliveryStatus.failed,
                                                       DeliveryStatus.pending]


def test_the_retention_job_purges_old_settled_deliveries(client, admin, session, receiver,
                                                         monkeypatch):
    from app.webhooks.delivery import purge_settled

    monkeypatch.setattr(get_settings(), "webhook_max_attempts", 1)
    create_endpoint(client, admin, receiver.url())
    receiver.statuses.extend([204, 500])
    award_event(session, award_id=1)
    award_event(session, award_id=2)
    send_due(session)
    award_event(session, award_id=3)  # still pending
    assert sorted(d.status for d in deliveries(session)) == ["failed", "pending", "succeeded"]
    assert purge_settled(session, utcnow() - timedelta(days=1)) == 0, "young rows stay"
    assert purge_settled(session, utcnow() + timedelta(seconds=1)) == 2
    assert [d.status for d in deliveries(session)] == [DeliveryStatus.pending]
