"""The FAQ: the public read side (published entries only), and the Servicebüro's drafts,
changes, publishing and deletion. Every write commits once and keeps ``search_text`` in step
with question and answer; the audit hook records each change with its actor.

Order: by category (in the order of ``FaqCategory``), then position, then id. The sort value
is one integer (category rank × 10,000 + position), so the shared keyset pagination applies.

Search (``q``, see ``search``): the entries of the filter are scored in Python, and a hit's
place is again one integer, (best score − its score) × span + its category order, handed to
the database as a ``CASE`` over the hits' ids, so relevance order pages with the same keyset
cursor. The FAQ is small (dozens to a few hundred entries), so scoring in Python costs
milliseconds (each entry's text is analysed once, cached by text) and keeps SQLite and
PostgreSQL identical: neither database's full-text engine (FTS5, tsvector) is used, as the two
would stem, weigh and rank differently.
"""

from typing import Any

from sqlalchemy import ColumnElement, case, false
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.auth.principal import Principal
from app.core.db import utcnow
from app.core.errors import field_error
from app.core.etags import check_if_match
from app.core.pagination import PageParams, SortKey, paginate
from app.faq import search
from app.faq.exceptions import (
    FaqAlreadyPublished,
    FaqEntryNotFound,
    FaqNotPublished,
    InvalidFaqEntry,
)
from app.faq.models import FaqCategory, FaqEntry
from app.faq.schemas import (
    CATEGORY_TITLES,
    MAX_POSITION,
    FaqEntryCreate,
    FaqEntryRead,
    FaqEntryUpdate,
    FaqSort,
    PublicFaqEntryRead,
)

ETAG_RESOURCE = "faq"
_RANK = {category: rank for rank, category in enumerate(FaqCategory)}
_STEP = MAX_POSITION + 1
_SPAN = (len(_RANK) + 1) * _STEP  # every order value is below this
_EDITABLE = ("category", "position", "question", "answer")


def _order_value() -> ColumnElement[int]:
    rank = case(*((col(FaqEntry.category) == c.value, r) for c, r in _RANK.items()),
                else_=len(_RANK))
    return rank * _STEP + col(FaqEntry.position)


def order_value(entry: FaqEntry) -> int:
    return _RANK.get(FaqCategory(entry.category), len(_RANK)) * _STEP + entry.position


def _public(entry: FaqEntry) -> dict[str, Any]:
    assert entry.id is not None
    return {"id": entry.id, "category": entry.category,
            "category_title": CATEGORY_TITLES[FaqCategory(entry.category)],
            "position": entry.position, "question": entry.question, "answer": entry.answer,
            "updated_at": entry.updated_at}


def to_public(entry: FaqEntry) -> PublicFaqEntryRead:
    return PublicFaqEntryRead(**_public(entry))


def to_read(entry: FaqEntry) -> FaqEntryRead:
    return FaqEntryRead(**_public(entry), is_published=entry.is_published,
                        published_at=entry.published_at, version=entry.version,
                        created_by=entry.created_by, created_at=entry.created_at)


def _filtered(query: SelectOfScalar[FaqEntry],
              category: FaqCategory | None) -> SelectOfScalar[FaqEntry]:
    if category is not None:
        query = query.where(FaqEntry.category == category)
    return query


def _hits(session: Session, query: SelectOfScalar[FaqEntry], q: str) -> dict[int, int]:
    """The entries of ``query`` that the search ``q`` finds, each with its place in relevance
    order: higher score first, then category order (category, position), then id."""
    entries = session.exec(query).all()
    analysed = [(e, search.terms(e.question), search.terms(e.answer)) for e in entries]
    vocabulary: set[str] = set().union(*(qt | at for _, qt, at in analysed))
    matcher = search.Matcher.prepare(q, vocabulary)
    places = {}
    for entry, question, answer in analysed:
        score = matcher.score(question, answer)
        if score and entry.id is not None:
            places[entry.id] = (search.MAX_SCORE - score) * _SPAN + order_value(entry)
    return places


def _page(session: Session, query: SelectOfScalar[FaqEntry], params: PageParams,
          sort: FaqSort, q: str | None) -> tuple[list[FaqEntry], str | None, int | None]:
    if q is not None:
        places = _hits(session, query, q)
        query = query.where(col(FaqEntry.id).in_(places) if places else false())
        if sort == "relevance" and places:
            # The places as a CASE over the hits' ids: the shared keyset pagination then pages
            # in relevance order like any other integer sort value.
            place = case(places, value=col(FaqEntry.id), else_=(search.MAX_SCORE + 1) * _SPAN)
            key = SortKey(place, col(FaqEntry.id))
            return paginate(session, query, key, params,
                            value_of=lambda e: places[e.id] if e.id is not None else None,
                            id_of=lambda e: e.id)
    if sort == "-updated_at":
        key = SortKey(col(FaqEntry.updated_at), col(FaqEntry.id), descending=True)
        return paginate(session, query, key, params, value_of=lambda e: e.updated_at,
                        id_of=lambda e: e.id)
    # "category", and "relevance" without a search (every entry scores alike).
    key = SortKey(_order_value(), col(FaqEntry.id))
    return paginate(session, query, key, params, value_of=order_value, id_of=lambda e: e.id)


