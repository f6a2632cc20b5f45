"""Helpers of the workgroups tests (fixtures stay in conftest.py)."""

from sqlmodel import Session, select

from app.audit.models import AuditEvent

URL = "/api/v1/workgroups"

def url(workgroup_id: int | None = None, suffix: str = "") -> str:
    return URL if workgroup_id is None else f"{URL}/{workgroup_id}{suffix}"


def audit(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)
                             .order_by(AuditEvent.id)).all())
