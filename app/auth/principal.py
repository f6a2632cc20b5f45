"""Who is calling: a person (admin or alliance user) or a machine client."""

from dataclasses import dataclass, field
from typing import Literal

from app.auth.models import ApiClient, Role, User


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "client"]
    id: int
    name: str
    role: Role | None = None
    alliance_id: int | None = None
    scopes: frozenset[str] = frozenset()
    # None = every alliance; for clients restricted to some alliances, their ids.
    allowed_alliance_ids: frozenset[int] | None = None
    session_id: int | None = None
    token_jti: str | None = field(default=None, compare=False)
    # Set when the caller authenticated with a personal access token.
    token_id: int | None = None
    # A person's address as read with the principal in this request (GET /me needs no query).
    email: str | None = field(default=None, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.kind == "user" and self.role == Role.admin

    @property
    def is_client(self) -> bool:
        return self.kind == "client"

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"

    def acts_for(self, alliance_id: int) -> bool:
        """May see this alliance's personal data and private records."""
        if self.is_admin:
            return True
        if self.kind == "user":
            return self.alliance_id == alliance_id
        return False

    def may_reach_alliance(self, alliance_id: int) -> bool:
        """For clients: is the alliance within the allowed set."""
        return self.allowed_alliance_ids is None or alliance_id in self.allowed_alliance_ids

    @classmethod
    def of_user(cls, user: User, *, session_id: int | None, jti: str | None) -> "Principal":
        assert user.id is not None
        return cls(
            kind="user", id=user.id, name=user.full_name, role=user.role,
            alliance_id=user.alliance_id, session_id=session_id, token_jti=jti, email=user.email,
        )

    @classmethod
    def of_client(
        cls, client: ApiClient, allowed: frozenset[int] | None, scopes: frozenset[str],
        jti: str | None,
    ) -> "Principal":
        assert client.id is not None
        return cls(
            kind="client", id=client.id, name=client.name, scopes=scopes,
            allowed_alliance_ids=allowed, token_jti=jti,
        )
