"""The read side of inquiries: who may see one, the Servicebüro's queue, one thread.

Admins see every inquiry; a person acting for an alliance sees the inquiries of that alliance
only, and any other inquiry answers 404 as if it did not exist. Anonymous inquiries belong to
no alliance until the Servicebüro links one.
"""

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, func, select

from app.alliances.models import Alliance
from app.auth.principal import Principal
from app.core.db import columns_of
from app.core.errors import field_error
from app.core.pagination import PageParams, SortKey, paginate
from app.cycles import service as cycles
from app.cycles.models import AwardCycle
from app.inquiries.exceptions import InquiryNotFound, UnknownReference
from app.inquiries.models import (
    Inquiry,
    InquiryCategory,
    InquiryMessage,
    InquiryStatus,
)
from app.inquiries.schemas import (
    InquiryDetail,
    InquiryMessageRead,
    InquiryNoticeRead,
    InquiryRead,
    InquirySort,
)
from app.notices import queries as notices

ETAG_RESOURCE = "inquiry"


def may_see(principal: Principal, alliance_id: int | None) -> bool:
    """The rule itself: admins see all; people of an alliance see that alliance's inquiries."""
    if principal.is_admin:
        return True
    return (principal.kind == "user" and alliance_id is not None
            and principal.alliance_id == alliance_id)


def get_inquiry(session: Session, inquiry_id: int, *, for_update: bool = False) -> Inquiry:
    query = select(Inquiry).where(Inquiry.id == inquiry_id)
    if for_update:
        # Status changes of one inquiry happen one after the other (row lock on PostgreSQL;
        # SQLite serialises writers anyway).
        query = query.with_for_update()
    inquiry = session.exec(query).first()
    if inquiry is None:
        raise InquiryNotFound(f"No inquiry {inquiry_id}.")
    return inquiry


def visible_inquiry(session: Session, inquiry_id: int, principal: Principal, *,
                    for_update: bool = False) -> Inquiry:
    inquiry = get_inquiry(session, inquiry_id, for_update=for_update)
    if not may_see(principal, inquiry.alliance_id):
        raise InquiryNotFound(f"No inquiry {inquiry_id}.")  # another alliance's: as if none
    return inquiry


def ensure_visible(session: Session, inquiry_id: int, principal: Principal) -> None:
    """For the route dependency: refuse before the request body is even read."""
    visible_inquiry(session, inquiry_id, principal)


def _names(session: Session, inquiries: Iterable[Inquiry]) -> tuple[dict[int, str], dict[int, str]]:
    rows = list(inquiries)
    alliance_ids = {i.alliance_id for i in rows if i.alliance_id is not None}
    cycle_ids = {i.cycle_id for i in rows if i.cycle_id is not None}
    alliance_names: dict[int, str] = {}
    cycle_keys: dict[int, str] = {}
    if alliance_ids:
        alliance_names = {a_id: name for a_id, name in session.exec(
            select(Alliance.id, Alliance.name).where(col(Alliance.id).in_(alliance_ids))).all()
            if a_id is not None}
    if cycle_ids:
        cycle_keys = {c_id: key for c_id, key in session.exec(
            select(AwardCycle.id, AwardCycle.key).where(col(AwardCycle.id).in_(cycle_ids))).all()
            if c_id is not None}
    return alliance_names, cycle_keys


def _to_read(inquiry: Inquiry, alliance_names: dict[int, str], cycle_keys: dict[int, str]) -> InquiryRead:
    return InquiryRead(
        **columns_of(inquiry),
        alliance_name=alliance_names.get(inquiry.alliance_id) if inquiry.alliance_id else None,
        cycle_key=cycle_keys.get(inquiry.cycle_id) if inquiry.cycle_id else None,
    )


def _survey_notices(session: Session, inquiry: Inquiry) -> list[InquiryNoticeRead]:
    assert inquiry.cycle_id is not None and inquiry.alliance_id is not None
    return [
        InquiryNoticeRead(id=notice.id, channel=notice.channel, status=notice.status,
                          attempts=notice.attempts, sent_at=notice.sent_at,
                          created_at=notice.created_at)
        for notice, _message in notices.notice_rows(session, inquiry.cycle_id, [inquiry.alliance_id])
        if notice.id is not None
    ]


def shows_notices(principal: Principal, inquiry: Inquiry) -> bool:
    """Admins see at once whether a notice went out for a "we got no notice" inquiry."""
    return (principal.is_admin and inquiry.category == InquiryCategory.missing_notice
            and inquiry.alliance_id is not None and inquiry.cycle_id is not None)


def detail(session: Session, inquiry: Inquiry, principal: Principal) -> InquiryDetail:
    alliance_names, cycle_keys = _names(session, [inquiry])
    messages = session.exec(
        select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry.id)
        .order_by(col(InquiryMessage.created_at), col(InquiryMessage.id))
    ).all()
    return InquiryDetail(
        **_to_read(inquiry, alliance_names, cycle_keys).model_dump(),
        messages=[InquiryMessageRead.model_validate(m, from_attributes=True) for m in messages],
        survey_notices=_survey_notices(session, inquiry) if shows_notices(principal, inquiry) else None,
    )


def read_inquiry(session: Session, inquiry_id: int, principal: Principal) -> InquiryDetail:
    return detail(session, visible_inquiry(session, inquiry_id, principal), principal)


_SORT_COLUMNS: dict[str, Any] = {"created_at": Inquiry.created_at, "updated_at": Inquiry.updated_at}


def _sort_key(sort: InquirySort) -> SortKey:
    return SortKey(col(_SORT_COLUMNS[sort.lstrip("-")]), col(Inquiry.id),
                   descending=sort.startswith("-"))


def cycle_id_of(session: Session, ref: str, loc: list[str | int]) -> int:
    """A cycle named in the input; an unknown one is invalid input at ``loc``."""
    try:
        cycle = cycles.get_cycle(session, ref)
    except cycles.CycleNotFound:
        raise UnknownReference(f"No award cycle {ref!r}.",
                               errors=[field_error(loc, f"no award cycle {ref!r}", "not_found")]) from None
    assert cycle.id is not None
    return cycle.id


def list_inquiries(
    session: Session, params: PageParams, principal: Principal, *,
    status: InquiryStatus | None = None, category: InquiryCategory | None = None,
    alliance_id: int | None = None, cycle: str | None = None, q: str | None = None,
    sort: InquirySort = "-created_at",
) -> tuple[list[InquiryRead], str | None, int | None]:
    """Admins: every inquiry; alliance users: their alliance's (filters narrow further)."""
    query = select(Inquiry)
    if not principal.is_admin:
        query = query.where(Inquiry.alliance_id == (principal.alliance_id or -1))
    if status is not None:
        query = query.where(Inquiry.status == status)
    if category is not None:
        query = query.where(Inquiry.category == category)
    if alliance_id is not None:
        query = query.where(Inquiry.alliance_id == alliance_id)
    if cycle is not None:
        query = query.where(Inquiry.cycle_id == cycle_id_of(session, cycle, ["query", "cycle"]))
    if q and q.strip():
        # % and _ in the search text are literal characters, not wildcards.
        escaped = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(Inquiry.subject).like(f"%{escaped}%", escape="\\"))
    rows, cursor, total = paginate(
        session, query, _sort_key(sort), params,
        value_of=lambda i: getattr(i, sort.lstrip("-")), id_of=lambda i: i.id,
    )
    alliance_names, cycle_keys = _names(session, rows)
    return [_to_read(i, alliance_names, cycle_keys) for i in rows], cursor, total
