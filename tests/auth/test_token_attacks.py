"""Forged, tampered, stale and misused bearer tokens: every one is refused with a 401 problem."""

import json
import string
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.auth.models import ApiClient, AuthSession, Role
from app.core import security
from app.core.config import get_settings
from app.core.db import utcnow
from tests import factories
from tests.auth.helpers import (
    LOGOUT_URL,
    ME_URL,
    REFRESH_URL,
    assert_unauthorized,
    b64url,
    b64url_decode,
    bearer,
    claims_for,
    forge,
    login,
    unsigned,
    user_claims,
)
from tests.utils.problems import assert_problem

USERS_URL = "/api/v1/users"


def test_a_forged_token_with_the_right_key_is_accepted(client, session, admin_account):
    """The baseline the attacks below deviate from: ``claims_for`` mirrors real tokens."""
    token = forge(user_claims(session, admin_account))

    assert client.get(ME_URL, headers=bearer(token)).status_code == 200
    assert client.get(USERS_URL, headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "HS256"])
def test_unsigned_tokens_are_refused(client, session, admin_account, alg):
    token = unsigned(user_claims(session, admin_account), alg=alg)

    assert_unauthorized(client.get(USERS_URL, headers=bearer(token)))


def test_token_signed_with_another_key_is_refused(client, session, admin_account):
    token = forge(user_claims(session, admin_account), key="an-attacker-chosen-secret-key-xx")

    assert_unauthorized(client.get(USERS_URL, headers=bearer(token)))


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_only_hs256_is_accepted_even_with_the_right_key(client, session, admin_account, algorithm):
    token = forge(user_claims(session, admin_account), algorithm=algorithm)

    assert_unauthorized(client.get(USERS_URL, headers=bearer(token)))


def test_expired_token_is_refused(client, session, admin_account):
    now = int(time.time())
    token = forge(user_claims(session, admin_account, iat=now - 3600, nbf=now - 3600,
                             exp=now - 60))

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))


def test_token_not_yet_valid_is_refused(client, session, admin_account):
    token = forge(user_claims(session, admin_account, nbf=int(time.time()) + 3600))

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))


@pytest.mark.parametrize("claim,value", [
    ("aud", "some-other-api"),
    ("aud", ["some-other-api"]),
    ("iss", "someone-else"),
    ("typ", "refresh"),
    ("typ", "id"),
    ("sub", "user:not-a-number"),
    ("sub", "admin:1"),
    ("sub", "user"),
    ("sub", "user:-1"),
    ("sub", "user:0"),
    ("sub", "user:99999999999999999999"),
    ("sub", "user:١"),
    ("sid", "1"),
    ("sid", 2**40),
    ("scope", ["alliances:read"]),
    ("iat", "yesterday"),
    ("exp", "tomorrow"),
])
def test_tokens_with_wrong_claims_are_refused(client, session, admin_account, claim, value):
    claims = user_claims(session, admin_account, **{claim: value})

    assert_unauthorized(client.get(ME_URL, headers=bearer(forge(claims))))


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud", "sub", "jti", "typ"])
def test_tokens_missing_a_required_claim_are_refused(client, session, admin_account, claim):
    token = forge(user_claims(session, admin_account), drop=(claim,))

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))


def test_tampered_payload_breaks_the_signature(client, admin_account, person):
    """An alliance user swaps their subject for the admin's and keeps the signature."""
    own = login(client, person.email)["access_token"]
    header, payload, signature = own.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["sub"] = f"user:{admin_account.id}"
    tampered = ".".join([header, b64url(json.dumps(claims).encode()), signature])

    assert client.get(ME_URL, headers=bearer(own)).status_code == 200
    assert_unauthorized(client.get(USERS_URL, headers=bearer(tampered)))


