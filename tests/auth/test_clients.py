"""Admin management of machine clients: secrets, scopes, alliances, rotation, revocation."""

import hashlib

import pytest
from sqlmodel import select

from app.auth.models import ApiClient, ApiClientAlliance
from app.core.db import columns_of
from tests import factories
from tests.auth.helpers import (
    ME_URL,
    TOKEN_URL,
    assert_field_error,
    assert_unauthorized,
    basic_auth,
    bearer,
    client_login,
)
from tests.utils.etags import row_tag
from tests.utils.problems import assert_problem

CLIENTS_URL = "/api/v1/clients"
ALL_SCOPES = ["alliances:read", "surveys:read", "surveys:write"]


def create(client, admin, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {"name": "Landesportal Bayern", "scopes": ["alliances:read"]}
    body.update(overrides)
    response = client.post(CLIENTS_URL, json=body, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def token_for(client, created: dict[str, object], scope: str | None = None) -> str:
    response = client_login(client, str(created["client_id"]), str(created["client_secret"]),
                            scope=scope)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def stored_row(session, pk: object) -> ApiClient:
    session.expire_all()
    row = session.get(ApiClient, pk)
    assert row is not None
    return row


# --- create -------------------------------------------------------------------------------------

def test_create_client_shows_the_secret_once(client, session, admin):
    response = client.post(CLIENTS_URL, json={"name": "Landesportal Bayern",
                                              "scopes": ["surveys:write", "alliances:read"]},
                           headers=admin)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Landesportal Bayern"
    assert body["scopes"] == ["alliances:read", "surveys:write"]
    assert body["allowed_alliance_ids"] is None
    assert body["is_active"] is True
    assert body["client_secret"].startswith("bcs_")
    assert len(body["client_secret"]) >= 40
    assert response.headers["location"] == f"/api/v1/clients/{body['id']}"
    fetched = client.get(f"{CLIENTS_URL}/{body['id']}", headers=admin).json()
    assert "client_secret" not in fetched
    assert body["client_secret"] not in str(
        client.get(CLIENTS_URL, headers=admin).json())


def test_client_secret_is_stored_only_as_a_hash(client, session, admin):
    body = create(client, admin)

    row = stored_row(session, body["id"])
    secret = str(body["client_secret"])
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in columns_of(row).values())


def test_created_client_signs_in_with_its_secret(client, admin):
    created = create(client, admin, scopes=["alliances:read", "surveys:read"])

    token = token_for(client, created)

    me = client.get(ME_URL, headers=bearer(token)).json()
    assert (me["kind"], me["id"]) == ("client", created["id"])
    assert me["scopes"] == ["alliances:read", "surveys:read"]
    assert client.get("/api/v1/alliances", headers=bearer(token)).status_code == 200


def test_created_client_signs_in_with_http_basic(client, admin):
    created = create(client, admin)

    response = client.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                           headers=basic_auth(str(created["client_id"]),
                                              str(created["client_secret"])))

    assert response.status_code == 200, response.text


def test_duplicate_scopes_are_collapsed(client, admin):
    body = create(client, admin, scopes=["alliances:read", "alliances:read"])

    assert body["scopes"] == ["alliances:read"]


def test_client_without_scopes_can_sign_in_but_reach_nothing(client, admin):
    created = create(client, admin, scopes=[])

    token = token_for(client, created)

    assert client.get(ME_URL, headers=bearer(token)).json()["scopes"] == []
    assert_problem(client.get("/api/v1/alliances", headers=bearer(token)), 403,
                   "insufficient_scope")


def test_client_restricted_to_alliances(client, session, admin, alliance, other_alliance):
    created = create(client, admin, allowed_alliance_ids=[other_alliance.id, alliance.id,
                                                          alliance.id])

    assert created["allowed_alliance_ids"] == sorted([alliance.id, other_alliance.id])
    rows = session.exec(select(ApiClientAlliance).where(
        ApiClientAlliance.client_pk == created["id"])).all()
    assert {r.alliance_id for r in rows} == {alliance.id, other_alliance.id}


