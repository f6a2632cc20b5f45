"""The token endpoint's grants, refresh rotation, logout and /me, driven through the API."""

import hashlib
from datetime import timedelta

import pytest
from jose import jwt
from sqlalchemy import event, update
from sqlmodel import col, select

from app.auth.exceptions import RefreshTokenReused
from app.auth.models import ApiClient, AuthSession, RefreshToken, Role, User
from app.auth.tokens import refresh_grant
from app.core.config import get_settings
from app.core.db import columns_of, utcnow
from tests import factories
from tests.auth.helpers import (
    LOGOUT_URL,
    ME_URL,
    REFRESH_URL,
    TOKEN_URL,
    assert_field_error,
    assert_unauthorized,
    basic_auth,
    bearer,
    client_login,
    comparable,
    decode_unverified,
    login,
    password_login,
)
from tests.factories import PASSWORD
from tests.utils.problems import assert_problem, error_locs

CLIENT_SECRET = "client-secret-for-tests"


# --- password grant ---------------------------------------------------------------------------

def test_password_grant_returns_short_lived_access_and_opaque_refresh_token(client, person):
    response = password_login(client, person.email)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["refresh_token"].startswith("brt_")
    assert body["refresh_token"].count(".") == 0, "refresh tokens are opaque, not JWTs"
    assert response.headers["content-type"].startswith("application/json")


def test_access_token_carries_every_required_claim_and_is_signed_hs256(client, person):
    settings = get_settings()
    token = login(client, person.email)["access_token"]

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"],
                        audience=settings.jwt_audience, issuer=settings.jwt_issuer)
    assert claims["sub"] == f"user:{person.id}"
    assert claims["typ"] == "access"
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert len(claims["jti"]) >= 16
    assert isinstance(claims["sid"], int)


def test_each_access_token_has_its_own_jti(client, person):
    first = decode_unverified(login(client, person.email)["access_token"])
    second = decode_unverified(login(client, person.email)["access_token"])

    assert first["jti"] != second["jti"]
    assert first["sid"] != second["sid"]


def test_access_token_lifetime_follows_settings(client, person, monkeypatch):
    monkeypatch.setattr(get_settings(), "access_token_minutes", 5)

    body = login(client, person.email)

    assert body["expires_in"] == 300
    claims = decode_unverified(body["access_token"])
    assert claims["exp"] - claims["iat"] == 300


