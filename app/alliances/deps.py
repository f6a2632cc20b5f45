"""Who may read the alliance registry: every signed-in person (the service narrows what an
alliance user sees) and machine clients holding alliances:read."""

from typing import Annotated

from fastapi import Depends

from app.auth.deps import user_or_client_with
from app.auth.principal import Principal

AllianceReader = Annotated[Principal, Depends(user_or_client_with("alliances:read"))]