def test_restricted_client_sees_only_its_alliances(client, session, admin, alliance,
                                                   other_alliance):
    created = create(client, admin, allowed_alliance_ids=[alliance.id])
    token = token_for(client, created)

    listing = client.get("/api/v1/alliances", headers=bearer(token)).json()

    assert [a["id"] for a in listing["items"]] == [alliance.id]


@pytest.mark.parametrize("scopes", [
    ["alliances:write"], ["admin"], ["alliances:read", "*"], ["ALLIANCES:READ"],
])
def test_unknown_scope_is_422(client, admin, scopes):
    response = client.post(CLIENTS_URL, json={"name": "Partner", "scopes": scopes}, headers=admin)

    assert_field_error(response, "body", "scopes")


@pytest.mark.parametrize("body,field", [
    ({"scopes": ["alliances:read"]}, "name"),
    ({"name": "P", "scopes": ["alliances:read"]}, "name"),
    ({"name": "x" * 201, "scopes": ["alliances:read"]}, "name"),
    ({"name": "Partner"}, "scopes"),
    ({"name": "Partner", "scopes": "alliances:read"}, "scopes"),
    ({"name": "Partner", "scopes": ["alliances:read"], "allowed_alliance_ids": ["x"]},
     "allowed_alliance_ids"),
    ({"name": "Partner", "scopes": ["alliances:read"], "client_secret": "mine"}, "client_secret"),
    ({"name": "Partner", "scopes": ["alliances:read"], "is_active": True}, "is_active"),
    ({"name": "Partner", "scopes": ["alliances:read"], "client_id": "bcl_mine"}, "client_id"),
])
def test_create_client_validates_its_body(client, admin, body, field):
    assert_field_error(client.post(CLIENTS_URL, json=body, headers=admin), "body", field)


def test_unknown_allowed_alliance_is_422(client, session, admin, alliance):
    response = client.post(CLIENTS_URL, json={"name": "Partner", "scopes": ["alliances:read"],
                                              "allowed_alliance_ids": [alliance.id, 987654]},
                           headers=admin)

    body = assert_field_error(response, "body", "allowed_alliance_ids")
    assert "987654" in body["detail"]
    session.expire_all()
    assert session.exec(select(ApiClient).where(ApiClient.name == "Partner")).all() == []


# --- read and list ------------------------------------------------------------------------------

def test_get_client_carries_an_etag(client, admin, partner_client):
    response = client.get(f"{CLIENTS_URL}/{partner_client.id}", headers=admin)

    assert response.status_code == 200
    body = response.json()
    assert row_tag(response.headers["etag"]) == f'"client-{partner_client.id}-v{body["version"]}"'
    assert body["client_id"] == partner_client.client_id
    assert "secret_hash" not in body


def test_unknown_client_is_404_everywhere(client, admin):
    for method, path, body in [
        ("get", f"{CLIENTS_URL}/987654", None),
        ("patch", f"{CLIENTS_URL}/987654", {"name": "Egal"}),
        ("delete", f"{CLIENTS_URL}/987654", None),
        ("post", f"{CLIENTS_URL}/987654/secret", None),
    ]:
        assert_problem(client.request(method, path, json=body, headers=admin), 404, "not_found")


def test_list_clients_pages(client, session, admin):
    made = [factories.make_client(session) for _ in range(3)]

    first = client.get(CLIENTS_URL, params={"limit": 2, "include_total": True}, headers=admin)
    second = client.get(CLIENTS_URL, params={"limit": 2, "cursor": first.json()["next_cursor"]},
                        headers=admin)

    assert first.json()["total"] == 3
    assert 'rel="next"' in first.headers["link"]
    ids = [c["id"] for c in first.json()["items"] + second.json()["items"]]
    assert ids == [c.id for c in made]
    assert second.json()["next_cursor"] is None


