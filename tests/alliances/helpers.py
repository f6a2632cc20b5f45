"""Helpers shared by the alliance tests: problem documents, payloads, walking pages."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.alliances.models import Alliance, AllianceContact, AlliancePartner

API = "/api/v1/alliances"
PUBLIC = "/api/v1/public/alliances"






def new_alliance(**overrides: Any) -> dict[str, Any]:
    """A valid POST body: the Fürth alliance of the demo data."""
    body: dict[str, Any] = {
        "name": "Lokales Bündnis für Familie Fürth",
        "ags": "09563000",
        "municipality": "Fürth",
        "level": "city",
        "region": "Metropolregion Nürnberg",
        "legal_form": "working_group",
        "founded_on": "2005-03-01",
        "website": "https://familie-fuerth.de",
        "description": "Wir treffen uns monatlich.",
        "listed_in_finder": True,
        "partners": [{"name": "Stadt Fürth", "sector": "municipality"},
                     {"name": "Caritas Fürth", "sector": "welfare"}],
        "contacts": [{"name": "Erika Muster", "function": "Koordinatorin",
                      "email": "erika.muster@example.org", "phone": "+49 911 974-0"}],
    }
    body.update(overrides)
    return body


def walk(client: TestClient, url: str, headers: dict[str, str] | None = None,
         **params: Any) -> list[dict[str, Any]]:
    """Every item of a listing, following next_cursor; checks the Link header on the way."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, headers=headers or {}, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            assert "link" not in response.headers
            return items
        link = response.headers["link"]
        assert link.startswith("<http://testserver" + url + "?") and link.endswith('>; rel="next"')
        assert f"cursor={cursor}" in link
        assert len(page["items"]) == params.get("limit", 20)
    raise AssertionError("pagination does not end")


def count(session: Session, model: type[Any] = Alliance) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def snapshot(session: Session) -> tuple[int, int, int, list[tuple[Any, ...]]]:
    """Everything the import may touch, to prove that a refused import changed nothing."""
    session.expire_all()
    rows = session.exec(select(Alliance).order_by(col(Alliance.id))).all()
    return (count(session), count(session, AlliancePartner), count(session, AllianceContact),
            [(a.id, a.slug, a.name, a.ags, a.state, a.version) for a in rows])