def test_login_is_case_insensitive_and_ignores_surrounding_spaces(client, person):
    tokens = login(client, f"  {person.email.upper()} ")

    me = client.get(ME_URL, headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == person.id


def test_login_records_last_login(client, session, person):
    assert person.last_login_at is None
    login(client, person.email)

    session.expire_all()
    user = session.get(User, person.id)
    assert user is not None and user.last_login_at is not None
    assert utcnow() - user.last_login_at < timedelta(minutes=1)


def test_wrong_password_is_refused(client, person):
    response = password_login(client, person.email, "not the password at all")

    body = assert_unauthorized(response, "invalid_credentials")
    assert "access_token" not in body


def test_unknown_email_and_wrong_password_look_the_same(client, person):
    wrong_password = password_login(client, person.email, "not the password at all")
    unknown_email = password_login(client, "nobody-here@example.org", "not the password at all")

    assert wrong_password.status_code == unknown_email.status_code == 400  # invalid_grant
    assert comparable(wrong_password.json()) == comparable(unknown_email.json())
    assert wrong_password.headers.get("www-authenticate") == unknown_email.headers.get(
        "www-authenticate")
    assert wrong_password.headers["content-type"] == unknown_email.headers["content-type"]


def test_deactivated_user_cannot_sign_in_and_is_told_nothing_more(client, make_person):
    inactive = make_person(is_active=False)

    inactive_response = password_login(client, inactive.email)
    unknown_response = password_login(client, "nobody-here@example.org")

    assert_unauthorized(inactive_response, "invalid_credentials")
    assert comparable(inactive_response.json()) == comparable(unknown_response.json())


def test_invited_user_without_password_cannot_sign_in(client, make_person):
    invited = make_person(password_hash=None)

    assert_unauthorized(password_login(client, invited.email, PASSWORD), "invalid_credentials")
    assert_problem(password_login(client, invited.email, ""), 400, "invalid_request")


def test_password_grant_needs_username_and_password(client, person):
    no_password = client.post(TOKEN_URL, data={"grant_type": "password", "username": person.email})
    no_username = client.post(TOKEN_URL, data={"grant_type": "password", "password": PASSWORD})

    assert_problem(no_password, 400, "invalid_request")
    assert_problem(no_username, 400, "invalid_request")


def test_token_endpoint_needs_a_known_grant_type(client, person):
    missing = client.post(TOKEN_URL, data={"username": person.email, "password": PASSWORD})
    unknown = client.post(TOKEN_URL, data={"grant_type": "authorization_code",
                                           "username": person.email, "password": PASSWORD})

    # RFC 6749 section 5.2: a missing parameter is invalid_request, an unknown grant type
    # unsupported_grant_type; both 400, with the field named in errors[] as ever.
    body = assert_problem(missing, 400, "invalid_request")
    assert (body["error"], error_locs(body)) == ("invalid_request", [["body", "grant_type"]])
    body = assert_problem(unknown, 400, "unsupported_grant_type")
    assert (body["error"], error_locs(body)) == ("unsupported_grant_type", [["body", "grant_type"]])


def test_overlong_credentials_are_invalid_input_not_a_server_error(client):
    response = password_login(client, "a" * 400 + "@example.org", "x" * 300)

    body = assert_problem(response, 400, "invalid_request")
    assert ["body", "username"] in [e["loc"] for e in body["errors"]]
    assert "x" * 300 not in response.text, "the password must not be echoed"


def test_token_endpoint_takes_form_data_not_json(client, person):
    response = client.post(TOKEN_URL, json={"grant_type": "password", "username": person.email,
                                            "password": PASSWORD})

    body = assert_problem(response, 400, "invalid_request")
    assert ["body", "grant_type"] in error_locs(body)


# --- client credentials -------------------------------------------------------------------------

def test_client_credentials_grant_with_form_fields(client, partner_client):
    response = client_login(client, partner_client.client_id, CLIENT_SECRET)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refresh_token"] is None
    assert body["expires_in"] == 15 * 60
    assert set(body["scope"].split()) == {"alliances:read", "surveys:write"}
    claims = decode_unverified(body["access_token"])
    assert claims["sub"] == f"client:{partner_client.id}"
    assert "sid" not in claims


def test_client_credentials_grant_with_http_basic(client, partner_client):
    response = client.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                           headers=basic_auth(partner_client.client_id, CLIENT_SECRET))

    assert response.status_code == 200, response.text
    me = client.get(ME_URL, headers=bearer(response.json()["access_token"]))
    assert me.json()["kind"] == "client"
    assert me.json()["id"] == partner_client.id


def test_http_basic_credentials_are_form_url_decoded(client, session):
    secret = "s3cret with space+plus%"
    partner = factories.make_client(session, secret=secret)
    encoded = "s3cret+with+space%2Bplus%25"

    response = client.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                           headers=basic_auth(partner.client_id, encoded))

    assert response.status_code == 200, response.text


def test_client_credentials_wrong_secret_and_unknown_client_look_the_same(client, partner_client):
    wrong_secret = client_login(client, partner_client.client_id, "wrong-secret-entirely")
    unknown_client = client_login(client, "bcl_nobody", "wrong-secret-entirely")

    assert_unauthorized(wrong_secret, "invalid_client")
    assert_unauthorized(unknown_client, "invalid_client")
    assert comparable(wrong_secret.json()) == comparable(unknown_client.json())