# --- update -------------------------------------------------------------------------------------

def test_update_client_name_and_scopes(client, admin, partner_client):
    etag = client.get(f"{CLIENTS_URL}/{partner_client.id}", headers=admin).headers["etag"]

    response = client.patch(f"{CLIENTS_URL}/{partner_client.id}",
                            json={"name": "Neuer Name", "scopes": ["surveys:read"]},
                            headers={**admin, "If-Match": etag})

    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["scopes"]) == ("Neuer Name",
                                                                    ["surveys:read"])
    assert response.headers["etag"] != etag


def test_removing_a_scope_applies_to_existing_tokens(client, admin, partner_client, partner):
    assert client.get("/api/v1/alliances", headers=partner).status_code == 200

    client.patch(f"{CLIENTS_URL}/{partner_client.id}", json={"scopes": ["surveys:write"]},
                 headers=admin)

    assert_problem(client.get("/api/v1/alliances", headers=partner), 403, "insufficient_scope")


def test_adding_a_scope_does_not_widen_existing_tokens(client, admin, partner_client):
    created_token = token_for(client, {"client_id": partner_client.client_id,
                                       "client_secret": "client-secret-for-tests"})

    client.patch(f"{CLIENTS_URL}/{partner_client.id}", json={"scopes": ALL_SCOPES},
                 headers=admin)

    scopes = client.get(ME_URL, headers=bearer(created_token)).json()["scopes"]
    assert "surveys:read" not in scopes


def test_update_rejects_unknown_scopes_and_fields(client, admin, partner_client):
    bad_scope = client.patch(f"{CLIENTS_URL}/{partner_client.id}", json={"scopes": ["root"]},
                             headers=admin)
    unknown_field = client.patch(f"{CLIENTS_URL}/{partner_client.id}",
                                 json={"secret_hash": "x"}, headers=admin)

    assert_field_error(bad_scope, "body", "scopes")
    assert_field_error(unknown_field, "body", "secret_hash")


def test_restrict_and_unrestrict_alliances(client, admin, partner_client, alliance):
    restricted = client.patch(f"{CLIENTS_URL}/{partner_client.id}",
                              json={"allowed_alliance_ids": [alliance.id]}, headers=admin)
    unrestricted = client.patch(f"{CLIENTS_URL}/{partner_client.id}",
                                json={"unrestrict": True}, headers=admin)

    assert restricted.json()["allowed_alliance_ids"] == [alliance.id]
    assert unrestricted.json()["allowed_alliance_ids"] is None


def test_restriction_applies_to_existing_tokens(client, admin, partner_client, partner,
                                                alliance, other_alliance):
    client.patch(f"{CLIENTS_URL}/{partner_client.id}", json={"allowed_alliance_ids": [alliance.id]},
                 headers=admin)

    listing = client.get("/api/v1/alliances", headers=partner).json()

    assert [a["id"] for a in listing["items"]] == [alliance.id]


def test_update_with_a_mismatched_etag_is_412(client, admin, partner_client):
    response = client.patch(f"{CLIENTS_URL}/{partner_client.id}", json={"name": "Egal"},
                            headers={**admin, "If-Match": f'"client-{partner_client.id}-v99"'})

    assert_problem(response, 412, "precondition_failed")
    assert client.get(f"{CLIENTS_URL}/{partner_client.id}", headers=admin).json()["name"] == \
        partner_client.name


def test_deactivate_and_reactivate_client(client, admin, partner_client, partner):
    client.patch(f"{CLIENTS_URL}/{partner_client.id}", json={"is_active": False}, headers=admin)

    assert_unauthorized(client.get(ME_URL, headers=partner))
    assert_unauthorized(client_login(client, partner_client.client_id, "client-secret-for-tests"),
                        "invalid_client")

    client.patch(f"{CLIENTS_URL}/{partner_client.id}", json={"is_active": True}, headers=admin)

    assert client_login(client, partner_client.client_id,
                        "client-secret-for-tests").status_code == 200


