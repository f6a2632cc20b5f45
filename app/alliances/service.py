"""Alliance rules: who sees what, who may change which field, and safe deletion."""

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import exists
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, or_, select

from app.alliances import reads
from app.alliances.exceptions import AllianceNotFound, SlugTaken
from app.alliances.models import (
    WITHOUT_CHILDREN,
    Alliance,
    AllianceContact,
    AlliancePartner,
    AllianceStatus,
)
from app.alliances.schemas import (
    ADMIN_ONLY_FIELDS,
    AllianceCreate,
    AllianceRead,
    AllianceUpdate,
    ContactIn,
    ContactRead,
    PartnerIn,
    PartnerRead,
    PublicAllianceRead,
    slugify,
)
from app.alliances.states import state_from_ags
from app.auth.principal import Principal
from app.core.db import Reader, columns_of, utcnow
from app.core.errors import Forbidden, RuleViolation, field_error
from app.core.etags import check_if_match
from app.core.pagination import PageParams, SortKey, changed_after, paginate_rows

SortField = Literal["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at",
                    "id", "-id"]
# Child tables that belong to the alliance itself; any other reference is history.
_OWN_TABLES = {"alliance_partner", "alliance_contact", "api_client_alliance"}


def to_read(alliance: Alliance, *, with_contacts: bool) -> AllianceRead:
    return AllianceRead(
        **columns_of(alliance),
        partner_count=len(alliance.partners),
        partners=[PartnerRead.model_validate(p, from_attributes=True) for p in alliance.partners],
        contacts=[ContactRead.model_validate(c, from_attributes=True) for c in alliance.contacts]
        if with_contacts else None,
    )


def to_public(alliance: Alliance) -> PublicAllianceRead:
    return PublicAllianceRead(
        **{k: v for k, v in columns_of(alliance).items() if k in PublicAllianceRead.model_fields},
        partner_count=len(alliance.partners),
    )


def get_alliance(session: Session, alliance_id: int) -> Alliance:
    alliance = session.get(Alliance, alliance_id, options=WITHOUT_CHILDREN)
    if alliance is None:
        raise AllianceNotFound(f"No alliance {alliance_id}.")
    return alliance


def ensure_client_reach(principal: Principal, alliance_id: int) -> None:
    if principal.is_client and not principal.may_reach_alliance(alliance_id):
        # Same answer as a missing alliance: a client learns nothing outside its allowance.
        raise AllianceNotFound(f"No alliance {alliance_id}.")


def read_alliance(reader: Reader, alliance_id: int, principal: Principal) -> AllianceRead:
    ensure_client_reach(principal, alliance_id)
    row = reads.one_alliance(reader, alliance_id)
    if row is None:
        raise AllianceNotFound(f"No alliance {alliance_id}.")
    return reads.to_reads(reader, [row], principal)[0]


_SORT_COLUMNS: dict[str, Any] = {
    "name": Alliance.name, "created_at": Alliance.created_at, "updated_at": Alliance.updated_at,
    "id": Alliance.id,
}


def _sort_key(sort: SortField) -> SortKey:
    # The cursor values are checked against the column type (pagination.parser_for), so a
    # tampered cursor is a 422, never a database error.
    return SortKey(col(_SORT_COLUMNS[sort.lstrip("-")]), col(Alliance.id),
                   descending=sort.startswith("-"))


def _sort_value(alliance: Any, sort: SortField) -> Any:
    return getattr(alliance, sort.lstrip("-"))