def test_bad_http_basic_header_is_refused(client, partner_client):
    no_colon = client.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                           headers={"Authorization": "Basic bm8tY29sb24taGVyZQ=="})
    not_base64 = client.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                             headers={"Authorization": "Basic !!!"})
    wrong = client.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                        headers=basic_auth(partner_client.client_id, "wrong"))

    assert_problem(no_colon, 400, "invalid_request")
    assert_problem(not_base64, 400, "invalid_request")
    assert_unauthorized(wrong, "invalid_client")


def test_client_credentials_need_id_and_secret(client, partner_client):
    response = client.post(TOKEN_URL, data={"grant_type": "client_credentials",
                                            "client_id": partner_client.client_id})

    assert_problem(response, 400, "invalid_request")


def test_inactive_client_cannot_get_a_token(client, session):
    partner = factories.make_client(session)
    partner.is_active = False
    session.add(partner)
    session.commit()

    assert_unauthorized(client_login(client, partner.client_id, CLIENT_SECRET), "invalid_client")


def test_client_may_ask_for_fewer_scopes(client, partner_client):
    response = client_login(client, partner_client.client_id, CLIENT_SECRET,
                            scope="alliances:read")

    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "alliances:read"
    me = client.get(ME_URL, headers=bearer(response.json()["access_token"]))
    assert me.json()["scopes"] == ["alliances:read"]


def test_client_may_not_ask_for_scopes_it_was_not_granted(client, partner_client):
    response = client_login(client, partner_client.client_id, CLIENT_SECRET,
                            scope="alliances:read surveys:read")

    body = assert_problem(response, 400, "invalid_scope")
    assert "surveys:read" in body["detail"]


def test_narrowed_client_token_lacks_the_other_scopes(client, partner_client):
    token = client_login(client, partner_client.client_id, CLIENT_SECRET,
                         scope="surveys:write").json()["access_token"]

    response = client.get("/api/v1/alliances", headers=bearer(token))

    assert_problem(response, 403, "insufficient_scope")


def test_client_grant_records_last_use(client, session, partner_client):
    client_login(client, partner_client.client_id, CLIENT_SECRET)

    session.expire_all()
    stored = session.get(ApiClient, partner_client.id)
    assert stored is not None and stored.last_used_at is not None


# --- refresh ------------------------------------------------------------------------------------

