"""The Servicebüro's webhook endpoints through the API: CRUD with ETag/If-Match, the secret
shown once, rotation, wrong callers and bad input (URLs that would reach inside included)."""

import pytest
from sqlmodel import col, select

from app.audit.models import AuditEvent
from app.core.config import get_settings
from tests import factories
from tests.utils.etags import row_tag
from tests.utils.problems import assert_problem, error_locs
from tests.webhooks.helpers import ALL_TYPES, ENDPOINTS, create_endpoint, endpoint_body

PUBLIC_URL = "https://93.184.215.14/hooks/buendnis"  # an IP literal: no DNS in the tests


def test_create_shows_the_secret_once_and_reads_never_do(client, admin):
    created = client.post(ENDPOINTS, headers=admin, json=endpoint_body(
        PUBLIC_URL, event_types=["award.confirmed", "award.withdrawn", "award.confirmed"]))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert len(__import__("base64").b64decode(body["secret"][6:])) >= 24
    assert body["event_types"] == ["award.confirmed", "award.withdrawn"]  # each once
    assert body["client_pk"] is None and body["is_active"] is True
    assert created.headers["Location"] == f"{ENDPOINTS}/{body['id']}"
    assert row_tag(created.headers["ETag"]) == f'"webhook-endpoint-{body["id"]}-v1"'
    assert created.headers["Cache-Control"] == "no-store"

    read = client.get(f"{ENDPOINTS}/{body['id']}", headers=admin)
    assert read.status_code == 200
    assert "secret" not in read.json()
    listed = client.get(ENDPOINTS, headers=admin).json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert "secret" not in listed[0]


def test_neither_secret_nor_url_reaches_the_audit_trail(client, admin, session):
    body = create_endpoint(client, admin, PUBLIC_URL + "?token=partner-token")
    client.post(f"{ENDPOINTS}/{body['id']}/secret", headers=admin)
    events = session.exec(select(AuditEvent).where(
        AuditEvent.resource_type == "webhook_endpoint").order_by(col(AuditEvent.id))).all()
    assert [e.action for e in events] == ["webhook_endpoint.create", "webhook_endpoint.update"]
    trail = str([e.changes for e in events])
    assert body["secret"] not in trail and "partner-token" not in trail
    assert events[0].changes["url"] == "***"


