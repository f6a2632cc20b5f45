"""Admin management of people: invitations, roles, deactivation, If-Match, role matrix."""

import hashlib
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from app.auth.models import AuthSession, Role, User
from app.core.db import columns_of, utcnow
from tests import factories
from tests.auth.helpers import (
    ACCEPT_URL,
    ME_URL,
    assert_field_error,
    assert_unauthorized,
    bearer,
    login,
    password_login,
)
from tests.utils.etags import row_tag
from tests.utils.problems import assert_problem, error_locs

USERS_URL = "/api/v1/users"
NEW_PASSWORD = "ein sehr geheimes Passwort"


def new_user_body(alliance_id: int | None, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "email": "koordination@familie-fuerth.de", "full_name": "Erika Muster",
        "role": "alliance_user", "alliance_id": alliance_id,
    }
    body.update(overrides)
    return body


def reload(session, user_id: int) -> User:
    session.expire_all()
    user = session.get(User, user_id)
    assert user is not None
    return user


# --- create and invite --------------------------------------------------------------------------

def test_admin_creates_an_alliance_user_with_a_one_time_invitation(client, session, admin,
                                                                   alliance):
    response = client.post(USERS_URL, json=new_user_body(alliance.id), headers=admin)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "koordination@familie-fuerth.de"
    assert body["full_name"] == "Erika Muster"
    assert (body["role"], body["alliance_id"]) == ("alliance_user", alliance.id)
    assert body["is_active"] is True
    assert body["invitation_pending"] is True
    assert body["invitation_token"].startswith("binv_")
    assert response.headers["location"] == f"/api/v1/users/{body['id']}"
    assert row_tag(response.headers["etag"]) == f'"user-{body["id"]}-v{body["version"]}"'
    stored = reload(session, body["id"])
    assert stored.password_hash is None
    assert stored.invitation_token_hash == hashlib.sha256(
        body["invitation_token"].encode()).hexdigest()
    assert body["invitation_token"] not in {str(v) for v in columns_of(stored).values()}


def test_invitation_is_valid_for_seven_days(client, admin, alliance):
    body = client.post(USERS_URL, json=new_user_body(alliance.id), headers=admin).json()

    expires = datetime.fromisoformat(body["invitation_expires_at"])
    assert abs(expires - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)


def test_admin_creates_another_admin_without_alliance(client, admin):
    response = client.post(USERS_URL, json=new_user_body(None, role="admin",
                                                          email="zweite@servicebuero.de"),
                           headers=admin)

    assert response.status_code == 201, response.text
    assert (response.json()["role"], response.json()["alliance_id"]) == ("admin", None)


def test_email_is_stored_lower_case(client, admin, alliance):
    response = client.post(USERS_URL, json=new_user_body(
        alliance.id, email="  Erika.Muster@Familie-Fuerth.DE "), headers=admin)

    assert response.status_code == 201, response.text
    assert response.json()["email"] == "erika.muster@familie-fuerth.de"


@pytest.mark.parametrize("second", [
    "koordination@familie-fuerth.de", "KOORDINATION@familie-fuerth.de",
    "Koordination@Familie-Fuerth.De",
])
def test_email_is_unique_regardless_of_case(client, admin, alliance, second):
    first = client.post(USERS_URL, json=new_user_body(alliance.id), headers=admin)
    assert first.status_code == 201

    duplicate = client.post(USERS_URL, json=new_user_body(alliance.id, email=second),
                            headers=admin)

    body = assert_problem(duplicate, 409, "email_taken")
    assert ["body", "email"] in error_locs(body)


def test_email_taken_by_an_existing_account(client, admin, admin_account, alliance):
    response = client.post(USERS_URL, json=new_user_body(
        alliance.id, email=admin_account.email.upper()), headers=admin)

    assert_problem(response, 409, "email_taken")


def test_alliance_user_needs_an_alliance(client, admin):
    response = client.post(USERS_URL, json=new_user_body(None), headers=admin)

    assert_field_error(response, "body", "alliance_id")


def test_alliance_user_needs_an_existing_alliance(client, admin):
    response = client.post(USERS_URL, json=new_user_body(987654), headers=admin)

    body = assert_field_error(response, "body", "alliance_id")
    assert body["code"] == "rule_violation"