def test_refresh_rotates_the_refresh_token(client, person):
    first = login(client, person.email)

    response = client.post(REFRESH_URL, json={"refresh_token": first["refresh_token"]})

    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert decode_unverified(second["access_token"])["sid"] == decode_unverified(
        first["access_token"])["sid"]
    assert client.get(ME_URL, headers=bearer(second["access_token"])).status_code == 200
    third = client.post(REFRESH_URL, json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200, third.text


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(client, session, person):
    first = login(client, person.email)
    second = client.post(REFRESH_URL, json={"refresh_token": first["refresh_token"]}).json()

    reuse = client.post(REFRESH_URL, json={"refresh_token": first["refresh_token"]})

    assert_unauthorized(reuse, "refresh_token_reused")
    # The thief's and the owner's newest refresh tokens are both dead now …
    assert_unauthorized(client.post(REFRESH_URL, json={"refresh_token": second["refresh_token"]}),
                        "invalid_refresh_token")
    # … and so are the access tokens of that session.
    assert_unauthorized(client.get(ME_URL, headers=bearer(first["access_token"])))
    assert_unauthorized(client.get(ME_URL, headers=bearer(second["access_token"])))
    session.expire_all()
    auth_session = session.get(AuthSession, decode_unverified(first["access_token"])["sid"])
    assert auth_session is not None and auth_session.revoked_reason == "refresh_reuse"


def test_reuse_in_one_session_leaves_other_sessions_alone(client, person):
    laptop = login(client, person.email)
    phone = login(client, person.email)
    client.post(REFRESH_URL, json={"refresh_token": laptop["refresh_token"]})

    client.post(REFRESH_URL, json={"refresh_token": laptop["refresh_token"]})

    assert client.get(ME_URL, headers=bearer(phone["access_token"])).status_code == 200
    assert client.post(REFRESH_URL, json={"refresh_token": phone["refresh_token"]}).status_code \
        == 200


def test_unknown_refresh_token_is_refused(client, person):
    response = client.post(REFRESH_URL, json={"refresh_token": "brt_" + "x" * 43})

    assert_unauthorized(response, "invalid_refresh_token")


def test_access_token_is_not_a_refresh_token(client, person):
    tokens = login(client, person.email)

    response = client.post(REFRESH_URL, json={"refresh_token": tokens["access_token"][:200]})

    assert_unauthorized(response, "invalid_refresh_token")


def test_expired_refresh_token_is_refused(client, session, person):
    tokens = login(client, person.email)
    stored = session.exec(select(RefreshToken).where(
        RefreshToken.token_hash == hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()
    )).one()
    stored.expires_at = utcnow() - timedelta(seconds=1)
    session.add(stored)
    session.commit()

    response = client.post(REFRESH_URL, json={"refresh_token": tokens["refresh_token"]})

    assert_unauthorized(response, "invalid_refresh_token")


def test_refresh_token_lifetime_follows_settings(client, session, person):
    tokens = login(client, person.email)
    stored = session.exec(select(RefreshToken).where(
        RefreshToken.token_hash == hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()
    )).one()

    lifetime = stored.expires_at - stored.created_at
    assert abs(lifetime - timedelta(days=get_settings().refresh_token_days)) < timedelta(minutes=1)


def test_refresh_tokens_are_stored_only_as_hashes(client, session, person):
    tokens = login(client, person.email)
    rotated = client.post(REFRESH_URL, json={"refresh_token": tokens["refresh_token"]}).json()

    session.expire_all()
    rows = session.exec(select(RefreshToken)).all()
    stored_values = {str(value) for row in rows for value in columns_of(row).values()}
    for plain in (tokens["refresh_token"], rotated["refresh_token"]):
        assert plain not in stored_values
        assert hashlib.sha256(plain.encode()).hexdigest() in stored_values


def test_refresh_fails_once_the_user_is_deactivated(client, session, person):
    tokens = login(client, person.email)
    person.is_active = False
    session.add(person)
    session.commit()

    response = client.post(REFRESH_URL, json={"refresh_token": tokens["refresh_token"]})

    assert_unauthorized(response, "invalid_refresh_token")


def test_refresh_body_is_validated(client):
    missing = client.post(REFRESH_URL, json={})
    extra = client.post(REFRESH_URL, json={"refresh_token": "brt_" + "x" * 43, "scope": "all"})
    too_short = client.post(REFRESH_URL, json={"refresh_token": "x"})

    assert_field_error(missing, "body", "refresh_token")
    assert_field_error(extra, "body", "scope")
    assert_field_error(too_short, "body", "refresh_token")


# --- logout -------------------------------------------------------------------------------------

def test_logout_ends_the_session_and_its_tokens(client, session, person):
    tokens = login(client, person.email)
    headers = bearer(tokens["access_token"])
    assert client.get(ME_URL, headers=headers).status_code == 200

    response = client.post(LOGOUT_URL, headers=headers)

    assert response.status_code == 204
    assert response.content == b""
    assert_unauthorized(client.get(ME_URL, headers=headers))
    assert_unauthorized(client.post(REFRESH_URL, json={"refresh_token": tokens["refresh_token"]}),
                        "invalid_refresh_token")
    session.expire_all()
    revoked = session.exec(select(AuthSession).where(AuthSession.user_id == person.id)).one()
    assert revoked.revoked_reason == "logout"


def test_logout_ends_only_its_own_session(client, person):
    laptop = login(client, person.email)
    phone = login(client, person.email)

    client.post(LOGOUT_URL, headers=bearer(laptop["access_token"]))

    assert client.get(ME_URL, headers=bearer(phone["access_token"])).status_code == 200


def test_logout_with_a_refreshed_access_token_ends_the_family(client, person):
    tokens = login(client, person.email)
    refreshed = client.post(REFRESH_URL, json={"refresh_token": tokens["refresh_token"]}).json()

    assert client.post(LOGOUT_URL, headers=bearer(refreshed["access_token"])).status_code == 204

    assert_unauthorized(client.get(ME_URL, headers=bearer(tokens["access_token"])))
    assert_unauthorized(
        client.post(REFRESH_URL, json={"refresh_token": refreshed["refresh_token"]}),
        "invalid_refresh_token")


def test_logout_needs_a_person(client, partner):
    assert_unauthorized(client.post(LOGOUT_URL))
    assert_problem(client.post(LOGOUT_URL, headers=partner), 403, "forbidden")


def test_second_logout_with_the_same_token_is_refused(client, person):
    headers = bearer(login(client, person.email)["access_token"])
    client.post(LOGOUT_URL, headers=headers)

    assert_unauthorized(client.post(LOGOUT_URL, headers=headers))


# --- /me ----------------------------------------------------------------------------------------

def test_me_for_an_alliance_user(client, person, alliance):
    tokens = login(client, person.email)

    response = client.get(ME_URL, headers=bearer(tokens["access_token"]))

    assert response.status_code == 200
    assert response.json() == {
        "kind": "user", "id": person.id, "name": person.full_name, "email": person.email,
        "role": "alliance_user", "alliance_id": alliance.id, "scopes": [],
    }


def test_me_for_an_admin(client, admin, admin_account):
    response = client.get(ME_URL, headers=admin)

    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["id"], body["role"], body["alliance_id"]) == (
        "user", admin_account.id, Role.admin.value, None)


