"""The token endpoint as an OAuth2 library sees it (RFC 6749), proven with Authlib."""

import warnings

import pytest
from fastapi.testclient import TestClient

from tests.auth.helpers import ME_URL, TOKEN_URL, basic_auth, bearer
from tests.factories import PASSWORD
from tests.utils.problems import assert_problem, error_locs

CLIENT_SECRET = "client-secret-for-tests"
TOKEN_ENDPOINT = "http://testserver" + TOKEN_URL

import authlib.deprecate  # noqa: E402,F401  (installs its own "always" filter first)

with warnings.catch_warnings():  # Authlib 1.9 would rather have httpx2; httpx 0.x works as well
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client, OAuthError


def oauth(client: TestClient, **kwargs) -> OAuth2Client:
    """An Authlib client speaking to the test app through the test client's transport."""
    return OAuth2Client(transport=client._transport, base_url="http://testserver", **kwargs)


def test_authlib_password_grant_then_refresh_grant(client, person):
    session = oauth(client, token_endpoint_auth_method="none")
    token = session.fetch_token(TOKEN_ENDPOINT, username=person.email, password=PASSWORD)
    assert token["token_type"] == "bearer"
    assert token["refresh_token"]
    assert session.get(ME_URL).json()["id"] == person.id

    refreshed = session.refresh_token(TOKEN_ENDPOINT, refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert client.get(ME_URL, headers=bearer(refreshed["access_token"])).json()["id"] == person.id

    with pytest.raises(OAuthError) as reused:  # the old refresh token is spent
        session.refresh_token(TOKEN_ENDPOINT, refresh_token=token["refresh_token"])
    assert reused.value.error == "invalid_grant"


def test_authlib_client_credentials_with_basic_and_with_post(client, partner_client):
    for method in ("client_secret_basic", "client_secret_post"):
        session = oauth(client, client_id=partner_client.client_id, client_secret=CLIENT_SECRET,
                        token_endpoint_auth_method=method, scope="alliances:read")
        token = session.fetch_token(TOKEN_ENDPOINT, grant_type="client_credentials")
        assert token["scope"] == "alliances:read"
        me = session.get(ME_URL).json()
        assert (me["kind"], me["scopes"]) == ("client", ["alliances:read"])


def test_authlib_raises_on_a_wrong_client_secret(client, partner_client):
    session = oauth(client, client_id=partner_client.client_id, client_secret="wrong-secret")
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(TOKEN_ENDPOINT, grant_type="client_credentials")
    assert refused.value.error == "invalid_client"
    assert session.token is None


def test_authlib_raises_on_a_wrong_password(client, person):
    session = oauth(client, token_endpoint_auth_method="none")
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(TOKEN_ENDPOINT, username=person.email, password="not the password")
    assert refused.value.error == "invalid_grant"


def test_authlib_raises_on_a_scope_the_client_was_not_granted(client, partner_client):
    session = oauth(client, client_id=partner_client.client_id, client_secret=CLIENT_SECRET,
                    scope="surveys:read")
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(TOKEN_ENDPOINT, grant_type="client_credentials")
    assert refused.value.error == "invalid_scope"


# --- the shapes on the wire (RFC 6749 section 5.2 beside RFC 9457) --------------------------

def _oauth_problem(response, status: int, error: str, code: str | None = None) -> dict:
    body = assert_problem(response, status, code)
    assert body["error"] == error
    assert body["error_description"]
    assert response.headers["cache-control"] == "no-store"
    return body


@pytest.mark.parametrize(("form", "error", "code"), [
    ({}, "invalid_request", "invalid_request"),
    ({"grant_type": "password"}, "invalid_request", "invalid_request"),
    ({"grant_type": "password", "username": "x" * 400, "password": "y"}, "invalid_request",
     "invalid_request"),
    ({"grant_type": "refresh_token"}, "invalid_request", "invalid_request"),
    ({"grant_type": "client_credentials"}, "invalid_request", "invalid_request"),
    ({"grant_type": "authorization_code", "code": "abc"}, "unsupported_grant_type",
     "unsupported_grant_type"),
    ({"grant_type": "refresh_token", "refresh_token": "brt_unknown_token_value"}, "invalid_grant",
     "invalid_refresh_token"),
])
def test_bad_token_requests_are_400_with_the_rfc_error(client, form, error, code):
    body = _oauth_problem(client.post(TOKEN_URL, data=form), 400, error, code)
    if code == "invalid_request" and "username" in form and len(form["username"]) > 300:
        assert ["body", "username"] in error_locs(body)


def test_wrong_password_is_invalid_grant_400_without_a_challenge(client, person):
    response = client.post(TOKEN_URL, data={"grant_type": "password", "username": person.email,
                                            "password": "wrong password!"})
    _oauth_problem(response, 400, "invalid_grant", "invalid_credentials")
    assert "www-authenticate" not in response.headers


def test_json_instead_of_a_form_is_invalid_request(client, person):
    response = client.post(TOKEN_URL, json={"grant_type": "password", "username": person.email,
                                            "password": PASSWORD})
    _oauth_problem(response, 400, "invalid_request")


def test_invalid_scope_is_400(client, partner_client):
    response = client.post(TOKEN_URL, data={"grant_type": "client_credentials",
                                            "scope": "surveys:read"},
                           headers=basic_auth(partner_client.client_id, CLIENT_SECRET))
    _oauth_problem(response, 400, "invalid_scope", "invalid_scope")


@pytest.mark.parametrize("how", ["basic", "form"])
def test_wrong_client_secret_is_invalid_client_401_with_a_basic_challenge(client, partner_client, how):
    if how == "basic":
        response = client.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                               headers=basic_auth(partner_client.client_id, "wrong"))
    else:
        response = client.post(TOKEN_URL, data={
            "grant_type": "client_credentials", "client_id": partner_client.client_id,
            "client_secret": "wrong"})
    _oauth_problem(response, 401, "invalid_client", "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic ")


def test_refresh_grant_on_the_token_endpoint_rotates(client, person):
    first = client.post(TOKEN_URL, data={"grant_type": "password", "username": person.email,
                                         "password": PASSWORD}).json()
    response = client.post(TOKEN_URL, data={"grant_type": "refresh_token",
                                            "refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.text
    assert response.json()["refresh_token"] != first["refresh_token"]
    again = client.post(TOKEN_URL, data={"grant_type": "refresh_token",
                                         "refresh_token": first["refresh_token"]})
    _oauth_problem(again, 400, "invalid_grant", "refresh_token_reused")


def test_spec_documents_the_refresh_grant_and_the_oauth_error_members(app):
    spec = app.openapi()
    form = spec["components"]["schemas"]["AuthTokenForm"]
    assert "refresh_token" in form["properties"]["grant_type"]["enum"]
    assert {"error", "error_description"} <= set(spec["components"]["schemas"]["Problem"]["properties"])
    operation = spec["paths"][TOKEN_URL]["post"]
    assert operation["security"] == []
    assert {"400", "401", "429"} <= set(operation["responses"])


def test_database_outage_on_the_token_endpoint_is_503_temporarily_unavailable(
        client, person, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.auth import tokens

    def gone(*_args, **_kwargs):
        raise OperationalError("connect", {}, Exception("database unavailable"))

    monkeypatch.setattr(tokens, "password_grant", gone)
    response = client.post(TOKEN_URL, data={"grant_type": "password", "username": person.email,
                                            "password": PASSWORD})
    body = _oauth_problem(response, 503, "temporarily_unavailable", "database_unavailable")
    assert response.headers["retry-after"] == "5"
    assert body["error_description"] == body["detail"]