def test_admin_belongs_to_no_alliance(client, admin, alliance):
    response = client.post(USERS_URL, json=new_user_body(alliance.id, role="admin"),
                           headers=admin)

    assert_field_error(response, "body", "alliance_id")


@pytest.mark.parametrize("field,value", [
    ("email", "not-an-email"),
    ("email", ""),
    ("full_name", "E"),
    ("full_name", "x" * 201),
    ("role", "superuser"),
    ("alliance_id", "eins"),
])
def test_create_user_rejects_bad_fields(client, admin, alliance, field, value):
    response = client.post(USERS_URL, json={**new_user_body(alliance.id), field: value},
                           headers=admin)

    body = assert_field_error(response, "body", field)
    assert body["code"] == "validation_error"


@pytest.mark.parametrize("field", ["email", "full_name", "role"])
def test_create_user_requires_fields(client, admin, alliance, field):
    body = new_user_body(alliance.id)
    del body[field]

    assert_field_error(client.post(USERS_URL, json=body, headers=admin), "body", field)


@pytest.mark.parametrize("field,value", [
    ("is_active", False), ("password", "ein sehr geheimes Passwort"), ("password_hash", "x"),
    ("id", 1), ("invitation_token", "binv_x"),
])
def test_create_user_rejects_unknown_fields(client, admin, alliance, field, value):
    response = client.post(USERS_URL, json=new_user_body(alliance.id, **{field: value}),
                           headers=admin)

    assert_field_error(response, "body", field)


def test_create_user_rejects_a_non_object_body(client, admin):
    assert_field_error(client.post(USERS_URL, json=["x"], headers=admin), "body")
    assert_problem(client.post(USERS_URL, content=b"{not json", headers={
        **admin, "Content-Type": "application/json"}), 422, "validation_error")


# --- accept invitation --------------------------------------------------------------------------

def test_accepting_the_invitation_sets_the_password_and_login_works(client, session, admin,
                                                                   alliance):
    created = client.post(USERS_URL, json=new_user_body(alliance.id), headers=admin).json()

    response = client.post(ACCEPT_URL, json={"token": created["invitation_token"],
                                             "password": NEW_PASSWORD})

    assert response.status_code == 204, response.text
    tokens = login(client, created["email"], NEW_PASSWORD)
    me = client.get(ME_URL, headers=bearer(tokens["access_token"])).json()
    assert (me["id"], me["alliance_id"]) == (created["id"], alliance.id)
    stored = reload(session, created["id"])
    assert stored.password_hash is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in stored.password_hash
    assert stored.invitation_token_hash is None
    assert client.get(f"{USERS_URL}/{created['id']}", headers=admin).json()[
        "invitation_pending"] is False


def test_invitation_token_cannot_be_used_twice(client, admin, alliance):
    created = client.post(USERS_URL, json=new_user_body(alliance.id), headers=admin).json()
    client.post(ACCEPT_URL, json={"token": created["invitation_token"], "password": NEW_PASSWORD})

    again = client.post(ACCEPT_URL, json={"token": created["invitation_token"],
                                          "password": "ein anderes Passwort 123"})

    assert_unauthorized(again, "invalid_invitation")
    assert_unauthorized(password_login(client, created["email"], "ein anderes Passwort 123"),
                        "invalid_credentials")
    login(client, created["email"], NEW_PASSWORD)


def test_expired_invitation_fails(client, session, admin, alliance):
    created = client.post(USERS_URL, json=new_user_body(alliance.id), headers=admin).json()
    user = reload(session, created["id"])
    user.invitation_expires_at = utcnow() - timedelta(seconds=1)
    session.add(user)
    session.commit()

    response = client.post(ACCEPT_URL, json={"token": created["invitation_token"],
                                             "password": NEW_PASSWORD})

    assert_unauthorized(response, "invalid_invitation")
    assert_unauthorized(password_login(client, created["email"], NEW_PASSWORD),
                        "invalid_credentials")


def test_unknown_invitation_token_fails(client):
    response = client.post(ACCEPT_URL, json={"token": "binv_" + "x" * 43,
                                             "password": NEW_PASSWORD})

    assert_unauthorized(response, "invalid_invitation")