def test_tampered_client_scopes_break_the_signature(client, partner_client):
    token = factories.client_headers(partner_client, scopes=("alliances:read",))[
        "Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["scope"] = "alliances:read surveys:read surveys:write"
    tampered = ".".join([header, b64url(json.dumps(claims).encode()), signature])

    assert_unauthorized(client.get(ME_URL, headers=bearer(tampered)))


def test_refresh_token_is_never_an_access_token(client, person):
    tokens = login(client, person.email)

    assert_unauthorized(client.get(ME_URL, headers=bearer(tokens["refresh_token"])))
    assert_unauthorized(client.post(LOGOUT_URL, headers=bearer(tokens["refresh_token"])))


def test_access_token_signed_as_refresh_type_is_refused(client, person):
    tokens = login(client, person.email)
    claims = json.loads(b64url_decode(tokens["access_token"].split(".")[1]))
    claims["typ"] = "refresh"

    assert_unauthorized(client.get(ME_URL, headers=bearer(forge(claims))))


def test_reused_refresh_token_kills_the_access_token_too(client, person):
    tokens = login(client, person.email)
    client.post(REFRESH_URL, json={"refresh_token": tokens["refresh_token"]})
    client.post(REFRESH_URL, json={"refresh_token": tokens["refresh_token"]})

    assert_unauthorized(client.get(ME_URL, headers=bearer(tokens["access_token"])))


@pytest.mark.parametrize("authorization", [
    "Bearer abc",
    "Bearer a.b.c",
    "Bearer ...",
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyOjEifQ.",
    "Bearer " + "A" * 5000,
    "Bearer eyJ.eyJ.eyJ",
    "Bearer W10.W10.",
    "Bearer bnVsbA.bnVsbA.bnVsbA",
    "Bearer " + b64url(b'{"alg":"HS256"}') + "." + b64url(b"[1,2]") + ".c2ln",
])
def test_garbage_bearer_tokens_are_refused(client, authorization):
    assert_unauthorized(client.get(ME_URL, headers={"Authorization": authorization}))


@pytest.mark.parametrize("authorization", [
    "", "Bearer", "Bearer    ", "Token abc", "Basic dXNlcjpwYXNz", "bearer",
])
def test_missing_or_foreign_schemes_count_as_anonymous(client, authorization):
    body = assert_unauthorized(client.get(ME_URL, headers={"Authorization": authorization}))

    assert "Sign in" in body["detail"]


def test_bearer_scheme_is_case_insensitive(client, admin):
    token = admin["Authorization"].removeprefix("Bearer ")

    assert client.get(ME_URL, headers={"Authorization": f"bearer {token}"}).status_code == 200


def test_token_of_a_deleted_user_is_refused(client, session, make_person):
    doomed = make_person()
    headers = factories.user_headers(doomed)
    session.delete(doomed)
    session.commit()

    assert_unauthorized(client.get(ME_URL, headers=headers))


def test_token_of_an_erased_user_is_refused(client, session, make_person):
    erased = make_person()
    headers = factories.user_headers(erased)
    erased.erased_at = utcnow()
    session.add(erased)
    session.commit()

    assert_unauthorized(client.get(ME_URL, headers=headers))


def test_deactivating_a_user_ends_existing_tokens_at_the_next_request(client, admin, person):
    tokens = login(client, person.email)
    sessionless = factories.user_headers(person)
    assert client.get(ME_URL, headers=bearer(tokens["access_token"])).status_code == 200

    response = client.patch(f"{USERS_URL}/{person.id}", json={"is_active": False}, headers=admin)

    assert response.status_code == 200, response.text
    assert_unauthorized(client.get(ME_URL, headers=bearer(tokens["access_token"])))
    assert_unauthorized(client.get(ME_URL, headers=sessionless))


def test_deactivating_a_client_ends_its_tokens(client, admin, session, partner_client, partner):
    assert client.get(ME_URL, headers=partner).status_code == 200

    response = client.patch(f"/api/v1/clients/{partner_client.id}", json={"is_active": False},
                            headers=admin)

    assert response.status_code == 200, response.text
    assert_unauthorized(client.get(ME_URL, headers=partner))


def test_user_and_client_tokens_are_told_apart(client, session, admin_account):
    """A client whose row id equals the admin's user id gets no admin rights, and vice versa."""
    partner = session.get(ApiClient, admin_account.id)
    if partner is None:
        partner = ApiClient(id=admin_account.id, client_id=f"bcl_twin_{admin_account.id}",
                            name="Zwilling", secret_hash=security.hash_token("x"), scopes="")
        session.add(partner)
        session.commit()
    client_token = forge(claims_for(f"client:{admin_account.id}",
                                    cfp=security.credential_fingerprint(partner.secret_hash)))

    me = client.get(ME_URL, headers=bearer(client_token))

    assert me.json()["kind"] == "client"
    assert_problem(client.get(USERS_URL, headers=bearer(client_token)), 403, "forbidden")


def test_client_token_for_an_unknown_client_is_refused(client):
    assert_unauthorized(client.get(ME_URL, headers=bearer(forge(claims_for("client:987654")))))


def test_user_token_for_an_unknown_user_is_refused(client):
    assert_unauthorized(client.get(ME_URL, headers=bearer(forge(claims_for("user:987654")))))


def test_personal_access_token_subjects_are_not_accepted(client, admin_account):
    token = forge(claims_for(f"pat:{admin_account.id}"))

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))