# --- public -------------------------------------------------------------------------------------

def list_public(session: Session, params: PageParams, *, category: FaqCategory | None = None,
                q: str | None = None) -> tuple[list[PublicFaqEntryRead], str | None, int | None]:
    query = _filtered(select(FaqEntry).where(col(FaqEntry.is_published).is_(True)), category)
    rows, cursor, total = _page(session, query, params,
                                "category" if q is None else "relevance", q)
    return [to_public(e) for e in rows], cursor, total


def get_public(session: Session, entry_id: int) -> PublicFaqEntryRead:
    entry = session.get(FaqEntry, entry_id)
    if entry is None or not entry.is_published:
        raise FaqEntryNotFound(f"No published FAQ entry {entry_id}.")
    return to_public(entry)


# --- Servicebüro --------------------------------------------------------------------------------

def _get(session: Session, entry_id: int, *, for_update: bool = False) -> FaqEntry:
    # Writers lock the row, so two changes sent with the same If-Match cannot both pass.
    entry = session.get(FaqEntry, entry_id, with_for_update=for_update)
    if entry is None:
        raise FaqEntryNotFound(f"No FAQ entry {entry_id}.")
    return entry


def list_entries(
    session: Session, params: PageParams, *, category: FaqCategory | None = None,
    q: str | None = None, is_published: bool | None = None, sort: FaqSort | None = None,
) -> tuple[list[FaqEntryRead], str | None, int | None]:
    query = _filtered(select(FaqEntry), category)
    if is_published is not None:
        query = query.where(col(FaqEntry.is_published).is_(is_published))
    if sort is None:
        sort = "category" if q is None else "relevance"
    rows, cursor, total = _page(session, query, params, sort, q)
    return [to_read(e) for e in rows], cursor, total


def get_entry(session: Session, entry_id: int) -> FaqEntryRead:
    return to_read(_get(session, entry_id))


def _refresh_search_text(entry: FaqEntry) -> None:
    entry.search_text = search.fold(f"{entry.question}\n{entry.answer}")


def create_entry(session: Session, data: FaqEntryCreate, principal: Principal) -> FaqEntryRead:
    now = utcnow()
    entry = FaqEntry(category=data.category, position=data.position, question=data.question,
                     answer=data.answer, search_text="", is_published=False,
                     created_by=principal.actor, created_at=now, updated_at=now)
    _refresh_search_text(entry)
    session.add(entry)
    session.commit()
    return to_read(entry)


def update_entry(session: Session, entry_id: int, data: FaqEntryUpdate, if_match: str | None) -> FaqEntryRead:
    entry = _get(session, entry_id, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, entry_id, entry.version)
    given = data.model_fields_set
    nulls = [name for name in _EDITABLE if name in given and getattr(data, name) is None]
    if nulls:
        raise InvalidFaqEntry("These fields cannot be emptied.", errors=[
            field_error(["body", name], "may not be null", "not_null") for name in nulls])
    changed = {name: getattr(data, name) for name in _EDITABLE
               if name in given and getattr(entry, name) != getattr(data, name)}
    if not changed:
        return to_read(entry)
    for name, value in changed.items():
        setattr(entry, name, value)
    _refresh_search_text(entry)
    _touch(entry)
    session.add(entry)
    session.commit()
    return to_read(entry)


def _touch(entry: FaqEntry) -> None:
    entry.version += 1
    entry.updated_at = utcnow()


def set_published(session: Session, entry_id: int, published: bool,
                  if_match: str | None) -> FaqEntryRead:
    entry = _get(session, entry_id, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, entry_id, entry.version)
    if published and entry.is_published:
        raise FaqAlreadyPublished(f"FAQ entry {entry_id} is published already.")
    if not published and not entry.is_published:
        raise FaqNotPublished(f"FAQ entry {entry_id} is not published.")
    entry.is_published = published
    entry.published_at = utcnow() if published else None
    _touch(entry)
    session.add(entry)
    session.commit()
    return to_read(entry)


def delete_entry(session: Session, entry_id: int, if_match: str | None) -> None:
    entry = _get(session, entry_id, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, entry_id, entry.version)
    session.delete(entry)
    session.commit()