def test_me_for_a_client(client, partner, partner_client):
    response = client.get(ME_URL, headers=partner)

    assert response.status_code == 200
    assert response.json() == {
        "kind": "client", "id": partner_client.id, "name": partner_client.name, "email": None,
        "role": None, "alliance_id": None, "scopes": ["alliances:read", "surveys:write"],
    }


def test_me_for_a_client_shows_only_scopes_it_still_holds(client, session, partner_client):
    headers = factories.client_headers(partner_client)
    partner_client.scopes = "alliances:read"
    session.add(partner_client)
    session.commit()

    response = client.get(ME_URL, headers=headers)

    assert response.json()["scopes"] == ["alliances:read"]


def test_me_needs_a_token(client):
    assert_unauthorized(client.get(ME_URL))


def test_every_sign_in_creates_one_session(client, session, person):
    login(client, person.email)
    login(client, person.email)

    session.expire_all()
    sessions = session.exec(select(AuthSession).where(AuthSession.user_id == person.id)).all()
    assert len(sessions) == 2
    assert all(s.revoked_at is None for s in sessions)
    tokens = session.exec(select(RefreshToken).where(
        col(RefreshToken.session_id).in_([s.id for s in sessions]))).all()
    assert len(tokens) == 2


def test_failed_sign_in_creates_no_session(client, session, person):
    password_login(client, person.email, "not the password at all")

    assert session.exec(select(AuthSession).where(AuthSession.user_id == person.id)).all() == []



def test_concurrent_refresh_with_the_same_token_lets_only_one_win(client, session, person):
    """Two refreshes read the token as fresh; the one that loses the conditional UPDATE must
    treat it as reuse. A competing rotation is slipped in just before our UPDATE runs."""
    tokens = login(client, person.email)
    competed: list[bool] = []

    @event.listens_for(session, "do_orm_execute")
    def competitor(state):
        if state.is_update and not competed:
            competed.append(True)
            session.connection().execute(
                update(RefreshToken.__table__).values(rotated_at=utcnow()))

    with pytest.raises(RefreshTokenReused):
        refresh_grant(session, tokens["refresh_token"])

    assert competed == [True]
    session.expire_all()
    auth_session = session.get(AuthSession, decode_unverified(tokens["access_token"])["sid"])
    assert auth_session is not None and auth_session.revoked_reason == "refresh_reuse"


def test_token_endpoint_only_takes_post(client):
    response = client.get(TOKEN_URL)

    assert_problem(response, 405, "method_not_allowed")
