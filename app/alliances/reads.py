"""The alliance read path from Core rows: GET one alliance and the lists.

The hottest reads of the API. ORM objects with their ``selectin`` relationships and nested
models built attribute by attribute cost ~0.9 ms for one alliance and ~6 ms for a page of 50
(docs/PERFORMANCE.md); here the rows are selected as columns, partners and contacts for a
whole page with one ``IN`` query each (contacts only where the caller may see them), and the
reply models are validated from plain dicts. The JSON is the same, byte for byte
(tests/alliances/test_reads.py compares it with the ORM path, ``service.to_read``).
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    RowMapping,
    String,
    bindparam,
    func,
    literal_column,
    null,
    type_coerce,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlalchemy.sql import CompoundSelect, Select

from app.alliances.models import Alliance, AllianceContact, AlliancePartner
from app.alliances.schemas import AllianceRead, PublicAllianceRead
from app.auth.principal import Principal
from app.core.db import Reader, read_rows, table_of

ALLIANCE = table_of(Alliance)
_PARTNER = table_of(AlliancePartner)
_CONTACT = table_of(AllianceContact)

_ONE = sa_select(ALLIANCE).where(ALLIANCE.c.id == bindparam("id"))


def _per_alliance(*columns: Any) -> tuple[Select[Any], Select[Any]]:
    """A child table's rows for a page of alliances (``ids``) and for one (``id``). One alliance
    gets a plain ``=``: an expanding ``IN`` is rendered anew for every execution, which cost a
    fifth of a single-alliance read's database time (docs/PERFORMANCE.md)."""
    table = columns[0].table
    query = sa_select(table.c.alliance_id, *columns).order_by(table.c.id)
    return (query.where(table.c.alliance_id.in_(bindparam("ids", expanding=True))),
            query.where(table.c.alliance_id == bindparam("id")))


_PARTNERS = _per_alliance(_PARTNER.c.id, _PARTNER.c.name, _PARTNER.c.sector)
_PARTNER_COUNTS = (
    sa_select(_PARTNER.c.alliance_id, func.count())
    .where(_PARTNER.c.alliance_id.in_(bindparam("ids", expanding=True)))
    .group_by(_PARTNER.c.alliance_id)
)
_PUBLIC_FIELDS = tuple(PublicAllianceRead.model_fields)


def alliance_query() -> Select[Any]:
    """The alliance table's columns, to filter and paginate (rows, not ORM objects)."""
    return sa_select(ALLIANCE)


def one_alliance(reader: Reader, alliance_id: int) -> RowMapping | None:
    return read_rows(reader, _ONE, {"id": alliance_id}).mappings().one_or_none()


_PARTNER_KEYS = ("id", "name", "sector")
_CONTACT_KEYS = ("id", "name", "function", "email", "phone", "accepts_mail")


def _children(reader: Reader, queries: tuple[Select[Any], Select[Any]], keys: tuple[str, ...],
              ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Rows (alliance_id, *keys) grouped by alliance. Plain tuples with ``all()``: a mapping
    per row asks the result for its keys every time, which cost more than the query."""
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        many, one = queries
        query, values = (one, {"id": ids[0]}) if len(ids) == 1 else (many, {"ids": ids})
        for row in read_rows(reader, query, values).all():
            grouped[row[0]].append(dict(zip(keys, row[1:], strict=True)))
    return grouped


def _partner_and_contact_rows() -> tuple[CompoundSelect, CompoundSelect]:
    """Partners (kind 0) and contacts (kind 1) in one statement, for a page of alliances
    (``ids``, contacts of ``contact_ids``) and for one (``id``): a statement fewer per read,
    ~5 % of a GET of one alliance (docs/PERFORMANCE.md). The partner branch comes first and
    types the missing columns, so the driver's values are converted as the tables' are."""
    def no(type_: Any, name: str) -> Any:
        return type_coerce(null(), type_).label(name)

    partners = sa_select(literal_column("0").label("kind"), _PARTNER.c.alliance_id, _PARTNER.c.id,
                         _PARTNER.c.name, _PARTNER.c.sector, no(String, "function"),
                         no(String, "email"), no(String, "phone"), no(Boolean, "accepts_mail"))
    contacts = sa_select(literal_column("1"), _CONTACT.c.alliance_id, _CONTACT.c.id,
                         _CONTACT.c.name, null(), _CONTACT.c.function, _CONTACT.c.email,
                         _CONTACT.c.phone, _CONTACT.c.accepts_mail)

    def both(partners_of: Any, contacts_of: Any) -> CompoundSelect:
        union = union_all(partners.where(partners_of), contacts.where(contacts_of))
        return union.order_by(union.selected_columns.kind, union.selected_columns.id)

    return (both(_PARTNER.c.alliance_id.in_(bindparam("ids", expanding=True)),
                 _CONTACT.c.alliance_id.in_(bindparam("contact_ids", expanding=True))),
            both(_PARTNER.c.alliance_id == bindparam("id"),
                 _CONTACT.c.alliance_id == bindparam("id")))


_PARTNERS_AND_CONTACTS = _partner_and_contact_rows()

Grouped = dict[int, list[dict[str, Any]]]


def _partners_and_contacts(reader: Reader, ids: list[int],
                           contact_ids: list[int]) -> tuple[Grouped, Grouped]:
    """The partners of ``ids`` and the contacts of ``contact_ids`` (a part of ``ids``), grouped
    by alliance."""
    if not contact_ids:
        return _children(reader, _PARTNERS, _PARTNER_KEYS, ids), {}
    many, one = _PARTNERS_AND_CONTACTS
    query, values = ((one, {"id": ids[0]}) if ids == contact_ids and len(ids) == 1
                     else (many, {"ids": ids, "contact_ids": contact_ids}))
    partners: Grouped = defaultdict(list)
    contacts: Grouped = defaultdict(list)
    for kind, alliance_id, id_, name, sector, *contact in read_rows(reader, query, values).all():
        if kind == 0:
            partners[alliance_id].append({"id": id_, "name": name, "sector": sector})
        else:
            contacts[alliance_id].append(dict(zip(_CONTACT_KEYS, (id_, name, *contact),
                                                  strict=True)))
    return partners, contacts


def to_reads(reader: Reader, rows: Sequence[RowMapping],
             principal: Principal) -> list[AllianceRead]:
    """Reply models for alliance rows: partners for all, contacts where the caller acts for
    the alliance (admins, its own users), null otherwise."""
    ids = [row["id"] for row in rows]
    partners, contacts = _partners_and_contacts(
        reader, ids, [i for i in ids if principal.acts_for(i)])
    out = []
    for row in rows:
        own = partners.get(row["id"], [])
        out.append(AllianceRead.model_validate({
            **row, "partner_count": len(own), "partners": own,
            "contacts": contacts.get(row["id"], []) if principal.acts_for(row["id"]) else None,
        }))
    return out


def to_publics(reader: Reader, rows: Sequence[RowMapping]) -> list[PublicAllianceRead]:
    ids = [row["id"] for row in rows]
    counts: dict[int, int] = {}
    if ids:
        counts = {a: n for a, n in read_rows(reader, _PARTNER_COUNTS, {"ids": ids})}
    return [
        PublicAllianceRead.model_validate(
            {**{k: row[k] for k in _PUBLIC_FIELDS if k in row}, "partner_count": counts.get(row["id"], 0)}
        )
        for row in rows
    ]
