"""Personal access tokens: long-lived, named, scoped bearer tokens for admins' scripts.

A token is ``bpat_`` + 256 random bits; only its SHA-256 is stored. It acts as its owner, but
``api:read`` alone allows only reading requests. Deactivating the owner, revoking the token or
its expiry ends it on the next request.
"""

from dataclasses import replace
from datetime import timedelta

from sqlmodel import Session, col, select

from app.auth.models import PersonalAccessToken, User
from app.auth.principal import Principal
from app.auth.schemas import PatCreate, PatCreated, PatRead
from app.core import security
from app.core.db import columns_of, utcnow
from app.core.errors import Forbidden, NotFound, Unauthorized

PAT_PREFIX = "bpat"
PAT_SCOPES = {"api:read": "Read everything the owner may read",
              "api:write": "Also create, change and delete as the owner"}
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Writing last_used_at on every call would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def is_pat(token: str) -> bool:
    return token.startswith(PAT_PREFIX + "_")


def _read(pat: PersonalAccessToken) -> PatRead:
    fields = columns_of(pat)
    return PatRead(**{**fields, "scopes": pat.scopes.split()})


def create_pat(session: Session, owner: Principal, data: PatCreate) -> PatCreated:
    token = security.new_opaque_token(PAT_PREFIX)
    pat = PersonalAccessToken(
        user_id=owner.id, name=data.name, token_hash=security.hash_token(token),
        scopes=" ".join(data.scopes), expires_at=utcnow() + timedelta(days=data.expires_in_days),
    )
    session.add(pat)
    session.commit()
    return PatCreated(**_read(pat).model_dump(), token=token)


def list_pats(session: Session, owner: Principal) -> list[PatRead]:
    rows = session.exec(
        select(PersonalAccessToken).where(PersonalAccessToken.user_id == owner.id)
        .order_by(col(PersonalAccessToken.id).desc())
    ).all()
    return [_read(p) for p in rows]


def revoke_pat(session: Session, owner: Principal, pat_id: int) -> None:
    pat = session.get(PersonalAccessToken, pat_id)
    if pat is None or pat.user_id != owner.id:
        raise NotFound(f"No token {pat_id}.")
    if pat.revoked_at is None:
        pat.revoked_at = utcnow()
        session.commit()


def principal_for_pat(session: Session, token: str, method: str) -> Principal:
    pat = session.exec(
        select(PersonalAccessToken).where(PersonalAccessToken.token_hash == security.hash_token(token))
    ).first()
    now = utcnow()
    if pat is None or pat.revoked_at is not None or pat.expires_at <= now:
        raise Unauthorized("The personal access token is invalid, revoked or expired.")
    user = session.get(User, pat.user_id)
    if user is None or not user.is_active or user.erased_at is not None:
        raise Unauthorized("The account is not active.")
    scopes = frozenset(pat.scopes.split())
    if method.upper() not in READING_METHODS and "api:write" not in scopes:
        raise Forbidden("This token may only read (scope api:write is missing).",
                        code="insufficient_scope")
    if pat.last_used_at is None or now - pat.last_used_at > LAST_USED_RESOLUTION:
        pat.last_used_at = now
        session.commit()
    return replace(Principal.of_user(user, session_id=None, jti=None), scopes=scopes, token_id=pat.id)