def list_alliances(
    reader: Reader,
    params: PageParams,
    principal: Principal | None,
    *,
    state: str | None = None,
    status: AllianceStatus | None = None,
    level: str | None = None,
    q: str | None = None,
    sort: SortField = "name",
    public: bool = False,
    updated_since: datetime | None = None,
) -> tuple[list[Any], str | None, int | None]:
    # columns: rows, not ORM objects (alliances/reads.py)
    query = changed_after(reads.alliance_query(), col(Alliance.updated_at), updated_since)
    if public:
        query = query.where(col(Alliance.listed_in_finder).is_(True),
                            col(Alliance.status) != AllianceStatus.dissolved)
    if principal is not None and principal.is_client and principal.allowed_alliance_ids is not None:
        query = query.where(col(Alliance.id).in_(principal.allowed_alliance_ids))
    if state:
        query = query.where(col(Alliance.state) == state)
    if status:
        query = query.where(col(Alliance.status) == status)
    if level:
        query = query.where(col(Alliance.level) == level)
    if q and q.strip():
        # % and _ in the search text are literal characters, not wildcards.
        escaped = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        # municipality may be NULL: NULL LIKE … is NULL, and "TRUE OR NULL" is still TRUE.
        query = query.where(or_(func.lower(Alliance.name).like(pattern, escape="\\"),
                                func.lower(Alliance.municipality).like(pattern, escape="\\")))
    rows, cursor, total = paginate_rows(
        reader, query, _sort_key(sort), params,
        value_of=lambda a: _sort_value(a, sort), id_of=lambda a: a.id,
    )
    mappings = [row._mapping for row in rows]
    if public:
        return reads.to_publics(reader, mappings), cursor, total
    assert principal is not None
    return reads.to_reads(reader, mappings, principal), cursor, total


def _unique_slug(session: Session, wanted: str, *, exclude_id: int | None = None) -> str:
    candidate, n = wanted, 1
    while True:
        query = select(Alliance.id).where(Alliance.slug == candidate)
        if exclude_id is not None:
            query = query.where(Alliance.id != exclude_id)
        if session.exec(query).first() is None:
            return candidate
        n += 1
        candidate = f"{wanted[:110]}-{n}"


def _slug_taken() -> SlugTaken:
    return SlugTaken(errors=[field_error(["body", "slug"], "already taken", "slug_taken")])


def _replace_partners(alliance: Alliance, partners: list[PartnerIn]) -> None:
    # alliance_id is set by the relationship when the alliance is flushed.
    alliance.partners = [AlliancePartner(name=p.name, sector=p.sector) for p in partners]


def _replace_contacts(alliance: Alliance, contacts: list[ContactIn]) -> None:
    alliance.contacts = [
        AllianceContact(name=c.name, function=c.function, email=c.email, phone=c.phone,
                        accepts_mail=c.accepts_mail)
        for c in contacts
    ]


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        # The only unique column is the slug; a concurrent writer took it after our check.
        session.rollback()
        raise _slug_taken() from exc


def build_alliance(session: Session, data: AllianceCreate) -> Alliance:
    """Flushes only (used by create and by the import)."""
    if data.slug:
        if session.exec(select(Alliance.id).where(Alliance.slug == data.slug)).first() is not None:
            raise _slug_taken()
        slug = data.slug
    else:
        slug = _unique_slug(session, slugify(data.name))
    alliance = Alliance(**data.model_dump(exclude={"partners", "contacts", "slug"}), slug=slug)
    _replace_partners(alliance, data.partners)
    _replace_contacts(alliance, data.contacts)
    session.add(alliance)
    _flush(session)
    return alliance


def create_alliance(session: Session, data: AllianceCreate) -> AllianceRead:
    alliance = build_alliance(session, data)
    session.commit()
    return to_read(alliance, with_contacts=True)


def changes_of(data: AllianceCreate | AllianceUpdate, fields: set[str]) -> dict[str, Any]:
    """The validated values of ``fields`` as python objects (dates stay dates, partners stay
    models): a JSON dump would compare "2005-03-01" with a date and see a change every time."""
    return {name: getattr(data, name) for name in fields}


def _same_partners(alliance: Alliance, partners: list[PartnerIn]) -> bool:
    return [(p.name, str(p.sector)) for p in alliance.partners] == [
        (p.name, str(p.sector)) for p in partners
    ]


def _same_contacts(alliance: Alliance, contacts: list[ContactIn]) -> bool:
    return [(c.name, c.function, c.email, c.phone) for c in alliance.contacts] == [
        (c.name, c.function, c.email, c.phone) for c in contacts
    ]


