"""Alliance rules: who sees what, who may change which field, and safe deletion."""

from typing import Any, Literal

from sqlalchemy import exists
from sqlmodel import Session, col, func, or_, select

from app.alliances.exceptions import AllianceNotFound, SlugTaken
from app.alliances.models import (
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
from app.alliances.states import validate_ags
from app.auth.principal import Principal
from app.core.db import columns_of, utcnow
from app.core.errors import Forbidden, RuleViolation, field_error
from app.core.etags import check_if_match
from app.core.pagination import PageParams, SortKey, paginate

SortField = Literal["name", "-name", "created_at", "-created_at", "id", "-id"]
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
    alliance = session.get(Alliance, alliance_id)
    if alliance is None:
        raise AllianceNotFound(f"No alliance {alliance_id}.")
    return alliance


def ensure_client_reach(principal: Principal, alliance_id: int) -> None:
    if principal.is_client and not principal.may_reach_alliance(alliance_id):
        # Same answer as a missing alliance: a client learns nothing outside its allowance.
        raise AllianceNotFound(f"No alliance {alliance_id}.")


def read_alliance(session: Session, alliance_id: int, principal: Principal) -> AllianceRead:
    ensure_client_reach(principal, alliance_id)
    alliance = get_alliance(session, alliance_id)
    return to_read(alliance, with_contacts=principal.acts_for(alliance_id))


def _sort_key(sort: SortField) -> SortKey:
    descending = sort.startswith("-")
    column = {"name": Alliance.name, "created_at": Alliance.created_at, "id": Alliance.id}[
        sort.lstrip("-")
    ]
    parse: Any = (lambda v: v)
    if sort.lstrip("-") == "created_at":
        from datetime import datetime

        parse = datetime.fromisoformat
    return SortKey(col(column), col(Alliance.id), descending=descending, parse=parse)


def _sort_value(alliance: Alliance, sort: SortField) -> Any:
    return getattr(alliance, sort.lstrip("-"))


def list_alliances(
    session: Session,
    params: PageParams,
    principal: Principal | None,
    *,
    state: str | None = None,
    status: AllianceStatus | None = None,
    level: str | None = None,
    q: str | None = None,
    sort: SortField = "name",
    public: bool = False,
) -> tuple[list[Any], str | None, int | None]:
    query = select(Alliance)
    if public:
        query = query.where(col(Alliance.listed_in_finder).is_(True),
                            Alliance.status != AllianceStatus.dissolved)
    if principal is not None and principal.is_client and principal.allowed_alliance_ids is not None:
        query = query.where(col(Alliance.id).in_(principal.allowed_alliance_ids))
    if state:
        query = query.where(Alliance.state == state)
    if status:
        query = query.where(Alliance.status == status)
    if level:
        query = query.where(Alliance.level == level)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(or_(func.lower(Alliance.name).like(pattern),
                                func.lower(Alliance.municipality).like(pattern)))
    rows, cursor, total = paginate(
        session, query, _sort_key(sort), params,
        value_of=lambda a: _sort_value(a, sort), id_of=lambda a: a.id,
    )
    if public:
        return [to_public(a) for a in rows], cursor, total
    assert principal is not None
    return [to_read(a, with_contacts=principal.acts_for(a.id or 0)) for a in rows], cursor, total


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


def _replace_partners(alliance: Alliance, partners: list[PartnerIn]) -> None:
    alliance.partners = [AlliancePartner(name=p.name, sector=p.sector) for p in partners]  # type: ignore[call-arg]


def _replace_contacts(alliance: Alliance, contacts: list[ContactIn]) -> None:
    alliance.contacts = [
        AllianceContact(name=c.name, function=c.function, email=c.email, phone=c.phone)  # type: ignore[call-arg]
        for c in contacts
    ]


def build_alliance(session: Session, data: AllianceCreate) -> Alliance:
    """Flushes only (used by create and by the import)."""
    if data.slug:
        if session.exec(select(Alliance.id).where(Alliance.slug == data.slug)).first() is not None:
            raise SlugTaken(errors=[field_error(["body", "slug"], "already taken")])
        slug = data.slug
    else:
        slug = _unique_slug(session, slugify(data.name))
    fields = data.model_dump(exclude={"partners", "contacts", "slug", "website"})
    alliance = Alliance(**fields, slug=slug, website=str(data.website) if data.website else None)
    _replace_partners(alliance, data.partners)
    _replace_contacts(alliance, data.contacts)
    session.add(alliance)
    session.flush()
    return alliance


def create_alliance(session: Session, data: AllianceCreate) -> AllianceRead:
    alliance = build_alliance(session, data)
    session.commit()
    return to_read(alliance, with_contacts=True)


def apply_update(session: Session, alliance: Alliance, changes: dict[str, Any]) -> bool:
    """Apply validated changes; returns whether anything changed. Flushes only."""
    changed = False
    if "ags" in changes or "state" in changes:
        ags = changes.get("ags", alliance.ags)
        state = changes.get("state") or alliance.state
        if ags:
            derived = validate_ags(ags)
            if "state" in changes and changes["state"] and changes["state"] != derived:
                raise RuleViolation(
                    f"state {changes['state']} does not match the AGS, which is in {derived}",
                    errors=[field_error(["body", "state"], "does not match the AGS")],
                )
            state = derived
        changes = {**changes, "state": state}
    if "slug" in changes and changes["slug"] != alliance.slug:
        if session.exec(select(Alliance.id).where(Alliance.slug == changes["slug"],
                                                  Alliance.id != alliance.id)).first():
            raise SlugTaken(errors=[field_error(["body", "slug"], "already taken")])
    for name, value in changes.items():
        if name == "partners":
            current = [(p.name, p.sector) for p in alliance.partners]
            if current != [(p["name"], p["sector"]) for p in value]:
                _replace_partners(alliance, [PartnerIn(**p) for p in value])
                changed = True
        elif name == "contacts":
            current_c = [(c.name, c.function, c.email, c.phone) for c in alliance.contacts]
            if current_c != [(c["name"], c.get("function"), c.get("email"), c.get("phone")) for c in value]:
                _replace_contacts(alliance, [ContactIn(**c) for c in value])
                changed = True
        else:
            value = str(value) if name == "website" and value is not None else value
            if getattr(alliance, name) != value:
                setattr(alliance, name, value)
                changed = True
    if changed:
        alliance.version += 1
        alliance.updated_at = utcnow()
    session.flush()
    return changed


def update_alliance(
    session: Session, alliance_id: int, data: AllianceUpdate, if_match: str | None,
    principal: Principal,
) -> AllianceRead:
    if not principal.acts_for(alliance_id):
        if principal.kind == "user":
            raise Forbidden("You may edit only your own alliance.")
        raise Forbidden("Machine clients cannot edit alliances.")
    alliance = get_alliance(session, alliance_id)
    check_if_match(if_match, "alliance", alliance_id, alliance.version)
    changes = data.model_dump(exclude_unset=True, mode="json")
    if not principal.is_admin:
        forbidden = sorted(ADMIN_ONLY_FIELDS & changes.keys())
        if forbidden:
            raise Forbidden(
                f"Only the Servicebüro may change {', '.join(forbidden)}.",
                errors=[field_error(["body", f], "admin only", "forbidden_field") for f in forbidden],
            )
    for required in ("name", "level", "status", "slug"):
        if required in changes and changes[required] is None:
            raise RuleViolation(f"{required} cannot be null.",
                                errors=[field_error(["body", required], "cannot be null")])
    apply_update(session, alliance, changes)
    session.commit()
    return to_read(alliance, with_contacts=True)


def has_history(session: Session, alliance_id: int) -> bool:
    """Any row in another table that points at the alliance (users, responses, awards …)."""
    for table in Alliance.metadata.sorted_tables:
        if table.name in _OWN_TABLES:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "alliance":
                if session.exec(select(exists().where(fk.parent == alliance_id))).one():  # type: ignore[call-overload]
                    return True
    return False


def delete_alliance(session: Session, alliance_id: int, if_match: str | None) -> Literal["deleted", "dissolved"]:
    alliance = get_alliance(session, alliance_id)
    check_if_match(if_match, "alliance", alliance_id, alliance.version)
    if has_history(session, alliance_id):
        if alliance.status != AllianceStatus.dissolved:
            alliance.status = AllianceStatus.dissolved
            alliance.listed_in_finder = False
            alliance.version += 1
            alliance.updated_at = utcnow()
        session.commit()
        return "dissolved"
    session.delete(alliance)
    session.commit()
    return "deleted"
