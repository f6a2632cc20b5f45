"""The only module that touches python-jose and the password hasher.

Access tokens are JWTs signed with HS256 (pinned: the decoder accepts nothing else).
Refresh tokens, invitation tokens, client secrets and personal access tokens are opaque random
strings; the database keeps only their SHA-256 (they carry 256 bits of entropy, so a slow hash
adds nothing) while people's passwords get argon2id.
"""

import hashlib
import hmac
import secrets
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Literal, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from jose import JWTError, jwt

from app.core.config import Settings, get_settings
from app.core.db import utcnow
from app.core.ids import MAX_ROW_ID  # a larger subject id in a token names no row

JWT_ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"
# How far in the future a token's ``iat`` may lie (clock skew between our own processes).
CLOCK_LEEWAY_SECONDS = 5
SubjectKind = Literal["user", "client", "pat"]

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """Made on the first sign-in, not at import: an argon2 hash costs ~50-90 ms of start-up."""
    return _hasher.hash("timing-equaliser-not-a-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-ish time: an unknown account still pays for one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_opaque_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


def credential_fingerprint(secret_hash: str) -> str:
    """A short, non-reversible mark of a client's current secret, carried in its access tokens.

    Rotating the secret changes the mark, so every token minted with the old secret fails at
    once, even one issued within the same second as the rotation (``iat`` has whole seconds).
    """
    return hashlib.sha256(f"credential:{secret_hash}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class AccessClaims:
    subject_kind: SubjectKind
    subject_id: int
    jti: str
    session_id: int | None
    scopes: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    credential: str | None = None


class InvalidToken(Exception):
    """The bearer token is malformed, forged, expired or of the wrong kind."""


def create_access_token(
    subject_kind: SubjectKind,
    subject_id: int,
    *,
    scopes: tuple[str, ...] = (),
    session_id: int | None = None,
    credential: str | None = None,
    lifetime: timedelta | None = None,
) -> tuple[str, int]:
    settings = get_settings()
    now = utcnow()
    expires_in = lifetime or timedelta(minutes=settings.access_token_minutes)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": f"{subject_kind}:{subject_id}",
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + expires_in).timestamp()),
        "jti": uuid.uuid4().hex,
        "typ": ACCESS_TOKEN_TYPE,
        "scope": " ".join(scopes),
    }
    if session_id is not None:
        claims["sid"] = session_id
    if credential is not None:
        claims["cfp"] = credential
    token = jwt.encode(claims, settings.jwt_secret, algorithm=JWT_ALGORITHM)
    return token, int(expires_in.total_seconds())


# Verified claims by token: a bearer token comes back on every request of its lifetime, and
# checking its signature and claims again costs more than the rest of the principal lookup.
# Bounded (least recently used goes first), an entry is used only while the token is unexpired
# and the settings (secret, issuer, audience) are those it was verified with. Only the
# signature check is saved: the account, its session (logout, revocation) and a client's
# current secret are still read from the database on every request (auth/tokens.py).
CLAIMS_CACHE_SIZE = 4096
_claims_cache: OrderedDict[str, tuple[Settings, AccessClaims]] = OrderedDict()
_claims_lock = threading.Lock()


def clear_claims_cache() -> None:
    with _claims_lock:
        _claims_cache.clear()


def decode_access_token(token: str) -> AccessClaims:
    settings = get_settings()
    with _claims_lock:
        hit = _claims_cache.get(token)
        if hit is not None:
            verified_with, cached = hit
            if verified_with is settings and utcnow() < cached.expires_at:
                _claims_cache.move_to_end(token)
                return cached
            # Expired or verified under other settings: decide afresh (and fail as before).
            del _claims_cache[token]
    claims = _verify_access_token(token, settings)
    with _claims_lock:
        _claims_cache[token] = (settings, claims)
        if len(_claims_cache) > CLAIMS_CACHE_SIZE:
            _claims_cache.popitem(last=False)
    return claims


def _verify_access_token(token: str, settings: Settings) -> AccessClaims:
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != JWT_ALGORITHM:
            raise InvalidToken("unexpected algorithm")
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[JWT_ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={
                "require_exp": True, "require_iat": True, "require_iss": True,
                "require_aud": True, "require_sub": True, "require_jti": True,
            },
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
        # python-jose checks some claims with bare int()/comparisons and lets their errors out.
        raise InvalidToken(f"malformed claims: {type(exc).__name__}") from exc
    if claims.get("typ") != ACCESS_TOKEN_TYPE:
        raise InvalidToken("not an access token")
    kind, _, raw_id = str(claims["sub"]).partition(":")
    if (
        kind not in ("user", "client", "pat") or not raw_id.isascii() or not raw_id.isdigit()
        or len(raw_id) > len(str(MAX_ROW_ID)) or not 0 < int(raw_id) <= MAX_ROW_ID
    ):
        raise InvalidToken("malformed subject")
    sid = claims.get("sid")
    if sid is not None and (
        not isinstance(sid, int) or isinstance(sid, bool) or not 0 < sid <= MAX_ROW_ID
    ):
        raise InvalidToken("malformed session id")
    credential = claims.get("cfp")
    if credential is not None and not isinstance(credential, str):
        raise InvalidToken("malformed credential mark")
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise InvalidToken("malformed scope")
    try:
        issued_at = datetime.fromtimestamp(int(claims["iat"]), tz=UTC)
        expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise InvalidToken("malformed timestamps") from exc
    if issued_at > utcnow() + timedelta(seconds=CLOCK_LEEWAY_SECONDS):
        # Issued in the future: forged or minted by a clock that is wrong; either way a token
        # that would outlive a rotation or logout judged by its iat.
        raise InvalidToken("issued in the future")
    return AccessClaims(
        subject_kind=cast(SubjectKind, kind),
        subject_id=int(raw_id),
        jti=str(claims["jti"]),
        session_id=sid,
        scopes=tuple(scope.split()),
        issued_at=issued_at,
        expires_at=expires_at,
        credential=credential,
    )