def _settle_state(alliance: Alliance, changes: dict[str, Any]) -> dict[str, Any]:
    """A new AGS re-derives the state; a new state must match the (new or stored) AGS."""
    if "ags" not in changes and "state" not in changes:
        return changes
    ags = changes.get("ags", alliance.ags)
    state = changes.get("state") or alliance.state
    if ags:
        derived = state_from_ags(ags)
        if derived is None:  # stored data predating validation; the schema checks new AGS
            raise RuleViolation(f"The AGS {ags} names no Land.",
                                errors=[field_error(["body", "ags"], "names no Land")])
        if changes.get("state") and changes["state"] != derived:
            raise RuleViolation(
                f"state {changes['state']} does not match the AGS {ags}, which lies in {derived}",
                errors=[field_error(["body", "state"], "does not match the AGS", "state_mismatch")],
            )
        state = derived
    return {**changes, "state": state}


def apply_update(session: Session, alliance: Alliance, changes: dict[str, Any]) -> bool:
    """Apply validated changes (python values, see ``changes_of``); return whether anything
    changed. Flushes only."""
    changes = _settle_state(alliance, changes)
    if "slug" in changes and changes["slug"] != alliance.slug and session.exec(
        select(Alliance.id).where(Alliance.slug == changes["slug"], Alliance.id != alliance.id)
    ).first():
        raise _slug_taken()
    changed = False
    for name, value in changes.items():
        if name == "partners":
            if not _same_partners(alliance, value):
                _replace_partners(alliance, value)
                changed = True
        elif name == "contacts":
            if not _same_contacts(alliance, value):
                _replace_contacts(alliance, value)
                changed = True
        elif getattr(alliance, name) != value:
            setattr(alliance, name, value)
            changed = True
    if changed:
        alliance.version += 1
        alliance.updated_at = utcnow()
    _flush(session)
    return changed


def _get_for_update(session: Session, alliance_id: int) -> Alliance:
    # FOR UPDATE (PostgreSQL): the If-Match check and the write see the same version.
    alliance = session.get(Alliance, alliance_id, with_for_update=True)
    if alliance is None:
        raise AllianceNotFound(f"No alliance {alliance_id}.")
    return alliance


def update_alliance(
    session: Session, alliance_id: int, data: AllianceUpdate, if_match: str | None,
    principal: Principal,
) -> AllianceRead:
    if not principal.acts_for(alliance_id):
        if principal.kind == "user":
            raise Forbidden("You may edit only your own alliance.")
        raise Forbidden("Machine clients cannot edit alliances.")
    changes = changes_of(data, data.model_fields_set)
    if not principal.is_admin:
        forbidden = sorted(ADMIN_ONLY_FIELDS & changes.keys())
        if forbidden:
            raise Forbidden(
                f"Only the Servicebüro may change {', '.join(forbidden)}.",
                errors=[field_error(["body", f], "admin only", "forbidden_field") for f in forbidden],
            )
    alliance = _get_for_update(session, alliance_id)
    check_if_match(if_match, "alliance", alliance_id, alliance.version)
    apply_update(session, alliance, changes)
    session.commit()
    return to_read(alliance, with_contacts=True)


def has_history(session: Session, alliance_id: int) -> bool:
    """Any row in another table that points at the alliance (users, responses, awards …)."""
    for table in Alliance.metadata.sorted_tables:
        if table.name in _OWN_TABLES:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "alliance" and session.scalar(
                sa_select(exists().where(fk.parent == alliance_id))
            ):
                return True
    return False


def _dissolve(alliance: Alliance) -> None:
    if alliance.status != AllianceStatus.dissolved or alliance.listed_in_finder:
        alliance.status = AllianceStatus.dissolved
        alliance.listed_in_finder = False
        alliance.version += 1
        alliance.updated_at = utcnow()


def delete_alliance(
    session: Session, alliance_id: int, if_match: str | None
) -> Literal["deleted", "dissolved"]:
    """Erase an alliance without history; dissolve (keep) one that other records point at."""
    alliance = _get_for_update(session, alliance_id)
    check_if_match(if_match, "alliance", alliance_id, alliance.version)
    if not has_history(session, alliance_id):
        try:
            with session.begin_nested():
                session.delete(alliance)
        except IntegrityError:
            # A reference the metadata does not know of (a table of a newer migration):
            # the database refused, so the alliance has history after all.
            pass
        else:
            session.commit()
            return "deleted"
    _dissolve(alliance)
    session.commit()
    return "dissolved"