@pytest.mark.parametrize("path,method", [
    (LOGOUT_URL, "post"), (USERS_URL, "get"), ("/api/v1/clients", "get"),
])
def test_client_tokens_are_refused_on_person_only_endpoints(client, partner, path, method):
    assert_problem(client.request(method, path, headers=partner), 403, "forbidden")


def test_session_id_of_another_user_is_refused(client, session, person, admin_account):
    """Even a correctly signed token may not borrow someone else's live session."""
    admin_session = AuthSession(user_id=admin_account.id)
    session.add(admin_session)
    session.commit()
    token = forge(claims_for(f"user:{person.id}", sid=admin_session.id))

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))


def test_token_for_a_session_that_never_existed_is_refused(client, person):
    token = forge(claims_for(f"user:{person.id}", sid=987654))

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))


def test_role_change_takes_effect_on_existing_tokens(client, session, admin_account):
    """A role change through the API ends the person's sessions; and rights come from the
    database at each request, never from the token (a change made beside the API acts too)."""
    headers = factories.user_headers(admin_account)
    other_admin = factories.make_user(session, Role.admin)
    alliance = factories.make_alliance(session)
    demote = client.patch(f"{USERS_URL}/{admin_account.id}",
                          json={"role": "alliance_user", "alliance_id": alliance.id},
                          headers=factories.user_headers(other_admin))
    assert demote.status_code == 200, demote.text
    assert_unauthorized(client.get(USERS_URL, headers=headers))

    still_signed_in = factories.user_headers(other_admin)
    assert client.get(USERS_URL, headers=still_signed_in).status_code == 200
    other_admin.role = Role.alliance_user
    other_admin.alliance_id = alliance.id
    session.add(other_admin)
    session.commit()
    assert_problem(client.get(USERS_URL, headers=still_signed_in), 403, "forbidden")


def test_problem_for_a_bad_token_says_nothing_about_why(client, session, admin_account):
    expired = forge(user_claims(session, admin_account, exp=int(time.time()) - 10))
    wrong_key = forge(user_claims(session, admin_account), key="x" * 32)

    first = assert_unauthorized(client.get(ME_URL, headers=bearer(expired)))
    second = assert_unauthorized(client.get(ME_URL, headers=bearer(wrong_key)))

    assert first["detail"] == second["detail"]
    assert "signature" not in first["detail"].lower()


# --- the decoder on its own -------------------------------------------------------------------

TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_.="


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=TOKEN_ALPHABET, max_size=300))
def test_decoder_rejects_arbitrary_strings_cleanly(token):
    with pytest.raises(security.InvalidToken):
        security.decode_access_token(token)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(header=json_values, payload=json_values, signature=st.binary(max_size=40))
def test_decoder_rejects_structured_junk_cleanly(header, payload, signature):
    token = ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(payload).encode()),
                      b64url(signature)])

    with pytest.raises(security.InvalidToken):
        security.decode_access_token(token)


@settings(max_examples=200, deadline=None)
@given(overrides=st.dictionaries(
    st.sampled_from(["sub", "iat", "exp", "nbf", "jti", "typ", "scope", "sid", "aud", "iss"]),
    json_values, max_size=3))
def test_decoder_never_fails_other_than_invalid_token_on_signed_junk(overrides):
    """Even with our own key, odd claim values end in InvalidToken, never in a crash."""
    token = forge({**claims_for("user:1"), **overrides})

    try:
        claims = security.decode_access_token(token)
    except security.InvalidToken:
        return
    assert claims.subject_kind in ("user", "client", "pat")
    assert 0 < claims.subject_id <= security.MAX_ROW_ID
    assert all(isinstance(scope, str) for scope in claims.scopes)


def test_decoder_accepts_what_the_app_issues():
    token, lifetime = security.create_access_token("client", 7, scopes=("surveys:read",))

    claims = security.decode_access_token(token)

    assert (claims.subject_kind, claims.subject_id, claims.scopes) == ("client", 7,
                                                                       ("surveys:read",))
    assert lifetime == get_settings().access_token_minutes * 60
    assert claims.expires_at > claims.issued_at

