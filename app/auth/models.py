from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class Role(StrEnum):
    admin = "admin"
    alliance_user = "alliance_user"


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    # Stored lower-cased, so the unique constraint compares case-insensitively on every database.
    email: str = Field(max_length=320, unique=True)
    full_name: str = Field(max_length=200)
    role: Role = Field(sa_column=Column(String(20), nullable=False))
    alliance_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("alliance.id", ondelete="RESTRICT"), index=True),
    )
    is_active: bool = True
    password_hash: str | None = Field(default=None, max_length=255)
    invitation_token_hash: str | None = Field(default=None, max_length=64, index=True)
    invitation_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AuthSession(SQLModel, table=True):
    """One login: a family of refresh tokens. Revoking it ends its access tokens too."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="CASCADE"),
                         nullable=False, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, max_length=50)


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_token"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        sa_column=Column(Integer, ForeignKey("auth_session.id", ondelete="CASCADE"),
                         nullable=False, index=True)
    )
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiClient(SQLModel, table=True):
    """A partner system (OAuth2 client credentials)."""

    __tablename__ = "api_client"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    secret_hash: str = Field(max_length=64)
    scopes: str = Field(default="", max_length=500, description="space-separated")
    is_active: bool = True
    restricted_to_alliances: bool = False
    version: int = 1
    secret_rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ApiClientAlliance(SQLModel, table=True):
    __tablename__ = "api_client_alliance"

    client_pk: int = Field(
        sa_column=Column(Integer, ForeignKey("api_client.id", ondelete="CASCADE"), primary_key=True)
    )
    alliance_id: int = Field(
        sa_column=Column(Integer, ForeignKey("alliance.id", ondelete="CASCADE"), primary_key=True)
    )


class PersonalAccessToken(SQLModel, table=True):
    """A named, scoped, expiring token an admin's scripts send as a bearer token."""

    __tablename__ = "personal_access_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="CASCADE"),
                         nullable=False, index=True)
    )
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    scopes: str = Field(max_length=200, description="space-separated")
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