def test_invitation_of_a_deactivated_user_fails(client, admin, alliance):
    created = client.post(USERS_URL, json=new_user_body(alliance.id), headers=admin).json()
    client.patch(f"{USERS_URL}/{created['id']}", json={"is_active": False}, headers=admin)

    response = client.post(ACCEPT_URL, json={"token": created["invitation_token"],
                                             "password": NEW_PASSWORD})

    assert_unauthorized(response, "invalid_invitation")


@pytest.mark.parametrize("body,field", [
    ({"token": "binv_" + "x" * 43, "password": "zu kurz"}, "password"),
    ({"token": "binv_" + "x" * 43, "password": "x" * 257}, "password"),
    ({"token": "binv_" + "x" * 43}, "password"),
    ({"password": NEW_PASSWORD}, "token"),
    ({"token": "kurz", "password": NEW_PASSWORD}, "token"),
    ({"token": "binv_" + "x" * 43, "password": NEW_PASSWORD, "email": "a@b.de"}, "email"),
])
def test_accept_invitation_validates_its_body(client, body, field):
    response = client.post(ACCEPT_URL, json=body)

    assert_field_error(response, "body", field)
    assert NEW_PASSWORD not in response.text, "passwords are never echoed"


def test_too_short_password_keeps_the_invitation_usable(client, admin, alliance):
    created = client.post(USERS_URL, json=new_user_body(alliance.id), headers=admin).json()
    client.post(ACCEPT_URL, json={"token": created["invitation_token"], "password": "kurz"})

    response = client.post(ACCEPT_URL, json={"token": created["invitation_token"],
                                             "password": NEW_PASSWORD})

    assert response.status_code == 204


def test_reissued_invitation_replaces_the_old_one(client, admin, alliance):
    created = client.post(USERS_URL, json=new_user_body(alliance.id), headers=admin).json()

    response = client.post(f"{USERS_URL}/{created['id']}/invitation", headers=admin)

    assert response.status_code == 200, response.text
    reissued = response.json()
    assert reissued["invitation_token"] != created["invitation_token"]
    assert reissued["version"] == created["version"] + 1
    assert_unauthorized(client.post(ACCEPT_URL, json={"token": created["invitation_token"],
                                                      "password": NEW_PASSWORD}),
                        "invalid_invitation")
    assert client.post(ACCEPT_URL, json={"token": reissued["invitation_token"],
                                         "password": NEW_PASSWORD}).status_code == 204


def test_reissue_renews_an_expired_invitation(client, session, admin, alliance):
    created = client.post(USERS_URL, json=new_user_body(alliance.id), headers=admin).json()
    user = reload(session, created["id"])
    user.invitation_expires_at = utcnow() - timedelta(days=1)
    session.add(user)
    session.commit()

    reissued = client.post(f"{USERS_URL}/{created['id']}/invitation", headers=admin).json()

    assert client.post(ACCEPT_URL, json={"token": reissued["invitation_token"],
                                         "password": NEW_PASSWORD}).status_code == 204


def test_no_invitation_once_a_password_is_set(client, admin, person):
    response = client.post(f"{USERS_URL}/{person.id}/invitation", headers=admin)

    assert_problem(response, 409, "conflict")


def test_reissue_for_an_unknown_user_is_404(client, admin):
    assert_problem(client.post(f"{USERS_URL}/987654/invitation", headers=admin), 404,
                   "not_found")


# --- read and list ------------------------------------------------------------------------------

def test_get_user_returns_it_with_an_etag(client, admin, person):
    response = client.get(f"{USERS_URL}/{person.id}", headers=admin)

    assert response.status_code == 200
    body = response.json()
    assert row_tag(response.headers["etag"]) == f'"user-{person.id}-v{body["version"]}"'
    assert body["email"] == person.email
    assert "password_hash" not in body
    assert "invitation_token_hash" not in body
    assert "invitation_token" not in body


@pytest.mark.parametrize("user_id", ["987654", "2147483647"])  # 0 is no row id: 422, see test_row_ids
def test_get_unknown_user_is_404(client, admin, user_id):
    assert_problem(client.get(f"{USERS_URL}/{user_id}", headers=admin), 404, "not_found")


