"""The alliance reads from Core rows (app/alliances/reads.py) answer byte for byte as the ORM
path they replaced: the demo data is read through the API both ways and the bodies compared."""

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlmodel import Session, col, select

from app.alliances import service
from app.alliances.models import Alliance, AllianceContact, AllianceStatus
from app.auth.models import Role
from app.auth.principal import Principal
from app.core.db import utcnow
from app.core.pagination import PageParams, changed_after, paginate
from app.demo.seed import seed_demo
from tests import factories
from tests.alliances.helpers import API
from tests.utils.replies import answered_both_ways, assert_same_reply

PUBLIC_API = "/api/v1/public/alliances"


# --- the ORM path as it was (the reference) -----------------------------------------------------

def orm_read_alliance(connection: Connection, alliance_id: int, principal: Principal) -> Any:
    """Given the read unit's connection (``Db.read``), as the route now runs it."""
    service.ensure_client_reach(principal, alliance_id)
    with Session(bind=connection) as session:
        alliance = service.get_alliance(session, alliance_id)
        return service.to_read(alliance, with_contacts=principal.acts_for(alliance_id))


def orm_list_alliances(
    connection: Connection, params: PageParams, principal: Principal | None, *,
    state: str | None = None, status: AllianceStatus | None = None, level: str | None = None,
    q: str | None = None, sort: service.SortField = "name", public: bool = False,
    updated_since: datetime | None = None,
) -> tuple[list[Any], str | None, int | None]:
    assert q is None  # the reference covers the filters the comparison uses
    query = changed_after(select(Alliance), col(Alliance.updated_at), updated_since)
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
    with Session(bind=connection) as session:  # given the read unit's connection (``Db.read``)
        rows, cursor, total = paginate(
            session, query, service._sort_key(sort), params,
            value_of=lambda a: service._sort_value(a, sort), id_of=lambda a: a.id,
        )
        if public:
            return [service.to_public(a) for a in rows], cursor, total
        assert principal is not None
        return ([service.to_read(a, with_contacts=principal.acts_for(a.id or 0)) for a in rows],
                cursor, total)


@pytest.fixture
def demo(session: Session) -> list[Alliance]:
    seed_demo(session)
    # an alliance without partners or contacts, and one with an erased (anonymised) contact
    bare = factories.make_alliance(session, contacts=[])
    bare.partners = []
    erased = factories.make_alliance(session, municipality="Hamm", state="DE-NW")
    session.add(AllianceContact(alliance_id=erased.id, name="gelöscht", erased_at=utcnow()))
    # contacts but no partners; a contact who takes no mail and left most fields empty
    contacts_only = factories.make_alliance(session, municipality="Unna", state="DE-NW")
    contacts_only.partners = []
    session.add(AllianceContact(alliance_id=contacts_only.id, name="Ohne Post", accepts_mail=False))
    session.commit()
    alliances = list(session.exec(select(Alliance).order_by(col(Alliance.id))).all())
    assert bare in alliances and len(alliances) >= 10
    return alliances


def both_ways(client: TestClient, monkeypatch: pytest.MonkeyPatch, url: str,
              headers: dict[str, str] | None = None, **params: Any) -> tuple[Any, Any]:
    old_functions = {
        "read_alliance": orm_read_alliance,
        "list_alliances": orm_list_alliances,
    }
    return answered_both_ways(client, monkeypatch, service, old_functions, url, headers=headers, params=params)


# --- the comparisons ------------------------------------------------------------------------------

def test_every_demo_alliance_reads_the_same_for_an_admin(client, monkeypatch, admin, demo):
    contacts = []
    for alliance in demo:
        new, old = both_ways(client, monkeypatch, f"{API}/{alliance.id}", admin)
        assert new.status_code == 200
        assert_same_reply(new, old)
        contacts += new.json()["contacts"]
    assert {"name": "Ohne Post", "function": None, "email": None, "phone": None,
            "accepts_mail": False}.items() <= next(c for c in contacts
                                                    if c["name"] == "Ohne Post").items()
    assert any(c["accepts_mail"] is True for c in contacts)


def test_own_user_other_alliance_and_clients_read_the_same(client, session, monkeypatch, demo,
                                                         partner):
    own, other = demo[0], demo[1]
    user = factories.user_headers(factories.make_user(session, Role.alliance_user, own))
    restricted = factories.client_headers(factories.make_client(session, alliances=[own]))
    for headers, alliance, status, contacts in (
        (user, own, 200, True), (user, other, 200, False), (partner, own, 200, False),
        (restricted, own, 200, False), (restricted, other, 404, False),
    ):
        new, old = both_ways(client, monkeypatch, f"{API}/{alliance.id}", headers)
        assert new.status_code == status
        assert_same_reply(new, old)
        if status == 200:
            assert (new.json()["contacts"] is not None) is contacts


def test_a_missing_alliance_is_the_same_problem(client, monkeypatch, admin, demo):
    new, old = both_ways(client, monkeypatch, f"{API}/{demo[-1].id + 1000}", admin)
    assert new.status_code == 404
    assert_same_reply(new, old)


@pytest.mark.parametrize("params", [
    {"limit": 100},
    {"limit": 3, "include_total": "true"},
    {"limit": 5, "sort": "-created_at"},
    {"limit": 100, "state": "DE-NW"},
    {"limit": 100, "status": "active", "sort": "-id"},
])
def test_lists_read_the_same(client, session, monkeypatch, admin, partner, demo, params):
    user = factories.user_headers(factories.make_user(session, Role.alliance_user, demo[0]))
    restricted = factories.client_headers(factories.make_client(session, alliances=demo[:3]))
    for headers in (admin, user, partner, restricted):
        new, old = both_ways(client, monkeypatch, API, headers, **params)
        assert new.status_code == 200
        assert_same_reply(new, old)
        cursor = new.json()["next_cursor"]
        if cursor:  # the next page, from the cursor the new path wrote
            new, old = both_ways(client, monkeypatch, API, headers, **params, cursor=cursor)
            assert_same_reply(new, old)
    public_params = {k: v for k, v in params.items() if k != "status"}
    new, old = both_ways(client, monkeypatch, PUBLIC_API, None, **public_params)
    assert new.status_code == 200 and new.json()["items"]
    assert_same_reply(new, old)


def test_a_page_costs_the_same_statements_whatever_its_size(client, session, admin, demo, connection):
    """Partners and contacts of a page come with one statement (two IN lists), not one per
    alliance."""
    counted: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not the tests' savepoints
            counted.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        client.get(API, headers=admin, params={"limit": 2})
        small = len(counted)
        counted.clear()
        client.get(API, headers=admin, params={"limit": 100})
        large = len(counted)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert small == large == 3  # the caller, the page, its partners and contacts
