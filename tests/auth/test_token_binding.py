"""Tokens (issue 11, finding 9): an ``iat`` in the future is refused, and a client's token is
bound to the client's current secret (a mark of it travels in the token), as a user's token is
bound to its session."""

import time

from app.auth.models import ApiClient
from app.core import security
from tests.auth.helpers import ME_URL, assert_unauthorized, claims_for, forge, user_claims
from tests.factories import bearer


def test_a_token_issued_in_the_future_is_refused(client, session, admin_account):
    later = int(time.time()) + 3600
    token = forge(user_claims(session, admin_account, iat=later, nbf=int(time.time()),
                             exp=later + 900))

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))


def test_a_token_issued_a_moment_ago_is_accepted(client, session, admin_account):
    now = int(time.time())
    token = forge(user_claims(session, admin_account, iat=now - 1, nbf=now - 1))

    assert client.get(ME_URL, headers=bearer(token)).status_code == 200


def test_a_client_token_without_the_credential_mark_is_refused(client, partner_client: ApiClient):
    """Such a token was judged by its ``iat``: one forged (or minted) with a later ``iat``
    outlived a rotation of the secret."""
    unmarked, _ = security.create_access_token("client", partner_client.id or 0, scopes=("surveys:read",))

    assert_unauthorized(client.get(ME_URL, headers=bearer(unmarked)))


def test_a_client_token_is_refused_once_its_secret_is_rotated(client, admin, partner_client,
                                                              partner):
    assert client.get(ME_URL, headers=partner).status_code == 200

    rotated = client.post(f"/api/v1/clients/{partner_client.id}/secret", headers=admin)

    assert rotated.status_code == 200, rotated.text
    assert_unauthorized(client.get(ME_URL, headers=partner))


def test_a_client_token_with_the_mark_of_another_secret_is_refused(client, partner_client):
    token = forge(claims_for(f"client:{partner_client.id}",
                             cfp=security.credential_fingerprint(security.hash_token("alt"))))

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))
