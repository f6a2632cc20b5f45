"""Admin management of people (users) and machine clients."""

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, or_, select

from app.alliances.models import Alliance
from app.auth import tokens
from app.auth.exceptions import EmailTaken, InvalidInvitation
from app.auth.models import ApiClient, ApiClientAlliance, Role, User
from app.auth.principal import Principal
from app.auth.schemas import (
    ClientCreate,
    ClientRead,
    ClientUpdate,
    ClientWithSecret,
    Me,
    UserCreate,
    UserCreated,
    UserRead,
    UserUpdate,
)
from app.core import security
from app.core.config import get_settings
from app.core.db import columns_of, utcnow
from app.core.errors import Conflict, NotFound, RuleViolation, field_error
from app.core.etags import check_if_match
from app.core.pagination import PageParams, SortKey, paginate


def user_read(user: User) -> UserRead:
    return UserRead.model_validate(
        {**columns_of(user), "invitation_pending": user.password_hash is None}
    )


def _get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}.")
    return user


def _check_binding(session: Session, role: Role, alliance_id: int | None) -> None:
    if role == Role.alliance_user:
        if alliance_id is None:
            raise RuleViolation("An alliance user must belong to an alliance.",
                                errors=[field_error(["body", "alliance_id"], "required for alliance_user")])
        if session.get(Alliance, alliance_id) is None:
            raise RuleViolation(f"No alliance {alliance_id}.",
                                errors=[field_error(["body", "alliance_id"], "unknown alliance")])
    elif alliance_id is not None:
        raise RuleViolation("Admins belong to no alliance.",
                            errors=[field_error(["body", "alliance_id"], "must be null for admin")])


def _new_invitation(user: User) -> tuple[str, User]:
    token = security.new_opaque_token("binv")
    user.invitation_token_hash = security.hash_token(token)
    user.invitation_expires_at = utcnow() + timedelta(days=get_settings().invitation_days)
    return token, user


def create_user(session: Session, data: UserCreate) -> UserCreated:
    _check_binding(session, data.role, data.alliance_id)
    if session.exec(select(User.id).where(User.email == data.email)).first() is not None:
        raise EmailTaken(errors=[field_error(["body", "email"], "already registered")])
    user = User(email=data.email, full_name=data.full_name, role=data.role,
                alliance_id=data.alliance_id)
    token, _ = _new_invitation(user)
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:
        # Two admins inviting the same address at once: the unique constraint decides.
        session.rollback()
        if "email" not in str(exc.orig):
            raise
        raise EmailTaken(errors=[field_error(["body", "email"], "already registered")]) from exc
    assert user.invitation_expires_at is not None
    return UserCreated(**user_read(user).model_dump(), invitation_token=token,
                       invitation_expires_at=user.invitation_expires_at)


def reissue_invitation(session: Session, user_id: int) -> UserCreated:
    user = _get_user(session, user_id)
    if user.password_hash is not None:
        raise Conflict("This user has already set a password.")
    token, _ = _new_invitation(user)
    user.version += 1
    user.updated_at = utcnow()
    session.commit()
    assert user.invitation_expires_at is not None
    return UserCreated(**user_read(user).model_dump(), invitation_token=token,
                       invitation_expires_at=user.invitation_expires_at)


def accept_invitation(session: Session, token: str, password: str) -> None:
    user = session.exec(
        select(User).where(User.invitation_token_hash == security.hash_token(token))
    ).first()
    if (
        user is None or user.invitation_expires_at is None
        or user.invitation_expires_at <= utcnow() or not user.is_active
    ):
        raise InvalidInvitation()
    user.password_hash = security.hash_password(password)
    user.invitation_token_hash = None
    user.invitation_expires_at = None
    user.version += 1
    user.updated_at = utcnow()
    session.commit()


def list_users(
    session: Session, params: PageParams, *, role: Role | None, alliance_id: int | None,
    is_active: bool | None, q: str | None,
) -> tuple[list[UserRead], str | None, int | None]:
    query = select(User)
    if role:
        query = query.where(User.role == role)
    if alliance_id is not None:
        query = query.where(User.alliance_id == alliance_id)
    if is_active is not None:
        query = query.where(User.is_active == is_active)
    if q:
        # autoescape: "%" and "_" in the search text match themselves, not any characters.
        needle = q.strip().lower()
        query = query.where(or_(
            col(User.email).contains(needle, autoescape=True),
            func.lower(col(User.full_name)).contains(needle, autoescape=True),
        ))
    rows, cursor, total = paginate(
        session, query, SortKey(col(User.id), col(User.id)), params,
        value_of=lambda u: u.id, id_of=lambda u: u.id,
    )
    return [user_read(u) for u in rows], cursor, total


def get_user(session: Session, user_id: int) -> UserRead:
    return user_read(_get_user(session, user_id))


def update_user(
    session: Session, user_id: int, data: UserUpdate, if_match: str | None, actor: Principal
) -> UserRead:
    user = _get_user(session, user_id)
    check_if_match(if_match, "user", user_id, user.version)
    changes = data.model_dump(exclude_unset=True)
    role = changes.get("role", user.role)
    alliance_id = changes.get("alliance_id", None if role == Role.admin else user.alliance_id)
    _check_binding(session, role, alliance_id)
    if user.id == actor.id and (role != Role.admin or changes.get("is_active") is False):
        raise Conflict("You cannot demote or deactivate yourself; ask another admin.")
    for name in ("full_name", "role", "is_active"):
        if name in changes and changes[name] is not None:
            setattr(user, name, changes[name])
    user.alliance_id = alliance_id
    if not user.is_active or "role" in changes or "alliance_id" in changes:
        # New rights or none at all: existing sessions must sign in again.
        tokens.revoke_all_sessions(session, user_id, "account_changed")
    user.version += 1
    user.updated_at = utcnow()
    session.commit()
    return user_read(user)