# --- rotate -------------------------------------------------------------------------------------

def test_rotating_the_secret_ends_the_old_secret_and_old_tokens(client, session, admin):
    created = create(client, admin)
    old_token = token_for(client, created)
    assert client.get(ME_URL, headers=bearer(old_token)).status_code == 200

    response = client.post(f"{CLIENTS_URL}/{created['id']}/secret", headers=admin)

    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["client_secret"] != created["client_secret"]
    assert rotated["client_id"] == created["client_id"]
    assert rotated["secret_rotated_at"] is not None
    assert_unauthorized(client.get(ME_URL, headers=bearer(old_token)))
    assert_unauthorized(client_login(client, str(created["client_id"]),
                                     str(created["client_secret"])), "invalid_client")
    new_token = token_for(client, rotated)
    assert client.get(ME_URL, headers=bearer(new_token)).status_code == 200
    row = stored_row(session, created["id"])
    assert row.secret_hash == hashlib.sha256(rotated["client_secret"].encode()).hexdigest()


def test_rotation_ends_tokens_without_the_credential_mark(client, admin, partner_client,
                                                          partner):
    client.post(f"{CLIENTS_URL}/{partner_client.id}/secret", headers=admin)

    assert_unauthorized(client.get(ME_URL, headers=partner))


def test_rotating_twice_keeps_only_the_newest_secret(client, admin):
    created = create(client, admin)
    first = client.post(f"{CLIENTS_URL}/{created['id']}/secret", headers=admin).json()
    second = client.post(f"{CLIENTS_URL}/{created['id']}/secret", headers=admin).json()

    assert_unauthorized(client_login(client, str(created["client_id"]), first["client_secret"]),
                        "invalid_client")
    assert client_login(client, str(created["client_id"]),
                        second["client_secret"]).status_code == 200


# --- revoke -------------------------------------------------------------------------------------

def test_revoking_a_client_ends_its_tokens_and_secret(client, session, admin):
    created = create(client, admin)
    token = token_for(client, created)
    etag = client.get(f"{CLIENTS_URL}/{created['id']}", headers=admin).headers["etag"]

    response = client.delete(f"{CLIENTS_URL}/{created['id']}", headers={**admin, "If-Match": etag})

    assert response.status_code == 204
    assert response.content == b""
    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))
    assert_unauthorized(client_login(client, str(created["client_id"]),
                                     str(created["client_secret"])), "invalid_client")
    assert client.get(f"{CLIENTS_URL}/{created['id']}", headers=admin).json()["is_active"] is False


def test_revoke_with_a_mismatched_etag_is_412(client, admin, partner_client, partner):
    response = client.delete(f"{CLIENTS_URL}/{partner_client.id}",
                             headers={**admin, "If-Match": '"client-0-v1"'})

    assert_problem(response, 412, "precondition_failed")
    assert client.get(ME_URL, headers=partner).status_code == 200


def test_revoke_with_a_stale_etag_is_412(client, admin, partner_client):
    etag = client.get(f"{CLIENTS_URL}/{partner_client.id}", headers=admin).headers["etag"]
    client.patch(f"{CLIENTS_URL}/{partner_client.id}", json={"name": "Geändert"}, headers=admin)

    response = client.delete(f"{CLIENTS_URL}/{partner_client.id}",
                             headers={**admin, "If-Match": etag})

    assert_problem(response, 412, "precondition_failed")


# --- who may call what --------------------------------------------------------------------------

CLIENT_ENDPOINTS = [
    ("get", CLIENTS_URL, None),
    ("post", CLIENTS_URL, {"name": "Partner", "scopes": ["alliances:read"]}),
    ("get", CLIENTS_URL + "/{id}", None),
    ("patch", CLIENTS_URL + "/{id}", {"name": "Anders"}),
    ("post", CLIENTS_URL + "/{id}/secret", None),
    ("delete", CLIENTS_URL + "/{id}", None),
]