def test_update_with_if_match_and_a_stale_etag_is_refused(client, admin):
    body = create_endpoint(client, admin, PUBLIC_URL)
    item = f"{ENDPOINTS}/{body['id']}"
    changed = client.patch(item, headers={**admin, "If-Match": f'"webhook-endpoint-{body["id"]}-v1"'},
                           json={"event_types": ALL_TYPES, "description": "Alles"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.json()["event_types"] == ALL_TYPES
    stale = client.patch(item, headers={**admin, "If-Match": f'"webhook-endpoint-{body["id"]}-v1"'},
                         json={"is_active": False})
    assert_problem(stale, 412, "precondition_failed")
    assert_problem(client.patch(item, headers=admin, json={"url": None}), 422,
                   "invalid_webhook_endpoint")


def test_delete(client, admin):
    body = create_endpoint(client, admin, PUBLIC_URL)
    item = f"{ENDPOINTS}/{body['id']}"
    assert_problem(client.delete(item, headers={**admin, "If-Match": '"webhook-endpoint-1-v9"'}),
                   412)
    assert client.delete(item, headers=admin).status_code == 204
    assert_problem(client.get(item, headers=admin), 404, "webhook_endpoint_not_found")


def test_endpoint_for_a_machine_client(client, admin, partner_client):
    body = create_endpoint(client, admin, PUBLIC_URL, client_pk=partner_client.id)
    assert body["client_pk"] == partner_client.id
    mine = client.get(ENDPOINTS, headers=admin, params={"client_pk": partner_client.id})
    assert [item["id"] for item in mine.json()["items"]] == [body["id"]]
    unknown = client.post(ENDPOINTS, headers=admin, json=endpoint_body(PUBLIC_URL, client_pk=999999))
    assert error_locs(assert_problem(unknown, 422, "invalid_webhook_endpoint")) == [
        ["body", "client_pk"]]


def test_rotation_shows_a_new_secret_and_keeps_the_old_for_the_grace_period(client, admin):
    body = create_endpoint(client, admin, PUBLIC_URL)
    rotated = client.post(f"{ENDPOINTS}/{body['id']}/secret", headers=admin)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["secret"].startswith("whsec_") and new["secret"] != body["secret"]
    assert new["previous_secret_expires_at"] is not None
    assert new["version"] == 2
    stale = client.post(f"{ENDPOINTS}/{body['id']}/secret",
                        headers={**admin, "If-Match": f'"webhook-endpoint-{body["id"]}-v1"'})
    assert_problem(stale, 412)


@pytest.mark.parametrize(("url", "why"), [
    ("ftp://93.184.215.14/x", "scheme"),
    ("not a url", "scheme"),
    ("https://user:pw@93.184.215.14/x", "user"),
    ("http://127.0.0.1:8080/hooks", "loopback"),
    ("http://localhost/hooks", "loopback"),
    ("http://10.1.2.3/hooks", "private"),
    ("http://192.168.0.10/hooks", "private"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[::1]/hooks", "loopback"),
    ("http://[::ffff:127.0.0.1]/hooks", "mapped loopback"),
    ("http://0.0.0.0/hooks", "unspecified"),
])
def test_urls_that_could_reach_inside_are_refused(client, admin, url, why):
    refused = client.post(ENDPOINTS, headers=admin, json=endpoint_body(url))
    body = assert_problem(refused, 422, "invalid_webhook_endpoint")
    assert error_locs(body) == [["body", "url"]], why


def test_a_private_address_cannot_be_patched_in_either(client, admin):
    body = create_endpoint(client, admin, PUBLIC_URL)
    refused = client.patch(f"{ENDPOINTS}/{body['id']}", headers=admin,
                           json={"url": "http://10.0.0.1/x"})
    assert error_locs(assert_problem(refused, 422)) == [["body", "url"]]


def test_production_requires_https(client, admin, monkeypatch):
    monkeypatch.setattr(get_settings(), "env", "production")
    refused = client.post(ENDPOINTS, headers=admin, json=endpoint_body("http://93.184.215.14/x"))
    assert error_locs(assert_problem(refused, 422)) == [["body", "url"]]
    assert client.post(ENDPOINTS, headers=admin, json=endpoint_body(PUBLIC_URL)).status_code == 201


@pytest.mark.usefixtures("private_addresses_allowed")
def test_the_setting_allows_private_addresses_for_tests_and_development(client, admin):
    assert client.post(ENDPOINTS, headers=admin,
                       json=endpoint_body("http://127.0.0.1:9/x")).status_code == 201


@pytest.mark.parametrize("body", [
    endpoint_body(PUBLIC_URL, event_types=["award.granted"]),
    endpoint_body(PUBLIC_URL, event_types=[]),
    endpoint_body(PUBLIC_URL, event_types=["webhook.test"]),
    endpoint_body(PUBLIC_URL, secret="whsec_mine"),
    endpoint_body(PUBLIC_URL, description="a\u202eb"),
    endpoint_body("https://93.184.215.14/" + "x" * 2000),
    endpoint_body(PUBLIC_URL, is_active="yes"),
])
def test_bad_input_is_refused_with_the_field(client, admin, body):
    refused = assert_problem(client.post(ENDPOINTS, headers=admin, json=body), 422)
    assert refused["errors"] and refused["errors"][0]["loc"][0] == "body"


def test_wrong_callers_are_refused(client, admin, alliance, alliance_user, partner_client):
    admin_headers = admin
    body = create_endpoint(client, admin_headers, PUBLIC_URL)
    item = f"{ENDPOINTS}/{body['id']}"
    own = alliance_user(alliance)
    machine = factories.client_headers(partner_client)
    for headers, status in ((own, 403), (machine, 403), ({}, 401)):
        assert_problem(client.get(ENDPOINTS, headers=headers), status)
        assert_problem(client.post(ENDPOINTS, headers=headers, json=endpoint_body(PUBLIC_URL)),
                       status)
        assert_problem(client.get(item, headers=headers), status)
        assert_problem(client.patch(item, headers=headers, json={"is_active": False}), status)
        assert_problem(client.post(f"{item}/secret", headers=headers), status)
        assert_problem(client.get(f"{item}/deliveries", headers=headers), status)
    assert client.get(item, headers=admin_headers).json()["is_active"] is True