def test_get_user_with_a_non_numeric_id_is_422(client, admin):
    assert_field_error(client.get(f"{USERS_URL}/abc", headers=admin), "path", "user_id")


def test_list_users_filters_and_pages(client, session, admin, admin_account, alliance,
                                      other_alliance):
    ours = [factories.make_user(session, Role.alliance_user, alliance) for _ in range(3)]
    theirs = factories.make_user(session, Role.alliance_user, other_alliance,
                                 full_name="Zora Beispiel")
    factories.make_user(session, Role.alliance_user, alliance, is_active=False)

    everyone = client.get(USERS_URL, params={"include_total": True}, headers=admin).json()
    by_alliance = client.get(USERS_URL, params={"alliance_id": alliance.id, "is_active": True},
                             headers=admin).json()
    admins = client.get(USERS_URL, params={"role": "admin"}, headers=admin).json()
    search = client.get(USERS_URL, params={"q": "zora"}, headers=admin).json()
    inactive = client.get(USERS_URL, params={"is_active": False}, headers=admin).json()

    assert everyone["total"] == 6
    assert [u["id"] for u in by_alliance["items"]] == [u.id for u in ours]
    assert [u["id"] for u in admins["items"]] == [admin_account.id]
    assert [u["id"] for u in search["items"]] == [theirs.id]
    assert len(inactive["items"]) == 1 and inactive["items"][0]["is_active"] is False


def test_list_users_search_by_email(client, session, admin, alliance):
    wanted = factories.make_user(session, Role.alliance_user, alliance,
                                 email="paula.punkt@beispiel.de")

    found = client.get(USERS_URL, params={"q": "PAULA.PUNKT"}, headers=admin).json()

    assert [u["id"] for u in found["items"]] == [wanted.id]


def test_list_users_cursor_walks_every_user_once(client, session, admin, alliance):
    for _ in range(4):
        factories.make_user(session, Role.alliance_user, alliance)

    seen: list[int] = []
    params: dict[str, object] = {"limit": 2}
    for _ in range(10):
        response = client.get(USERS_URL, params=params, headers=admin)
        assert response.status_code == 200
        page = response.json()
        seen.extend(u["id"] for u in page["items"])
        if page["next_cursor"] is None:
            assert "link" not in response.headers
            break
        assert 'rel="next"' in response.headers["link"]
        params = {"limit": 2, "cursor": page["next_cursor"]}

    assert len(seen) == 5
    assert seen == sorted(set(seen))


@pytest.mark.parametrize("params,field", [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"role": "boss"}, "role"),
    ({"alliance_id": "x"}, "alliance_id"), ({"q": "x" * 101}, "q"),
])
def test_list_users_rejects_bad_query_parameters(client, admin, params, field):
    assert_field_error(client.get(USERS_URL, params=params, headers=admin), "query", field)


def test_list_users_rejects_a_forged_cursor(client, admin):
    response = client.get(USERS_URL, params={"cursor": "not-a-cursor"}, headers=admin)

    assert_field_error(response, "query", "cursor")


# --- update -------------------------------------------------------------------------------------

def test_deactivate_user_ends_login_and_tokens(client, session, admin, person):
    tokens = login(client, person.email)

    response = client.patch(f"{USERS_URL}/{person.id}", json={"is_active": False}, headers=admin)

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert_unauthorized(client.get(ME_URL, headers=bearer(tokens["access_token"])))
    assert_unauthorized(password_login(client, person.email), "invalid_credentials")
    session.expire_all()
    sessions = session.exec(select(AuthSession).where(AuthSession.user_id == person.id)).all()
    assert sessions and all(s.revoked_reason == "account_changed" for s in sessions)


def test_reactivated_user_signs_in_again(client, admin, person):
    client.patch(f"{USERS_URL}/{person.id}", json={"is_active": False}, headers=admin)

    response = client.patch(f"{USERS_URL}/{person.id}", json={"is_active": True}, headers=admin)

    assert response.json()["is_active"] is True
    login(client, person.email)