@pytest.mark.parametrize("method,path,body", CLIENT_ENDPOINTS)
def test_client_endpoints_need_a_token(client, partner_client, method, path, body):
    assert_unauthorized(client.request(method, path.format(id=partner_client.id), json=body))


@pytest.mark.parametrize("method,path,body", CLIENT_ENDPOINTS)
def test_client_endpoints_are_closed_to_alliance_users(client, alliance, alliance_user,
                                                       partner_client, method, path, body):
    response = client.request(method, path.format(id=partner_client.id), json=body,
                              headers=alliance_user(alliance))

    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("method,path,body", CLIENT_ENDPOINTS)
def test_client_endpoints_are_closed_to_clients(client, session, partner_client, method, path,
                                                body):
    every_scope = factories.make_client(session, scopes=tuple(ALL_SCOPES))

    response = client.request(method, path.format(id=partner_client.id), json=body,
                              headers=factories.client_headers(every_scope))

    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("method,path,body", CLIENT_ENDPOINTS)
def test_client_endpoints_are_open_to_admins(client, admin, partner_client, method, path, body):
    response = client.request(method, path.format(id=partner_client.id), json=body,
                              headers=admin)

    assert response.status_code in (200, 201, 204), response.text


def test_scope_matrix_on_a_scoped_endpoint(client, session, alliance, alliance_user, admin):
    """GET /alliances: people pass, clients need alliances:read, anonymous is 401."""
    with_scope = factories.client_headers(factories.make_client(session, scopes=("alliances:read",)))
    without_scope = factories.client_headers(
        factories.make_client(session, scopes=("surveys:read", "surveys:write")))

    assert_unauthorized(client.get("/api/v1/alliances"))
    assert client.get("/api/v1/alliances", headers=admin).status_code == 200
    assert client.get("/api/v1/alliances", headers=alliance_user(alliance)).status_code == 200
    assert client.get("/api/v1/alliances", headers=with_scope).status_code == 200
    assert_problem(client.get("/api/v1/alliances", headers=without_scope), 403,
                   "insufficient_scope")


def test_client_token_only_carries_scopes_from_the_client_row(client, session, partner_client):
    """A token claiming extra scopes (minted with our key) still gets only the granted ones."""
    headers = factories.client_headers(partner_client, scopes=tuple(ALL_SCOPES))

    assert client.get(ME_URL, headers=headers).json()["scopes"] == ["alliances:read",
                                                                    "surveys:write"]


def test_unrestrict_and_a_new_restriction_at_once_is_422(client, admin, partner_client,
                                                         alliance):
    response = client.patch(f"{CLIENTS_URL}/{partner_client.id}",
                            json={"unrestrict": True, "allowed_alliance_ids": [alliance.id]},
                            headers=admin)

    assert_field_error(response, "body", "unrestrict")


def test_writes_return_the_current_etag(client, admin):
    response = client.post(CLIENTS_URL, json={"name": "Partner", "scopes": ["alliances:read"]},
                           headers=admin)
    pk = response.json()["id"]
    rotated = client.post(f"{CLIENTS_URL}/{pk}/secret", headers=admin)
    current = client.get(f"{CLIENTS_URL}/{pk}", headers=admin).headers["etag"]

    assert row_tag(response.headers["etag"]) == f'"client-{pk}-v1"'
    assert row_tag(rotated.headers["etag"]) == row_tag(current) == f'"client-{pk}-v2"'
    assert client.delete(f"{CLIENTS_URL}/{pk}",
                         headers={**admin, "If-Match": response.headers["etag"]}).status_code == 412
    assert client.delete(f"{CLIENTS_URL}/{pk}", headers={**admin, "If-Match": current}
                         ).status_code == 204
