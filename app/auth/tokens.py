"""Grants (password, client credentials, refresh), logout, and turning a token into a caller."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select, update

from app.audit import recorder
from app.auth.exceptions import (
    InvalidClient,
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
)
from app.auth.models import ApiClient, ApiClientAlliance, AuthSession, RefreshToken, Role, User
from app.auth.principal import Principal
from app.auth.schemas import TokenResponse
from app.core import security
from app.core.config import get_settings
from app.core.db import Reader, read_rows, table_of, utcnow
from app.core.errors import BadRequest, TooManyRequests, Unauthorized
from app.core.ratelimit import get_counter_store
from app.core.text import normalise_email


@dataclass(frozen=True)
class _ThrottleKeys:
    pair: str  # this account from this address: refused after the limit
    address: str  # this address, any account: refused after the limit
    account: str  # this account, any address: counted for the back-off
    pause: str  # this account's back-off: set while the account must wait

    @classmethod
    def of(cls, account: str, address: str) -> "_ThrottleKeys":
        hashed = security.hash_token(account)  # no address or e-mail in the counter store
        return cls(f"login:pair:{hashed}:{address}", f"login:addr:{address}",
                   f"login:acct:{hashed}", f"login:pause:{hashed}")


_THROTTLED = "Too many failed sign-ins; wait before retrying."


def _refuse_if_throttled(account: str, address: str) -> None:
    """429 for an account tried too often from this address, or an address that tried too
    many accounts; an account tried too often from everywhere waits its back-off only."""
    limits = get_settings().limits
    store = get_counter_store()
    keys = _ThrottleKeys.of(account, address)
    for key, limit in ((keys.pair, limits.login_failures_per_pair),
                       (keys.address, limits.login_failures_per_address)):
        count, retry_after = store.peek(key)
        if count >= limit:
            raise TooManyRequests(retry_after, _THROTTLED)
    paused, retry_after = store.peek(keys.pause)
    if paused:
        raise TooManyRequests(retry_after, _THROTTLED)


def _count_failure(account: str, address: str) -> None:
    limits = get_settings().limits
    store = get_counter_store()
    keys = _ThrottleKeys.of(account, address)
    store.hit(keys.pair, limits.login_window_seconds)
    store.hit(keys.address, limits.login_window_seconds)
    failures, _ = store.hit(keys.account, limits.login_window_seconds)
    if failures >= limits.login_failures_per_account:
        store.hit(keys.pause, limits.login_account_backoff_seconds)


def _forget_failures(account: str, address: str) -> None:
    """A success from this address clears this pair only: failures elsewhere still count."""
    get_counter_store().reset(_ThrottleKeys.of(account, address).pair)


def _issue_refresh_token(session: Session, auth_session_id: int) -> str:
    token = security.new_opaque_token("brt")
    session.add(RefreshToken(
        session_id=auth_session_id,
        token_hash=security.hash_token(token),
        expires_at=utcnow() + timedelta(days=get_settings().refresh_token_days),
    ))
    return token


def _tokens_for_user(session: Session, user: User, auth_session_id: int) -> TokenResponse:
    assert user.id is not None
    refresh = _issue_refresh_token(session, auth_session_id)
    access, expires_in = security.create_access_token("user", user.id, session_id=auth_session_id)
    return TokenResponse(access_token=access, expires_in=expires_in, refresh_token=refresh)


def password_grant(session: Session, email: str, password: str, address: str) -> TokenResponse:
    email = str(normalise_email(email))  # NFKC + lower, as addresses are stored
    _refuse_if_throttled(email, address)
    user = session.exec(select(User).where(User.email == email)).first()
    # verify_password runs argon2 even without a user, so both failures take the same time.
    valid = security.verify_password(password, user.password_hash if user else None)
    if not valid or user is None or not user.is_active:
        _count_failure(email, address)
        # Committed on its own: the error below rolls the request's work back. The e-mail
        # tried is not recorded (it may be a mistyped address of someone else).
        recorder.record(session, "auth.login_failed", "user", user.id if user else None,
                        actor="anonymous")
        session.commit()
        raise InvalidCredentials()
    _forget_failures(email, address)
    assert user.id is not None
    auth_session = AuthSession(user_id=user.id)
    session.add(auth_session)
    user.last_login_at = utcnow()
    session.flush()
    assert auth_session.id is not None
    tokens = _tokens_for_user(session, user, auth_session.id)
    recorder.record(session, "auth.login", "user", user.id, actor=f"user:{user.id}")
    session.commit()
    return tokens


def client_credentials_grant(
    session: Session, client_id: str, client_secret: str, requested_scope: str | None,
    address: str,
) -> TokenResponse:
    _refuse_if_throttled(f"client:{client_id}", address)
    client = session.exec(select(ApiClient).where(ApiClient.client_id == client_id)).first()
    expected = client.secret_hash if client else security.hash_token("no-such-client")
    if (
        client is None
        or not security.tokens_equal(expected, security.hash_token(client_secret))
        or not client.is_active
    ):
        _count_failure(f"client:{client_id}", address)
        recorder.record(session, "auth.client_token_failed", "api_client",
                        client.id if client else None, actor="anonymous")
        session.commit()
        raise InvalidClient()
    granted = set(client.scopes.split())
    if requested_scope:
        wanted = set(requested_scope.split())
        if not wanted <= granted:
            # RFC 6749 section 5.2: invalid_scope is a 400 of the token endpoint.
            raise BadRequest(f"Scopes not granted to this client: {sorted(wanted - granted)}",
                             code="invalid_scope")
        granted = wanted
    assert client.id is not None
    client.last_used_at = utcnow()
    access, expires_in = security.create_access_token(
        "client", client.id, scopes=tuple(sorted(granted)),
        credential=security.credential_fingerprint(client.secret_hash),
    )
    recorder.record(session, "auth.client_token", "api_client", client.id, actor=f"client:{client.id}")
    session.commit()
    return TokenResponse(access_token=access, expires_in=expires_in, scope=" ".join(sorted(granted)))


def refresh_grant(session: Session, refresh_token: str) -> TokenResponse:
    stored = session.exec(
        select(RefreshToken).where(RefreshToken.token_hash == security.hash_token(refresh_token))
    ).first()
    if stored is None:
        raise InvalidRefreshToken()
    auth_session = session.get(AuthSession, stored.session_id)
    if auth_session is None or auth_session.revoked_at is not None:
        raise InvalidRefreshToken()
    if stored.rotated_at is not None:
        # A rotated token coming back means it was copied: end the whole family.
        auth_session.revoked_at = utcnow()
        auth_session.revoked_reason = "refresh_reuse"
        recorder.record(session, "auth.refresh_reuse", "auth_session", auth_session.id,
                        actor=f"user:{auth_session.user_id}")
        session.commit()
        raise RefreshTokenReused()
    if stored.expires_at <= utcnow():
        raise InvalidRefreshToken()
    user = session.get(User, auth_session.user_id)
    if user is None or not user.is_active or user.erased_at is not None:
        raise InvalidRefreshToken()
    # Claim the token with a conditional UPDATE: of two concurrent refreshes with the same
    # token only one wins; the other sees the token as reused and ends the family.
    claimed = session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.id) == stored.id, col(RefreshToken.rotated_at).is_(None))
        .values(rotated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        auth_session.revoked_at = utcnow()
        auth_session.revoked_reason = "refresh_reuse"
        recorder.record(session, "auth.refresh_reuse", "auth_session", auth_session.id,
                        actor=f"user:{auth_session.user_id}")
        session.commit()
        raise RefreshTokenReused()
    assert auth_session.id is not None
    tokens = _tokens_for_user(session, user, auth_session.id)
    recorder.record(session, "auth.refresh", "auth_session", auth_session.id, actor=f"user:{user.id}")
    session.commit()
    return tokens


def revoke_session(session: Session, auth_session_id: int, reason: str = "logout") -> None:
    auth_session = session.get(AuthSession, auth_session_id)
    if auth_session is not None and auth_session.revoked_at is None:
        auth_session.revoked_at = utcnow()
        auth_session.revoked_reason = reason
        recorder.record(session, f"auth.{reason}", "auth_session", auth_session_id)
        session.commit()


def revoke_all_sessions(session: Session, user_id: int, reason: str) -> None:
    """Flushes only: the caller's write commits."""
    for auth_session in session.exec(
        select(AuthSession).where(AuthSession.user_id == user_id, col(AuthSession.revoked_at).is_(None))
    ):
        auth_session.revoked_at = utcnow()
        auth_session.revoked_reason = reason
    session.flush()


