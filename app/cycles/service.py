"""Award cycles. ``get_cycle`` is how every domain resolves a ``{cycle}`` path segment."""

from sqlmodel import Session, select

from app.core.errors import NotFound
from app.cycles.models import AwardCycle


class CycleNotFound(NotFound):
    code, title = "cycle_not_found", "Award cycle not found"


def get_cycle(session: Session, ref: str | int) -> AwardCycle:
    """Resolve a cycle by id ("3"), slug ("2024-25") or key ("2024/25")."""
    text = str(ref)
    cycle: AwardCycle | None
    if text.isdigit():
        cycle = session.get(AwardCycle, int(text))
    else:
        cycle = session.exec(
            select(AwardCycle).where((AwardCycle.slug == text) | (AwardCycle.key == text))
        ).first()
    if cycle is None:
        raise CycleNotFound(f"No award cycle {text!r}.")
    return cycle