def test_change_role_to_admin_drops_the_alliance_and_ends_sessions(client, admin, person):
    tokens = login(client, person.email)

    response = client.patch(f"{USERS_URL}/{person.id}", json={"role": "admin"}, headers=admin)

    assert response.status_code == 200, response.text
    assert (response.json()["role"], response.json()["alliance_id"]) == ("admin", None)
    assert_unauthorized(client.get(ME_URL, headers=bearer(tokens["access_token"])))
    new_tokens = login(client, person.email)
    assert client.get(USERS_URL, headers=bearer(new_tokens["access_token"])).status_code == 200


def test_change_role_to_alliance_user_needs_an_alliance(client, session, admin, alliance):
    other_admin = factories.make_user(session, Role.admin)

    missing = client.patch(f"{USERS_URL}/{other_admin.id}", json={"role": "alliance_user"},
                           headers=admin)
    bound = client.patch(f"{USERS_URL}/{other_admin.id}",
                         json={"role": "alliance_user", "alliance_id": alliance.id},
                         headers=admin)

    assert_field_error(missing, "body", "alliance_id")
    assert bound.status_code == 200, bound.text
    assert (bound.json()["role"], bound.json()["alliance_id"]) == ("alliance_user", alliance.id)


def test_move_user_to_another_alliance_ends_sessions(client, admin, person, other_alliance):
    tokens = login(client, person.email)

    response = client.patch(f"{USERS_URL}/{person.id}", json={"alliance_id": other_alliance.id},
                            headers=admin)

    assert response.json()["alliance_id"] == other_alliance.id
    assert_unauthorized(client.get(ME_URL, headers=bearer(tokens["access_token"])))


def test_renaming_keeps_sessions(client, admin, person, alliance):
    tokens = login(client, person.email)

    response = client.patch(f"{USERS_URL}/{person.id}", json={"full_name": "Neuer Name"},
                            headers=admin)

    assert response.status_code == 200, response.text
    assert (response.json()["full_name"], response.json()["alliance_id"]) == ("Neuer Name",
                                                                              alliance.id)
    assert client.get(ME_URL, headers=bearer(tokens["access_token"])).json()["name"] == \
        "Neuer Name"


@pytest.mark.parametrize("change", [
    {"alliance_id": None}, {"alliance_id": 987654},
])
def test_alliance_user_keeps_a_valid_alliance(client, admin, person, change):
    response = client.patch(f"{USERS_URL}/{person.id}", json=change, headers=admin)

    assert_field_error(response, "body", "alliance_id")


@pytest.mark.parametrize("field", ["role", "is_active", "full_name"])
def test_null_is_not_a_value_for_required_fields(client, admin, person, field):
    response = client.patch(f"{USERS_URL}/{person.id}", json={field: None}, headers=admin)

    assert_field_error(response, "body", field)


@pytest.mark.parametrize("field,value", [
    ("email", "neu@example.org"), ("password_hash", "x"), ("version", 9), ("erased_at", None),
])
def test_update_user_rejects_unknown_fields(client, admin, person, field, value):
    response = client.patch(f"{USERS_URL}/{person.id}", json={field: value}, headers=admin)

    assert_field_error(response, "body", field)


@pytest.mark.parametrize("change", [{"is_active": False}, {"role": "alliance_user"}])
def test_admin_cannot_demote_or_deactivate_themselves(client, admin, admin_account, alliance,
                                                      change):
    if change.get("role"):
        change = {**change, "alliance_id": alliance.id}

    response = client.patch(f"{USERS_URL}/{admin_account.id}", json=change, headers=admin)

    assert_problem(response, 409, "conflict")
    assert client.get(USERS_URL, headers=admin).status_code == 200


def test_update_unknown_user_is_404(client, admin):
    assert_problem(client.patch(f"{USERS_URL}/987654", json={"full_name": "Niemand"},
                                headers=admin), 404, "not_found")


def test_update_with_a_stale_etag_is_412(client, admin, person):
    etag = client.get(f"{USERS_URL}/{person.id}", headers=admin).headers["etag"]
    client.patch(f"{USERS_URL}/{person.id}", json={"full_name": "Erste Änderung"}, headers=admin)

    response = client.patch(f"{USERS_URL}/{person.id}", json={"full_name": "Zweite Änderung"},
                            headers={**admin, "If-Match": etag})

    body = assert_problem(response, 412, "precondition_failed")
    assert body["current_etag"] != etag
    assert client.get(f"{USERS_URL}/{person.id}", headers=admin).json()["full_name"] == \
        "Erste Änderung"