def client_alliance_ids(session: Session, client: ApiClient) -> frozenset[int] | None:
    if not client.restricted_to_alliances:
        return None
    rows = session.exec(
        select(ApiClientAlliance.alliance_id).where(ApiClientAlliance.client_pk == client.id)
    ).all()
    return frozenset(rows)


_USER = table_of(User)
_SESSION = table_of(AuthSession)
# Built once with bound parameters: constructing the statement per request cost as much as
# running it. The session is outer-joined on its id *and* its owner, so a session of another
# user reads as ended.
_USER_AND_SESSION = sa_select(
    _USER.c.full_name, _USER.c.email, _USER.c.role, _USER.c.alliance_id, _USER.c.is_active,
    _USER.c.erased_at, _SESSION.c.id.label("session_id"), _SESSION.c.revoked_at,
).select_from(
    _USER.outerjoin(_SESSION, and_(_SESSION.c.id == bindparam("sid"),
                                   _SESSION.c.user_id == _USER.c.id))
).where(_USER.c.id == bindparam("uid"))


def user_principal(reader: Reader, claims: security.AccessClaims) -> Principal:
    """A person's principal: the account and its session in one statement (the hottest query
    of the API: every signed-in request runs it), as columns, not ORM objects."""
    row = read_rows(
        reader, _USER_AND_SESSION, {"uid": claims.subject_id, "sid": claims.session_id or 0}
    ).one_or_none()
    if row is None or not row.is_active or row.erased_at is not None:
        raise Unauthorized("The account is not active.")
    # Every user token the server issues names its session; one without could not be ended by
    # logout or a password change, so it is refused like an ended one.
    if claims.session_id is None or row.session_id is None or row.revoked_at is not None:
        raise Unauthorized("The session was ended; sign in again.")
    return Principal(
        kind="user", id=claims.subject_id, name=row.full_name, role=Role(row.role),
        alliance_id=row.alliance_id, session_id=claims.session_id, token_jti=claims.jti,
        email=row.email,
    )


def principal_for(session: Session, claims: security.AccessClaims) -> Principal:
    """Re-checks the account on every request, so deactivation and logout act at once."""
    if claims.subject_kind == "user":
        return user_principal(session, claims)
    if claims.subject_kind == "client":
        client = session.get(ApiClient, claims.subject_id)
        if client is None or not client.is_active:
            raise Unauthorized("The client is not active.")
        # Bound to the client's current secret as a user's token is bound to its session: a
        # token without the mark, or with the mark of a secret since rotated, is refused.
        current = security.credential_fingerprint(client.secret_hash)
        if claims.credential is None or not security.tokens_equal(claims.credential, current):
            raise Unauthorized("The client secret was rotated; request a new token.")
        granted = frozenset(client.scopes.split()) & frozenset(claims.scopes)
        return Principal.of_client(client, client_alliance_ids(session, client), granted, claims.jti)
    raise Unauthorized("Unsupported token subject.")
