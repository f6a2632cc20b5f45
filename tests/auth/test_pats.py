"""Personal access tokens for admins' scripts, and the audit of sign-ins."""

from datetime import timedelta

import pytest

from app.auth.models import PersonalAccessToken
from app.core.db import utcnow
from tests import factories
from tests.utils.problems import assert_problem


def _create(client, admin, **body):
    r = client.post("/api/v1/me/tokens", headers=admin,
                    json={"name": "Monatsexport", "scopes": ["api:read"], **body})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_script_uses_a_token_shown_once(client, session, admin, alliance):
    created = _create(client, admin, scopes=["api:read", "api:write"], expires_in_days=30)
    token = created["token"]
    assert token.startswith("bpat_")
    stored = session.get(PersonalAccessToken, created["id"])
    assert stored.token_hash != token and token not in stored.token_hash

    script = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/alliances", headers=script).status_code == 200
    r = client.patch(f"/api/v1/alliances/{alliance.id}", headers=script, json={"status": "dormant"})
    assert r.status_code == 200, r.text

    page = client.get("/api/v1/me/tokens", headers=admin).json()
    assert page["next_cursor"] is None
    listed = page["items"]
    assert [t["name"] for t in listed] == ["Monatsexport"]
    assert listed[0]["last_used_at"] is not None
    assert "token" not in listed[0], "the secret is never shown again"


def test_read_only_token_cannot_write(client, admin, alliance):
    script = {"Authorization": f"Bearer {_create(client, admin)['token']}"}
    assert client.get(f"/api/v1/alliances/{alliance.id}", headers=script).status_code == 200
    r = client.patch(f"/api/v1/alliances/{alliance.id}", headers=script, json={"status": "dormant"})
    assert_problem(r, 403, "insufficient_scope")


def test_revoked_expired_and_deactivated_tokens_fail(client, session, admin, admin_account):
    revoked = _create(client, admin)
    assert client.delete(f"/api/v1/me/tokens/{revoked['id']}", headers=admin).status_code == 204
    assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {revoked['token']}"}), 401)

    expired = _create(client, admin)
    row = session.get(PersonalAccessToken, expired["id"])
    row.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired['token']}"}), 401)

    other_admin = factories.make_user(session, factories.Role.admin)
    live = _create(client, factories.user_headers(other_admin))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {live['token']}"}).status_code == 200
    other_admin.is_active = False
    session.commit()
    assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {live['token']}"}), 401)
    assert_problem(client.get("/api/v1/me", headers={"Authorization": "Bearer bpat_made-up"}), 401)


def test_tokens_are_per_owner(client, session, admin):
    mine = _create(client, admin)
    other = factories.user_headers(factories.make_user(session, factories.Role.admin))
    assert client.get("/api/v1/me/tokens", headers=other).json()["items"] == []
    assert_problem(client.delete(f"/api/v1/me/tokens/{mine['id']}", headers=other), 404)


@pytest.mark.parametrize("who,status", [("anonymous", 401), ("alliance_user", 403), ("client", 403)])
def test_only_admins_hold_tokens(client, alliance, alliance_user, partner, who, status):
    headers = {"anonymous": {}, "alliance_user": alliance_user(alliance), "client": partner}[who]
    r = client.post("/api/v1/me/tokens", headers=headers, json={"name": "x1", "scopes": ["api:read"]})
    assert_problem(r, status)


@pytest.mark.parametrize("body,field", [
    ({"name": "ok", "scopes": ["root"]}, "scopes"),
    ({"name": "ok", "scopes": []}, "scopes"),
    ({"name": "ok", "scopes": ["api:read"], "expires_in_days": 400}, "expires_in_days"),
    ({"name": "", "scopes": ["api:read"]}, "name"),
    ({"name": "ok", "scopes": ["api:read"], "owner": 1}, "owner"),
])
def test_bad_token_requests_name_the_field(client, admin, body, field):
    body_ = assert_problem(client.post("/api/v1/me/tokens", headers=admin, json=body), 422)
    assert any(e["loc"][:2] == ["body", field] for e in body_["errors"]), body_["errors"]


def test_sign_ins_are_audited_without_the_address_tried(client, session, admin, alliance):
    user = factories.make_user(session, alliance=alliance, email="anmeldung@example.org")
    ok = client.post("/api/v1/auth/token", data={"grant_type": "password",
                                                 "username": "anmeldung@example.org",
                                                 "password": factories.PASSWORD})
    assert ok.status_code == 200
    client.post("/api/v1/auth/token", data={"grant_type": "password",
                                            "username": "vertippt@example.org", "password": "falsch"})
    trail = client.get("/api/v1/audit-events", headers=admin, params={"action": "auth.", "limit": 50})
    events = trail.json()["items"]
    actions = {e["action"] for e in events}
    assert {"auth.login", "auth.login_failed"} <= actions
    login = next(e for e in events if e["action"] == "auth.login")
    assert login["actor"] == f"user:{user.id}"
    assert "vertippt@example.org" not in trail.text and "anmeldung@example.org" not in trail.text
