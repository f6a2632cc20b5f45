"""Who may read cycles and questionnaires: every signed-in person, and machine clients that
hold a survey scope (surveys:read or surveys:write: a client pushing answers must see the
questions it answers)."""

from typing import Annotated

from fastapi import Depends, Path, Request

from app.auth.deps import client_scopes, signed_in_caller
from app.auth.principal import Principal
from app.core.errors import Forbidden

READ_SCOPES = frozenset({"surveys:read", "surveys:write"})


@client_scopes(*sorted(READ_SCOPES))
async def cycle_reader(request: Request) -> Principal:
    principal = signed_in_caller(request)
    if principal.is_client and not principal.scopes & READ_SCOPES:
        raise Forbidden("This client needs the scope surveys:read or surveys:write.",
                        code="insufficient_scope")
    return principal


CycleReader = Annotated[Principal, Depends(cycle_reader)]
CyclePath = Annotated[str, Path(max_length=20, description="The cycle's id, slug (2024-25) or key",
                                examples=["2024-25"])]
