from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, WithJsonSchema, field_validator

from app.auth.models import Role
from app.auth.scopes import SCOPES
from app.core.ids import RowId
from app.core.schemas import ReadModel, StrictInput
from app.core.text import Email as CoreEmail
from app.core.text import SingleLine


def _lower(value: str) -> str:
    return value.strip().lower()


def _known_scopes(values: list[str]) -> list[str]:
    unknown = sorted(set(values) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes {unknown}; known: {sorted(SCOPES)}")
    return sorted(set(values))


Email = Annotated[CoreEmail, AfterValidator(_lower)]
Password = Annotated[
    str, Field(min_length=12, max_length=256, description="At least 12 characters")
]
# A machine client's scope; the spec lists the known ones (named ClientScope there), and
# _known_scopes refuses the others with a message naming them.
ScopeName = Annotated[str, Field(max_length=40),
                      WithJsonSchema({"type": "string", "enum": sorted(SCOPES), "maxLength": 40})]
ScopeList = Annotated[list[ScopeName], Field(max_length=20), AfterValidator(_known_scopes)]


class Strict(StrictInput):
    """Request bodies of this domain: see app.core.schemas.StrictInput."""


class TokenResponse(ReadModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str | None = Field(default=None, description="People only; opaque, single use")
    scope: str | None = None


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=10, max_length=200)


class AcceptInvitation(Strict):
    token: str = Field(min_length=10, max_length=200)
    password: Password


class UserCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "email": "koordination@familie-fuerth.de", "full_name": "Erika Muster",
            "role": "alliance_user", "alliance_id": 1,
        }]},
    )

    email: Email
    full_name: Annotated[str, SingleLine] = Field(min_length=2, max_length=200)
    role: Role
    alliance_id: RowId | None = Field(default=None, description="Required for alliance_user")


class UserUpdate(Strict):
    full_name: Annotated[str, SingleLine] | None = Field(default=None, min_length=2, max_length=200)
    role: Role | None = None
    alliance_id: RowId | None = None
    is_active: bool | None = Field(default=None, description="false deactivates at once")

    @field_validator("full_name", "role", "is_active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Omit a field to keep it; null would mean "no role" or "no name", which no user has.
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class UserRead(ReadModel):
    id: int
    email: str
    full_name: str
    role: Role
    alliance_id: int | None
    is_active: bool
    invitation_pending: bool
    last_login_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class UserCreated(UserRead):
    invitation_token: str = Field(description="Shown once; valid for the invitation lifetime")
    invitation_expires_at: datetime


class Me(ReadModel):
    kind: Literal["user", "client"]
    id: int
    name: str
    email: str | None = None
    role: Role | None = None
    alliance_id: int | None = None
    scopes: list[ScopeName] = Field(default_factory=list)


class ClientCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "name": "Landesportal Bayern", "scopes": ["alliances:read", "surveys:write"],
            "allowed_alliance_ids": [3, 7],
        }]},
    )

    name: Annotated[str, SingleLine] = Field(min_length=2, max_length=200)
    scopes: ScopeList
    allowed_alliance_ids: list[RowId] | None = Field(
        default=None, max_length=1000, description="null = every alliance"
    )


class ClientUpdate(Strict):
    name: Annotated[str, SingleLine] | None = Field(default=None, min_length=2, max_length=200)
    scopes: ScopeList | None = None
    allowed_alliance_ids: list[RowId] | None = Field(default=None, max_length=1000)
    unrestrict: bool = Field(default=False, description="true lifts the alliance restriction")
    is_active: bool | None = None


class ClientRead(ReadModel):
    id: int
    client_id: str
    name: str
    scopes: list[ScopeName]
    allowed_alliance_ids: list[int] | None
    is_active: bool
    last_used_at: datetime | None
    secret_rotated_at: datetime | None
    version: int
    created_at: datetime


class ClientWithSecret(ClientRead):
    client_secret: str = Field(description="Shown once; store it in your secret manager")


PatScope = Literal["api:read", "api:write"]
PatScopes = Annotated[list[PatScope], Field(min_length=1, max_length=2)]


class PatCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Monatsexport", "scopes": ["api:read"],
                                         "expires_in_days": 90}]},
    )

    name: Annotated[str, SingleLine] = Field(min_length=2, max_length=100)
    scopes: PatScopes
    expires_in_days: int = Field(default=90, ge=1, le=365)


class PatRead(ReadModel):
    id: int
    name: str
    scopes: list[PatScope]
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class PatCreated(PatRead):
    token: str = Field(description="Shown once: send as `Authorization: Bearer <token>`")