@pytest.mark.parametrize("if_match", ['"user-1-v999"', "garbage", '"client-{id}-v{version}"'])
def test_update_with_a_mismatched_etag_is_412(client, admin, person, if_match):
    version = client.get(f"{USERS_URL}/{person.id}", headers=admin).json()["version"]

    response = client.patch(f"{USERS_URL}/{person.id}", json={"full_name": "Egal"},
                            headers={**admin, "If-Match": if_match.format(id=person.id,
                                                                          version=version)})

    assert_problem(response, 412, "precondition_failed")


@pytest.mark.parametrize("template", ["{etag}", "W/{etag}", "*", '"other", {etag}'])
def test_update_with_the_current_etag_succeeds(client, admin, person, template):
    etag = client.get(f"{USERS_URL}/{person.id}", headers=admin).headers["etag"]

    response = client.patch(f"{USERS_URL}/{person.id}", json={"full_name": "Neu Gesetzt"},
                            headers={**admin, "If-Match": template.format(etag=etag)})

    assert response.status_code == 200, response.text
    assert response.headers["etag"] != etag
    assert row_tag(response.headers["etag"]) == f'"user-{person.id}-v{response.json()["version"]}"'


# --- who may call what --------------------------------------------------------------------------

USER_ENDPOINTS = [
    ("get", USERS_URL, None),
    ("post", USERS_URL, {"email": "x@example.org", "full_name": "Xa", "role": "admin"}),
    ("get", USERS_URL + "/{id}", None),
    ("patch", USERS_URL + "/{id}", {"full_name": "Anders"}),
    ("post", USERS_URL + "/{id}/invitation", None),
]


@pytest.mark.parametrize("method,path,body", USER_ENDPOINTS)
def test_user_endpoints_need_a_token(client, person, method, path, body):
    response = client.request(method, path.format(id=person.id), json=body)

    assert_unauthorized(response)


@pytest.mark.parametrize("method,path,body", USER_ENDPOINTS)
def test_user_endpoints_are_closed_to_alliance_users(client, alliance, alliance_user, person,
                                                     method, path, body):
    response = client.request(method, path.format(id=person.id), json=body,
                              headers=alliance_user(alliance))

    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("method,path,body", USER_ENDPOINTS)
def test_user_endpoints_are_closed_to_clients(client, session, person, method, path, body):
    every_scope = factories.make_client(
        session, scopes=("alliances:read", "surveys:read", "surveys:write"))

    response = client.request(method, path.format(id=person.id), json=body,
                              headers=factories.client_headers(every_scope))

    assert_problem(response, 403, "forbidden")


def test_anonymous_gets_401_before_body_validation(client):
    response = client.post(USERS_URL, json={"nonsense": True})

    assert_unauthorized(response)


def test_alliance_user_gets_403_before_body_validation(client, alliance, alliance_user):
    response = client.post(USERS_URL, json={"nonsense": True}, headers=alliance_user(alliance))

    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("q", ["%", "_", "%@%"])
def test_search_wildcards_match_only_themselves(client, session, admin, alliance, q):
    factories.make_user(session, Role.alliance_user, alliance, full_name="Ohne Sonderzeichen")

    found = client.get(USERS_URL, params={"q": q}, headers=admin).json()

    assert found["items"] == []


def test_search_matches_names_case_insensitively(client, session, admin, alliance):
    wanted = factories.make_user(session, Role.alliance_user, alliance,
                                 full_name="Greta 100% Garantie")

    found = client.get(USERS_URL, params={"q": "100% g"}, headers=admin).json()

    assert [u["id"] for u in found["items"]] == [wanted.id]


def test_reissued_invitation_carries_the_new_etag(client, admin, alliance):
    created = client.post(USERS_URL, json=new_user_body(alliance.id), headers=admin)

    reissued = client.post(f"{USERS_URL}/{created.json()['id']}/invitation", headers=admin)

    assert reissued.headers["etag"] != created.headers["etag"]
    # The same version; the digests differ, as the reply carries the invitation and the read not.
    assert row_tag(reissued.headers["etag"]) == row_tag(
        client.get(f"{USERS_URL}/{created.json()['id']}", headers=admin).headers["etag"])
