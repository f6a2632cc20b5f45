from datetime import datetime
from typing import Any

from app.core.schemas import ReadModel


class AuditEventRead(ReadModel):
    id: int
    occurred_at: datetime
    actor: str
    actor_type: str
    action: str
    resource_type: str
    resource_id: str | None
    changed_fields: list[str]
    changes: dict[str, Any]
    request_id: str | None