def me_without_query(principal: Principal) -> Me | None:
    """A person's /me from the principal, which this request read from the database already;
    None when it does not carry everything (then ``me`` reads the row)."""
    if principal.kind != "user" or principal.email is None or principal.role is None:
        return None
    return Me(kind="user", id=principal.id, name=principal.name, email=principal.email,
              role=principal.role, alliance_id=principal.alliance_id)


def me(principal: Principal, session: Session) -> Me:
    if principal.kind == "user":
        user = _get_user(session, principal.id)
        return Me(kind="user", id=principal.id, name=user.full_name, email=user.email,
                  role=user.role, alliance_id=user.alliance_id)
    return Me(kind="client", id=principal.id, name=principal.name, scopes=sorted(principal.scopes))


# --- machine clients -------------------------------------------------------------------------

def _client_read(session: Session, client: ApiClient) -> ClientRead:
    allowed = tokens.client_alliance_ids(session, client)
    return ClientRead(
        id=client.id or 0, client_id=client.client_id, name=client.name,
        scopes=client.scopes.split(), allowed_alliance_ids=sorted(allowed) if allowed is not None else None,
        is_active=client.is_active, last_used_at=client.last_used_at,
        secret_rotated_at=client.secret_rotated_at, version=client.version,
        created_at=client.created_at,
    )


def _get_client(session: Session, client_pk: int) -> ApiClient:
    client = session.get(ApiClient, client_pk)
    if client is None:
        raise NotFound(f"No client {client_pk}.")
    return client


def _set_allowed_alliances(session: Session, client: ApiClient, alliance_ids: list[int] | None) -> None:
    session.exec(delete(ApiClientAlliance).where(col(ApiClientAlliance.client_pk) == client.id))
    client.restricted_to_alliances = alliance_ids is not None
    if alliance_ids is None:
        return
    wanted = set(alliance_ids)
    known = set(session.exec(select(Alliance.id).where(col(Alliance.id).in_(wanted))).all())
    unknown = sorted(wanted - known)
    if unknown:
        raise RuleViolation(f"Unknown alliances: {unknown}",
                            errors=[field_error(["body", "allowed_alliance_ids"], f"unknown: {unknown}")])
    assert client.id is not None
    for alliance_id in sorted(wanted):
        session.add(ApiClientAlliance(client_pk=client.id, alliance_id=alliance_id))


def create_client(session: Session, data: ClientCreate) -> ClientWithSecret:
    secret = security.new_opaque_token("bcs")
    client = ApiClient(
        client_id=security.new_opaque_token("bcl")[:40], name=data.name,
        secret_hash=security.hash_token(secret), scopes=" ".join(data.scopes),
    )
    session.add(client)
    session.flush()
    _set_allowed_alliances(session, client, data.allowed_alliance_ids)
    session.commit()
    return ClientWithSecret(**_client_read(session, client).model_dump(), client_secret=secret)


def list_clients(session: Session, params: PageParams) -> tuple[list[ClientRead], str | None, int | None]:
    rows, cursor, total = paginate(
        session, select(ApiClient), SortKey(col(ApiClient.id), col(ApiClient.id)), params,
        value_of=lambda c: c.id, id_of=lambda c: c.id,
    )
    return [_client_read(session, c) for c in rows], cursor, total


def get_client(session: Session, client_pk: int) -> ClientRead:
    return _client_read(session, _get_client(session, client_pk))


def update_client(session: Session, client_pk: int, data: ClientUpdate, if_match: str | None) -> ClientRead:
    client = _get_client(session, client_pk)
    check_if_match(if_match, "client", client_pk, client.version)
    if data.unrestrict and data.allowed_alliance_ids is not None:
        raise RuleViolation(
            "Send either unrestrict or allowed_alliance_ids, not both.",
            errors=[field_error(["body", "unrestrict"], "conflicts with allowed_alliance_ids")],
        )
    if data.name is not None:
        client.name = data.name
    if data.scopes is not None:
        client.scopes = " ".join(data.scopes)
    if data.is_active is not None:
        client.is_active = data.is_active
    if data.unrestrict:
        _set_allowed_alliances(session, client, None)
    elif data.allowed_alliance_ids is not None:
        _set_allowed_alliances(session, client, data.allowed_alliance_ids)
    client.version += 1
    client.updated_at = utcnow()
    session.commit()
    return _client_read(session, client)


def rotate_client_secret(session: Session, client_pk: int) -> ClientWithSecret:
    client = _get_client(session, client_pk)
    secret = security.new_opaque_token("bcs")
    client.secret_hash = security.hash_token(secret)
    client.secret_rotated_at = client.updated_at = utcnow()
    client.version += 1
    session.commit()
    return ClientWithSecret(**_client_read(session, client).model_dump(), client_secret=secret)


def revoke_client(session: Session, client_pk: int, if_match: str | None) -> None:
    client = _get_client(session, client_pk)
    check_if_match(if_match, "client", client_pk, client.version)
    client.is_active = False
    client.version += 1
    client.updated_at = utcnow()
    session.commit()
